"""No publication loses its matching (#11 item 2), with the real broker down and with a real worker killed."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from marketplace import services as posting_services
from marketplace.models import Need
from matching.models import Match, MatchRun, PendingMatch
from matching.runs import match_run_full
from matching.tasks import full_rebuild_task, match_pending_sweep_task
from tests.factories import need

from .conftest import _reconnect, wait_for
from .test_matching_worker import load_benchmark

pytestmark = pytest.mark.integration
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens there: a broker that is down


def new_need() -> Need:
    """A need of one of the benchmark's enterprises, not yet published."""
    return need(Need.objects.first().organization, title="钠离子电池硬碳负极材料", domains=())


def publish(posting: Need) -> None:
    with transaction.atomic():  # committed: its task is queued after the commit
        posting_services.posting_transition(posting=posting, to="published", by=None)


def test_publishing_with_the_broker_down_delays_matching_but_loses_nothing(services, settings, caplog, monkeypatch):
    from config.celery import app

    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()
    wanted = new_need()
    settings.MATCHING_ON_PUBLISH = True
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    monkeypatch.setenv("CELERY_BROKER_URL", NOWHERE)  # Celery reads these before its configuration
    monkeypatch.setenv("CELERY_RESULT_BACKEND", NOWHERE)
    app.conf.update(task_always_eager=False, broker_url=NOWHERE, result_backend=NOWHERE)
    _reconnect(app)
    try:
        with caplog.at_level(logging.WARNING, logger="core.tasks"):
            publish(wanted)  # the task cannot be queued: no error for the user
    finally:
        app.conf.update(saved)
        _reconnect(app)
    assert "could not be queued" in caplog.text
    wanted.refresh_from_db()
    assert wanted.status == "published"
    assert PendingMatch.objects.filter(kind="n", posting_id=wanted.pk).exists()
    assert not Match.objects.filter(need=wanted).exists()

    settings.MATCHING_PENDING_GRACE_SECONDS = 0
    counts = match_pending_sweep_task.delay().get()  # the broker is back (here: tasks run in this process)
    assert counts["needs"] == 1
    assert Match.objects.filter(need=wanted, status="suggested").exists()
    assert not PendingMatch.objects.exists()


def test_a_worker_killed_mid_run_leaves_a_failed_run_and_its_publication_matched_later(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()
    wanted = new_need()
    settings.MATCHING_ON_PUBLISH = True
    workers.start(1)
    rebuild = full_rebuild_task.delay(trigger="test").get(timeout=60)
    wait_for(lambda: MatchRun.objects.filter(pk=rebuild, status="running").exists(), what="the rebuild to start")
    publish(wanted)  # queued behind the rebuild
    workers.kill()  # the rebuild dies with its worker; the publication's message is lost with the queue below
    from config.celery import app

    app.control.purge()
    assert MatchRun.objects.get(pk=rebuild).status == "running"
    assert PendingMatch.objects.filter(kind="n", posting_id=wanted.pk).exists()

    workers.env.update(MATCHING_RUN_TIMEOUT_MINUTES="0", MATCHING_PENDING_GRACE_SECONDS="0")
    workers.start(1)
    counts = match_pending_sweep_task.delay().get(timeout=120)
    # Whichever came first (the sweep failing the dead run, or the rebuild's messages delivered again to the new
    # worker), no run stays "running" and the publication got its matches.
    wait_for(lambda: MatchRun.objects.filter(pk=rebuild, status__in=["failed", "done"]).exists(), what=str(counts))
    assert Match.objects.filter(need=wanted, status="suggested").exists()
    assert not PendingMatch.objects.exists()
