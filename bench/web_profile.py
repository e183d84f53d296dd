"""Where a page's time goes: each page of the load mix requested in this process with production settings, timed,
its SQL counted and timed, and profiled (cProfile).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_gen_full .venv/bin/python bench/web_profile.py \\
        [--repeat 30] [--top 25] [--page NAME] [--member EMAIL] [--password P] [--out profile.prof] [--cold]

The database is one ``bench/generate.py`` filled. The pages are those ``bench/locustfile.py`` asks for (home, lists
plain and filtered, ranked search in Chinese and English, details, events, the API's lists and details, a member's
dashboard and match list). Each is requested once to warm up (templates, the tokenizer, the caches: a local-memory
cache here, Redis in production), then ``--repeat`` times. Prints per page: mean and p95 wall time, the part of it
spent in SQL (as the database driver saw it) and the number of queries, so that the Python part is the difference;
then the functions where the time of all pages went (cProfile, in as many requests again, apart from the timed
ones: the profiler slows Python down about twice), by own time and by cumulative time. ``--page``
profiles one page only. ``--cold`` measures first views: before each request the versions that kept pages, parts and
counts hang on are moved, and the pages read with ids or filters ask for a different posting or filter each time.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--page", default="", help="profile this page only (a name printed in the table)")
    parser.add_argument("--member", default="", help="the member whose pages are read (default: the first one)")
    parser.add_argument("--slow", type=float, default=0, help="print the queries that took this many ms or more")
    parser.add_argument("--out", default="", help="write the cProfile statistics to this file")
    parser.add_argument(
        "--cold", action="store_true",
        help="first views: nothing kept (pages, parts, counts), a different posting or filter at each request",
    )
    return parser.parse_args()


def _setup_django() -> None:
    os.environ.update(
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        CELERY_BROKER_URL="",
        MATCHING_ON_PUBLISH="false",
        LOG_LEVEL="WARNING",
        STATIC_ROOT=tempfile.mkdtemp(prefix="web-profile-static-"),
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest production pages are built with


def _pages(variants: int) -> list[tuple[str, list[str], dict[str, str], bool]]:
    """(name, URLs, headers, logged in) for the pages of the load mix, with real ids from the database: one URL per
    page, or with ``variants`` more than one, as many different ones for the pages a visitor reads with ids or filters
    (postings, filtered lists, API records)."""
    from events.models import Event
    from marketplace.models import Achievement, Need, Status
    from reference.models import Domain

    count = max(variants, 1)
    def ids(model):  # type: ignore[no-untyped-def]
        published = model.objects.filter(status=Status.PUBLISHED).order_by("pk")
        return list(published.values_list("pk", flat=True)[100 : 100 + count])

    achievements, needs = ids(Achievement), ids(Need)
    event = Event.objects.filter(status=Event.Status.PUBLISHED).values_list("pk", flat=True).first()
    domains = list(Domain.objects.filter(parent__isnull=True).values_list("code", flat=True))
    provinces = list(
        Achievement.objects.filter(status=Status.PUBLISHED).values_list("province_id", flat=True).order_by().distinct()
    )
    filters = [f"domain={d}&province={p}" for p, d in itertools.product(sorted(provinces), domains)][:count]
    zh, en = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, {"HTTP_ACCEPT_LANGUAGE": "en"}
    pages = [
        ("home", ["/"], zh, False),
        ("list achievements", ["/achievements/"], zh, False),
        ("list achievements en", ["/achievements/"], en, False),
        ("list achievements p3", ["/achievements/?page=3"], zh, False),
        ("list needs", ["/needs/"], zh, False),
        ("list domain+province", [f"/achievements/?{query}" for query in filters], zh, False),
        ("search zh", ["/achievements/?q=%E9%92%A0%E7%A6%BB%E5%AD%90%E7%94%B5%E6%B1%A0"], zh, False),
        ("search en", ["/needs/?q=machine+vision+defect+detection"], en, False),
        ("detail achievement", [f"/achievements/{pk}/" for pk in achievements], zh, False),
        ("detail need", [f"/needs/{pk}/" for pk in needs], zh, False),
        ("events list", ["/events/"], zh, False),
        ("api list", ["/api/v1/achievements/"], zh, False),
        ("api detail", [f"/api/v1/achievements/{pk}/" for pk in achievements], zh, False),
        ("member home", ["/"], zh, True),
        ("member dashboard", ["/home/"], zh, True),
        ("member matches", ["/matches/"], zh, True),
        ("member list achievements", ["/achievements/"], zh, True),
        ("member detail achievement", [f"/achievements/{pk}/" for pk in reversed(achievements)], zh, True),
    ]
    if event:
        pages.insert(11, ("event detail", [f"/events/{event}/"], zh, False))
    return pages


def _member(email: str):  # type: ignore[no-untyped-def]
    from accounts.models import Membership, User

    if email:
        return User.objects.get(email=email)
    user_id = (
        Membership.objects.filter(user__is_active=True, user__is_staff=False)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .first()
    )
    return User.objects.get(pk=user_id)


class _SqlTimer:
    """Counts queries and their time as the database driver sees them (a connection's execute wrapper)."""

    def __init__(self, slow_ms: float) -> None:
        self.count, self.seconds, self.slow_ms = 0, 0.0, slow_ms
        self.slow: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            self.count += 1
            self.seconds += took
            if self.slow_ms and took * 1000 >= self.slow_ms:
                self.slow[sql % tuple(params) if params and not many else sql] = took * 1000


def main() -> None:
    args = _arguments()
    _setup_django()
    from django.db import connection
    from django.test import Client

    from core.page_cache import PAGES_VERSION
    from marketplace.selectors import POSTINGS_VERSION

    if connection.vendor != "postgresql":
        raise SystemExit("Run this on PostgreSQL: set DATABASE_URL (a database bench/generate.py filled).")
    pages = _pages(2 * args.repeat + 1 if args.cold else 1)
    if args.page:
        pages = [page for page in pages if page[0] == args.page]
        if not pages:
            raise SystemExit(f"no page named {args.page!r}")
    anonymous, member = Client(), Client()
    member.force_login(_member(args.member))
    profile = cProfile.Profile()
    timer = _SqlTimer(args.slow)
    print(f"{'page':<28}{'mean ms':>9}{'p95 ms':>9}{'SQL ms':>9}{'queries':>9}{'Python ms':>11}")
    addresses = (f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())
    with connection.execute_wrapper(timer):
        for name, urls, headers, logged_in in pages:
            client = member if logged_in else anonymous
            turns = itertools.cycle(urls)

            def fetch():  # type: ignore[no-untyped-def]
                if args.cold:  # what every page shows changed: nothing kept is read (counts, pages, fragments)
                    POSTINGS_VERSION.bump()
                    PAGES_VERSION.bump()
                # each request from its own address, as many visitors' are: the API's throttle counts addresses
                return client.get(next(turns), REMOTE_ADDR=next(addresses), **headers)  # noqa: B023 - called now

            response = fetch()
            if response.status_code != 200:
                raise SystemExit(f"{name}: {urls[0]} answered {response.status_code}")
            times: list[float] = []
            timer.count, timer.seconds = 0, 0.0
            for _ in range(args.repeat):
                started = time.perf_counter()
                fetch()
                times.append(time.perf_counter() - started)
            sql, queries = timer.seconds / args.repeat * 1000, timer.count / args.repeat
            for _ in range(args.repeat):  # profiled apart: the profiler slows Python down about twice
                profile.enable()
                fetch()
                profile.disable()
            mean = statistics.fmean(times) * 1000
            p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)] * 1000
            print(f"{name:<28}{mean:>9.1f}{p95:>9.1f}{sql:>9.1f}{queries:>9.1f}{mean - sql:>11.1f}")
    for sql, took in sorted(timer.slow.items(), key=lambda item: -item[1]):
        print(f"\nslow query, {took:.0f} ms:\n{sql}")
    if args.out:
        profile.dump_stats(args.out)
    stats = pstats.Stats(profile)
    stats.strip_dirs()
    print("\nby own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    print("by cumulative time:")
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
