"""The web tier under load: gunicorn with production settings on PostgreSQL, driven by locust (headless, bounded).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_gen_full .venv/bin/python bench/web_load.py \
        [--users 50] [--spawn-rate 10] [--time 60s] [--workers 4] [--port 8201] [--redis-db 12] \
        [--password bench-pass-14] [--set-passwords] [--wait 0.1,0.4 | --rate 155] [--warm-up 60s] [--cpu-by-page]

The database is one ``bench/generate.py`` filled (its members log in with its ``--password``; ``--set-passwords``
gives a few members that password first, for a database filled otherwise). Migrations are applied first. Then:

* static files are collected into a temporary folder (served by whitenoise, as in production);
* gunicorn starts ``config.wsgi`` with ``--workers`` sync workers, preloaded (the master builds the search tokenizer
  before forking, see ``GUNICORN_CONFIG``), in production mode: DEBUG off, a random
  ``SECRET_KEY``, ``ALLOWED_HOSTS``, the database, the cache in Redis (``CACHE_URL``, DB ``--redis-db``, emptied
  first so that every run starts cold), plain HTTP (no TLS redirect, cookies not marked secure), one trusted proxy
  (``NUM_PROXIES=1``: each simulated user sends its own address, so the API's per-address throttle counts users
  apart);
* with ``--warm-up``, locust runs the same load for that long first, not measured (a server that has run a while
  has its caches filled; the figures of the warm-up run are printed on one line: the first minutes after a restart);
* locust runs ``bench/locustfile.py`` headless for ``--time`` with ``--users`` users (7 anonymous to 3 members;
  each waits ``--wait`` seconds, uniformly, between requests): home, lists (plain, domain and province), ranked
  search in Chinese and English, achievement and need pages, events, the API's lists and details; members arrive
  signed in (a session made for each, as signing in makes it; ``--log-in``: through the login form at their start)
  and also read their dashboard and match list. With ``--rate R``, each user paces itself to R / ``--users``
  requests a second instead of pausing ``--wait`` (locust's ``constant_throughput``): the load is offered at R
  requests/s whatever the server does (a user whose answer comes later than its turn asks again at once), so the
  p95 is the one *at that rate*; with ``--wait`` the users ask again as soon as they can, the server runs saturated
  and the run gives its highest throughput.

Prints, per endpoint: requests, requests/s, median, p95 and p99 in ms, failures; then the totals against the goals
of issue #14 (at least 150 requests/s at 50 users; p95 under 150 ms for lists and details, under 300 ms for search;
no failure). gunicorn and locust share the machine (2 cores here). Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

GOAL_RPS = 150.0
GOAL_P95_PAGE = 150.0  # ms: lists and details
GOAL_P95_SEARCH = 300.0  # ms
SEARCH_NAMES = ("search zh", "search en")
NOT_GOALED = ("login page", "login")  # once per member, at the start


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--time", default="60s", help="locust's --run-time (60s, 2m)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8201)
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--password", default="bench-pass-14", help="the members' password (generate.py's)")
    parser.add_argument("--set-passwords", action="store_true", help="give the chosen members --password first")
    parser.add_argument("--members", type=int, default=40, help="how many members the logged-in users log in as")
    parser.add_argument("--wait", default="0.1,0.4", help="each user's pause between requests: min,max seconds")
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="offer this many requests/s in all, each user paced to rate/users (instead of --wait)",
    )
    parser.add_argument("--log-in", action="store_true", help="members sign in through the form (else: sessions)")
    parser.add_argument("--warm-up", default="", help="run the same load this long first, not measured (60s)")
    parser.add_argument("--out", default="", help="folder for locust's CSV files (default: a temporary one)")
    parser.add_argument(
        "--cpu-by-page", action="store_true",
        help="also print the web workers' CPU time per page of the mix (bench/gunicorn_cpu_by_page.conf.py)",
    )
    return parser.parse_args()


def _setup_django() -> None:
    """This process reads the database (ids to visit, members) with development settings; the server runs with
    production ones."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.pop("CACHE_URL", None)
    # The server's secret too: the members' sessions made here (``_sessions``) are signed with it.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    import django

    django.setup()


