"""How long publishing waits when the Celery broker does not answer (goal: at most about a second), and that the
publication is kept in the matching outbox for the sweep.

    .venv/bin/python bench/broker_down.py [--runs 5]

Uses a throwaway SQLite database (migrated here). For each broker address: one refusing connections (nothing
listening on 127.0.0.1:1), a non-routable address (10.255.255.1) and a server that accepts connections and never
answers (a hung broker), publishes needs through
the service, as the submit view does, and prints each publication's wall time (the commit and the attempt to queue
its matching task), its median and max, and how many publications the outbox holds afterwards.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="broker-down-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
        MATCHING_ON_PUBLISH="true",
        MATCHING_STATE_DIR=folder,
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "ERROR"),
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from accounts.models import Organization
    from config.celery import app
    from marketplace import services
    from marketplace.models import Need, Status
    from matching.models import PendingMatch

    organization = Organization.objects.create(name="企业", kind="enterprise", province_id="310000", city_id="310100")
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections (the kernel does) and never answers
    port = silent.getsockname()[1]
    brokers = (
        ("refused (127.0.0.1:1)", "redis://127.0.0.1:1/0"),
        ("off this machine (10.255.255.1)", "redis://10.255.255.1/0"),
        (f"silent (127.0.0.1:{port}, connects and never answers)", f"redis://127.0.0.1:{port}/0"),
    )
    for label, url in brokers:
        os.environ["CELERY_BROKER_URL"] = url  # Celery reads it before its configuration
        app.conf.update(broker_url=url, result_backend=url)
        app._pool = None
        app.amqp._producer_pool = None
        times = []
        for i in range(args.runs):
            need = services.posting_create(
                model=Need, organization=organization, by=None, domain_codes=(), title=f"需求 {label} {i}",
                province=organization.province, city=organization.city,
                description="冲压件表面划痕、凹坑人工目检漏检率高，希望引入机器视觉在线检测。", region_scope="national",
            )  # fmt: skip
            started = time.perf_counter()
            with transaction.atomic():
                services.posting_transition(posting=need, to=Status.PUBLISHED, by=None)
            times.append(time.perf_counter() - started)
        print(f"broker {label}: publish {', '.join(f'{t:.2f}' for t in times)} s; median "
              f"{statistics.median(times):.2f} s, max {max(times):.2f} s")  # fmt: skip
    print(f"publications in the outbox: {PendingMatch.objects.count()} of {len(brokers) * args.runs}")


if __name__ == "__main__":
    main()