def _targets(args: argparse.Namespace) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Membership, User
    from events.models import Event
    from marketplace.models import Achievement, Need, Status
    from reference.models import Domain, Province

    if connection.vendor != "postgresql":
        raise SystemExit("Run this on PostgreSQL: set DATABASE_URL (a database bench/generate.py filled).")
    call_command("migrate", verbosity=0)

    def sample(model: type, limit: int = 500) -> list[int]:
        ids = model.objects.filter(status=Status.PUBLISHED).order_by("?").values_list("pk", flat=True)[:limit]
        return list(ids)

    member_ids = (
        Membership.objects.filter(user__is_active=True, user__is_staff=False)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()[: args.members]
    )
    members = list(User.objects.filter(pk__in=list(member_ids)).values_list("email", flat=True))
    if args.set_passwords and members:
        User.objects.filter(email__in=members).update(password=make_password(args.password))
    # Filters as people pick them: a top-level domain and a province where postings are.
    provinces = list(
        Achievement.objects.filter(status=Status.PUBLISHED)
        .values_list("province_id", flat=True)
        .order_by("province_id")
        .distinct()
    )
    targets = {
        "achievements": sample(Achievement),
        "needs": sample(Need),
        "events": list(Event.objects.filter(status=Event.Status.PUBLISHED).values_list("pk", flat=True)[:100]),
        "domains": list(Domain.objects.filter(parent__isnull=True).values_list("code", flat=True)),
        "provinces": provinces or list(Province.objects.values_list("code", flat=True)),
        "members": members,
        "password": args.password,
    }
    if not args.log_in:
        targets["sessions"] = _sessions(members)
    counts = {
        "achievements": Achievement.objects.count(),
        "needs": Need.objects.count(),
        "events": Event.objects.count(),
        "users": User.objects.count(),
    }
    print("database: " + ", ".join(f"{count:,} {name}" for name, count in counts.items()))
    if not members:
        print("no member users: the logged-in users' logins will fail")
    return targets


def _sessions(emails: list[str]) -> dict[str, str]:
    """A session per member, as signing in makes it (the user's id, backend and password hash), so that members
    arrive signed in, as most of a running site's members are; ``--log-in`` makes each sign in through the form
    instead (about 0.7 s of CPU each: the password's PBKDF2)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User

    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = {}
    for user in User.objects.filter(email__in=emails):
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions[user.email] = session.session_key
    return sessions


def _server_env(args: argparse.Namespace, static_root: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=os.environ["SECRET_KEY"],
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CACHE_URL=f"redis://127.0.0.1:6379/{args.redis_db}",
        STATIC_ROOT=static_root,
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        NUM_PROXIES="1",
        CELERY_BROKER_URL="",
        MATCHING_ON_PUBLISH="false",
        LOG_LEVEL="WARNING",
    )
    return env


GUNICORN_CONFIG = ROOT / "config" / "gunicorn.conf.py"  # production's: preloaded, tokenizer built in the master


def _empty_redis(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} within {seconds:.0f} s")


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children, alive ones (gunicorn's master and workers)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _database_backends(name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the database (same machine)."""
    import psutil

    found = {}
    for process in psutil.process_iter(["cmdline"]):
        try:
            line = " ".join(process.info["cmdline"] or [])
            if line.startswith("postgres: ") and f" {name} " in line:
                times = process.cpu_times()
                found[process.pid] = times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _wait_counting_cpu(process: subprocess.Popen, database: str) -> tuple[float, float]:
    """Wait for locust to finish; its CPU seconds, and those of the database's backends meanwhile."""
    used = 0.0
    before = _database_backends(database)
    last = dict(before)
    while process.poll() is None:
        used = max(used, _cpu_seconds(process.pid))
        last.update(_database_backends(database))
        time.sleep(0.5)
    return used, sum(seconds - before.get(pid, 0.0) for pid, seconds in last.items())


def _database_name() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def _report_cpu(stats_csv: Path, server_cpu: float, locust_cpu: float, database_cpu: float) -> None:
    """CPU per request: what says the capacity on a machine that others share (wall-clock figures do not)."""
    rows = [row for row in csv.DictReader(stats_csv.open(encoding="utf-8")) if row["Name"] == "Aggregated"]
    requests = int(rows[0]["Request Count"]) if rows else 0
    if not requests:
        return
    per_server, per_locust = 1000 * server_cpu / requests, 1000 * locust_cpu / requests
    per_database = 1000 * database_cpu / requests
    cores = os.cpu_count() or 1
    print(
        f"CPU a request: gunicorn {per_server:.1f} ms ({server_cpu:.1f} s), PostgreSQL {per_database:.1f} ms "
        f"({database_cpu:.1f} s), locust {per_locust:.1f} ms ({locust_cpu:.1f} s); {cores} cores alone would serve "
        f"about {cores * 1000 / (per_server + per_locust + per_database):.0f} requests/s"
    )


def _report_line(name: str, stats_csv: Path, duration: str) -> None:
    rows = [row for row in csv.DictReader(stats_csv.open(encoding="utf-8")) if row["Name"] == "Aggregated"]
    if rows:
        row = rows[0]
        print(f"{name} ({duration}, not counted): {int(row['Request Count']):,} requests, "
              f"{float(row['Requests/s']):.1f} requests/s, median {float(row['Median Response Time']):.0f} ms, "
              f"p95 {float(row['95%'] or 0):.0f} ms, {int(row['Failure Count'])} failures")  # fmt: skip


def _report(stats_csv: Path, seconds: float) -> bool:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    print(f"\n{'endpoint':<24}{'requests':>9}{'req/s':>8}{'median':>8}{'p95':>7}{'p99':>7}{'fail':>6}  goal")
    ok = True
    total = None
    for row in rows:
        name = row["Name"]
        if row["Type"] == "" and name == "Aggregated":
            total = row
            continue
        requests, failures = int(row["Request Count"]), int(row["Failure Count"])
        p95, p99 = float(row["95%"] or 0), float(row["99%"] or 0)
        goal = "" if name in NOT_GOALED else (GOAL_P95_SEARCH if name in SEARCH_NAMES else GOAL_P95_PAGE)
        met = "" if goal == "" else ("ok" if p95 < goal and not failures else f"MISSED (p95 < {goal:.0f} ms)")
        ok = ok and met in ("", "ok")
        print(
            f"{name:<24}{requests:>9}{float(row['Requests/s']):>8.1f}{float(row['Median Response Time']):>8.0f}"
            f"{p95:>7.0f}{p99:>7.0f}{failures:>6}  {met}"
        )
    if total is None:
        print("locust wrote no totals")
        return False
    rps, failures = float(total["Requests/s"]), int(total["Failure Count"])
    print(
        f"{'total':<24}{int(total['Request Count']):>9}{rps:>8.1f}{float(total['Median Response Time']):>8.0f}"
        f"{float(total['95%'] or 0):>7.0f}{float(total['99%'] or 0):>7.0f}{failures:>6}"
    )
    print(f"\nthroughput {rps:.1f} requests/s over {seconds:.0f} s (goal >= {GOAL_RPS:.0f}): "
          f"{'ok' if rps >= GOAL_RPS else 'MISSED'}")  # fmt: skip
    print(f"failures: {failures} (goal 0): {'ok' if failures == 0 else 'MISSED'}")
    return ok and rps >= GOAL_RPS and failures == 0


def _page_name(path: str, query: str, member: bool) -> str:
    """The name locustfile.py gives a request (a member's prefixed with "member")."""
    kinds = ("achievements", "needs")
    parts = [part for part in path.split("/") if part]
    if path.startswith("/api/"):
        name = "api detail" if parts[-1].isdigit() else "api list"
    elif path == "/":
        name = "home"
    elif path == "/home/":
        name = "dashboard"
    elif path == "/matches/":
        name = "matches"
    elif parts and parts[0] == "events":
        name = "event detail" if len(parts) > 1 else "events list"
    elif parts and parts[0] in kinds and len(parts) > 1:
        name = "detail " + parts[0][:-1]
    elif parts and parts[0] in kinds:
        name = "search" if "q=" in query else "list domain+province" if "domain=" in query else "list " + parts[0]
    else:
        name = path
    return f"member {name}" if member else name


def _report_cpu_by_page(folder: Path) -> None:
    """The web workers' CPU time per page of the mix over the measured run (bench/gunicorn_cpu_by_page.conf.py)."""
    spent: dict[str, list[float]] = {}
    for file in folder.glob("*.tsv"):
        for line in file.read_text(encoding="utf-8").splitlines():
            path, query, member, ms = line.split("\t")
            spent.setdefault(_page_name(path, query, member == "1"), []).append(float(ms))
    total = sum(sum(times) for times in spent.values()) or 1.0
    print(f"\n{'page (web workers CPU)':<32}{'requests':>9}{'mean ms':>9}{'p95 ms':>9}{'total s':>9}{'share':>7}")
    for name, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(
            f"{name:<32}{len(times):>9}{sum(times) / len(times):>9.1f}{p95:>9.1f}{sum(times) / 1000:>9.1f}"
            f"{sum(times) / total:>7.0%}"
        )


def main() -> None:
    args = _arguments()
    _setup_django()
    targets = _targets(args)
    work = Path(tempfile.mkdtemp(prefix="web_load_"))
    out = Path(args.out) if args.out else work
    out.mkdir(parents=True, exist_ok=True)
    (work / "targets.json").write_text(json.dumps(targets), encoding="utf-8")
    static_root = str(work / "static")
    env = _server_env(args, static_root)
    collect = [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"]
    subprocess.run(collect, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own commands
    _empty_redis(args.redis_db)
    config = GUNICORN_CONFIG
    cpu_dir = work / "cpu"
    if args.cpu_by_page:
        config = ROOT / "bench" / "gunicorn_cpu_by_page.conf.py"
        cpu_dir.mkdir()
        env["WEB_LOAD_CPU_DIR"] = str(cpu_dir)
    server = None
    try:
        access_log = "-" if os.environ.get("WEB_LOAD_ACCESS_LOG") else "/dev/null"
        server = subprocess.Popen(  # noqa: S603 - our own commands
            [str(BIN / "gunicorn"), "config.wsgi", "--config", str(config), "--workers", str(args.workers), "--bind",
             f"127.0.0.1:{args.port}", "--access-logfile", access_log, "--timeout", "60"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        host = f"http://127.0.0.1:{args.port}"
        _wait_for(f"{host}/", server)
        print(f"gunicorn: {args.workers} sync workers on {host}, production settings, Redis cache DB {args.redis_db}")
        locust_env = {**os.environ, "WEB_LOAD_TARGETS": str(work / "targets.json"), "WEB_LOAD_WAIT": args.wait}
        if args.rate:
            locust_env["WEB_LOAD_PACE"] = str(args.rate / args.users)

        def run_locust(duration: str, csv_prefix: Path) -> subprocess.Popen:
            return subprocess.Popen(  # noqa: S603 - our own commands
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u",
                 str(args.users), "-r", str(args.spawn_rate), "-t", duration, "-H", host, "--csv", str(csv_prefix),
                 "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
                cwd=ROOT, env=locust_env, stdout=subprocess.DEVNULL,
            )  # fmt: skip

        if args.warm_up:
            # The same traffic first, not measured: a server that has run a while has its caches filled (the
            # similar postings of the pages read, counts, visitors' pages); the first minutes after a restart do not.
            run_locust(args.warm_up, out / "warm_up").wait()
            _report_line("warm-up", out / "warm_up_stats.csv", args.warm_up)
        for kept in cpu_dir.glob("*.tsv"):  # what the warm-up cost is not counted
            kept.unlink()
        started = time.monotonic()
        server_cpu = _cpu_seconds(server.pid)
        load = run_locust(args.time, out / "web_load")
        locust_cpu, database_cpu = _wait_counting_cpu(load, _database_name())
        seconds = time.monotonic() - started
        server_cpu = _cpu_seconds(server.pid) - server_cpu
    finally:
        _stop(server)
    pace = f"paced to {args.rate:.0f} requests/s in all" if args.rate else f"pause {args.wait} s"
    print(f"locust: {args.users} users (spawn {args.spawn_rate}/s) for {args.time}, {pace}; CSV in {out}")
    met = _report(out / "web_load_stats.csv", seconds)
    _report_cpu(out / "web_load_stats.csv", server_cpu, locust_cpu, database_cpu)
    if args.cpu_by_page:
        _report_cpu_by_page(cpu_dir)
    print("all goals met" if met else "some goals missed")


if __name__ == "__main__":
    main()
