"""Booking under load (issue #14, item 4): concurrent registrations, cancellations, meeting requests and acceptances
through HTTP on gunicorn with production settings on PostgreSQL; then the database is checked for overbooking and
double booking.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_booking_load \\
        .venv/bin/python bench/booking_load.py --people 500 --capacity 100 --port 8401

What it does, on a database of its own (dropped and created again; its name must start with techmatch_booking):

1. Setup, in this process through the services and bulk paths: an organiser with two published docking events (A
   with ``--capacity`` places, B with a quarter of them) and a meeting grid at A of ``--slots`` x ``--tables``
   places, fewer than the demand; ``--people`` organisations with one member each (bulk-created, one known
   password), an API token each from the product's token service (``api_token_issue``) and, for the page users, a
   session (as a login makes it).
2. gunicorn (``--workers`` gthread workers of ``--threads`` threads; DEBUG off, SECRET_KEY, ALLOWED_HOSTS, a Redis
   cache in DB ``--redis-db``, static files collected into a temporary directory, X-Forwarded-Proto as the proxy
   of the production recipe sets it).
3. Registrations, all at once (``--concurrency`` client threads): every person registers for A (one in
   ``--page-every`` through the event page: GET for the CSRF token, then the form's POST; the others through
   ``POST /api/v1/events/<id>/register/``), every other person for B as well; one in 25 sends the same e-mail
   twice (a clear 400 expected); one in ``--cancel-every`` of those who got a place cancels it at once
   (``POST /api/v1/registrations/<id>/cancel/``), which promotes the waiting list meanwhile.
4. Meeting requests, all at once: each confirmed participant of A asks ``--asks`` others (random, so some pairs
   ask each other at the same moment; the first twenty pairs do on purpose): ``POST /api/v1/meetings/``.
5. Acceptances, all at once: every invitee accepts (``POST /api/v1/meetings/<id>/accept/``): they compete for the
   last free places; "no slot" is a clear 400.

Printed: per operation the requests, their rate over the phase, p50/p95/p99 in ms and the answers by HTTP status;
then the checks in the database, PASS or FAIL each: confirmed places <= capacity, the counter equals the confirmed
rows, no free place while people wait, the waiting list served in arrival order, one active registration per e-mail
and event, no person in two meetings in a slot, no table used twice in a slot, the seats are the meetings', one open
request per pair; and that no answer was a 5xx. The exit status is 1 when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Booking-load-2026"  # noqa: S105 (the bench users' known password)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=500, help="organisations (one member each) registering")
    parser.add_argument("--capacity", type=int, default=100, help="places at event A (B has a quarter)")
    parser.add_argument("--slots", type=int, default=6, help="meeting slots at A")
    parser.add_argument("--tables", type=int, default=8, help="meeting tables at A")
    parser.add_argument("--asks", type=int, default=5, help="meeting requests per confirmed participant")
    parser.add_argument("--concurrency", type=int, default=500, help="client threads (requests in flight)")
    parser.add_argument("--page-every", type=int, default=10, help="one registration in N through the page")
    parser.add_argument("--cancel-every", type=int, default=5, help="one confirmed registration in N cancels")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--port", type=int, default=8401)
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--seed", type=int, default=14)
    return parser.parse_args()


ARGS = _arguments()
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/techmatch_booking_load")
_url = urlparse(DATABASE_URL)
DB_NAME = _url.path.lstrip("/")
if not _url.scheme.startswith("postgres") or not DB_NAME.startswith("techmatch_booking"):
    sys.exit("DATABASE_URL must name a PostgreSQL database called techmatch_booking...: this bench drops it.")

WORK = Path(tempfile.mkdtemp(prefix="booking_load_"))
(WORK / "booking_load_settings.py").write_text(
    f"from config.settings import *  # noqa: F403\nSTATIC_ROOT = {str(WORK / 'static')!r}\n"
)
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "booking_load_settings",
    "PYTHONPATH": os.pathsep.join([str(WORK), str(ROOT)]),
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CACHE_URL": f"redis://127.0.0.1:6379/{ARGS.redis_db}",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "MATCHING_ON_PUBLISH": "false",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
sys.path.insert(0, str(WORK))


def _fresh_database() -> None:
    import psycopg

    with psycopg.connect(_url._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
        admin.execute(f'CREATE DATABASE "{DB_NAME}"')


_fresh_database()

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
import requests  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Membership, Organization, User  # noqa: E402
from accounts.names import name_key  # noqa: E402
from accounts.services import api_token_issue  # noqa: E402
from events import meetings as meeting_services  # noqa: E402
from events import services as event_services  # noqa: E402
from events.models import Event, Meeting, MeetingSeat, Registration  # noqa: E402

BASE = f"http://127.0.0.1:{ARGS.port}"
HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}  # behind the proxy of the production recipe


@dataclass
class Person:
    n: int
    user_id: int
    organization_id: int
    token: str
    session: str = ""
    registrations: dict[int, int] = field(default_factory=dict)  # event id -> registration id (confirmed)


# --- Setup -----------------------------------------------------------------------------------------------------


def setup() -> tuple[Event, Event, list[Person]]:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    redis.Redis.from_url(ENV["CACHE_URL"]).flushdb()  # this bench's own Redis DB: throttle counts start at zero
    organiser = Organization.objects.create(
        name="长三角技术交易中心（负载测试）", name_key=name_key("长三角技术交易中心（负载测试）"), kind="organiser",
        province_id="310000", city_id="310100", verified=True, verified_at=timezone.now(),
    )  # fmt: skip
    host = User.objects.create_user(email="organiser@load.example.cn", password=PASSWORD)
    Membership.objects.create(user=host, organization=organiser, role=Membership.Role.OWNER)
    start = timezone.now() + timedelta(days=14)
    events = []
    places = ((ARGS.capacity, "G60科创走廊新材料对接会"), (max(ARGS.capacity // 4, 1), "黄河流域技术成果对接会"))
    for capacity, title in places:
        event = event_services.event_create(
            organizer=organiser, by=host, kind="docking", title=title, starts_at=start,
            ends_at=start + timedelta(hours=6), capacity=capacity, city_id="310100", venue="松江G60科创云廊",
        )  # fmt: skip
        events.append(event_services.event_set_status(event=event, by=host, status="published"))
    a, b = events
    meeting_services.meeting_grid_define(
        event=a, by=host, tables=[f"T{t + 1:02d}" for t in range(ARGS.tables)],
        slots=[(start + timedelta(minutes=20 * i), start + timedelta(minutes=20 * (i + 1)))
               for i in range(ARGS.slots)],
    )  # fmt: skip

    kinds = ["enterprise", "university", "research_institute"]
    organizations = Organization.objects.bulk_create([
        Organization(name=f"负载测试机构{n:04d}", name_key=name_key(f"负载测试机构{n:04d}"), kind=kinds[n % 3],
                     province_id="310000", city_id="310100")
        for n in range(ARGS.people)
    ])  # fmt: skip
    password = make_password(PASSWORD)
    users = User.objects.bulk_create([
        User(email=f"user{n:04d}@load.example.cn", full_name=f"参会者{n:04d}", password=password,
             email_verified_at=timezone.now())
        for n in range(ARGS.people)
    ])  # fmt: skip
    Membership.objects.bulk_create([
        Membership(user=user, organization=organization, role=Membership.Role.OWNER)
        for user, organization in zip(users, organizations, strict=True)
    ])  # fmt: skip
    people = []
    for n, (user, organization) in enumerate(zip(users, organizations, strict=True)):
        _, key = api_token_issue(user=user)
        person = Person(n=n, user_id=user.pk, organization_id=organization.pk, token=key)
        if ARGS.page_every and n % ARGS.page_every == 0:  # a logged-in browser: the session a login makes
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            person.session = session.session_key
        people.append(person)
    populated = time.perf_counter()
    if ARGS.page_every:
        call_command("collectstatic", interactive=False, verbosity=0)
    print(
        f"setup: {ARGS.people} organisations, users, tokens; events A (capacity {a.capacity}) and B (capacity "
        f"{b.capacity}); grid {ARGS.slots} slots x {ARGS.tables} tables; {time.perf_counter() - started:.1f} s "
        f"(migrate {migrated - started:.1f} s, people {populated - migrated:.1f} s, collectstatic "
        f"{time.perf_counter() - populated:.1f} s)"
    )
    connection.close()
    return a, b, people


# --- The server ------------------------------------------------------------------------------------------------


def start_gunicorn() -> subprocess.Popen[bytes]:
    log = open(WORK / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, our own arguments)
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-k", "gthread", "-w", str(ARGS.workers),
         "--threads", str(ARGS.threads), "-b", f"127.0.0.1:{ARGS.port}", "--forwarded-allow-ips", "127.0.0.1",
         "--backlog", "2048", "--timeout", "120"],
        cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline, ready = time.monotonic() + 120, False
    try:
        while not ready and time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(requests.RequestException):
                ready = requests.get(f"{BASE}/api/v1/events/", headers=HEADERS, timeout=30).status_code == 200
            time.sleep(0 if ready else 0.5)
    finally:
        if not ready:  # never leave a server behind
            stop_gunicorn(server)
    if ready:
        return server
    sys.exit(f"gunicorn did not start; see {WORK / 'gunicorn.log'}")


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


# --- Load ------------------------------------------------------------------------------------------------------


class Recorder:
    """Latencies and HTTP statuses per operation (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.errors: dict[str, Counter[str]] = defaultdict(Counter)

    def call(self, operation: str, method: str, path: str, **kwargs: object) -> requests.Response | None:
        headers = {**HEADERS, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        started = time.perf_counter()
        try:
            response = requests.request(method, BASE + path, headers=headers, timeout=120, allow_redirects=False,
                                        **kwargs)  # type: ignore[arg-type]  # fmt: skip
        except requests.RequestException as error:
            with self.lock:
                self.statuses[operation][0] += 1
                self.errors[operation][type(error).__name__] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.times[operation].append(elapsed)
            self.statuses[operation][response.status_code] += 1
            if response.status_code in (400, 409):  # grouped by message, whatever the e-mail it names
                self.errors[operation][re.sub(r"\S+@\S+", "<e-mail>", _first_message(response))] += 1
        return response


def _first_message(response: requests.Response) -> str:
    """The first error message of a 400 (API: the fields' messages; page: the form's errors)."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        for value in body.values() if isinstance(body, dict) else [body]:
            while isinstance(value, list | dict):
                value = next(iter(value.values() if isinstance(value, dict) else value), "")
            return str(value)[:70]
    found = re.search(r'class="[^"]*errorlist[^"]*"[^>]*>\s*<li>([^<]+)', response.text)
    return found.group(1).strip()[:70] if found else "(page)"


def _api(person: Person) -> dict[str, str]:
    return {"Authorization": f"Token {person.token}"}


def run_phase(name: str, tasks: list[Callable[[], None]]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(ARGS.concurrency, len(tasks)) or 1) as pool:
        for future in [pool.submit(task) for task in tasks]:
            future.result()
    wall = time.perf_counter() - started
    print(f"phase {name}: {len(tasks)} tasks in {wall:.2f} s")
    return wall


def registrations(recorder: Recorder, a: Event, b: Event, people: list[Person]) -> float:
    def page_register(person: Person, event: Event, email: str) -> None:
        cookies = f"sessionid={person.session}"
        page = recorder.call("page GET event", "GET", f"/events/{event.pk}/", headers={"Cookie": cookies})
        if page is None or page.status_code != 200:
            return
        csrf = page.cookies.get("csrftoken", "")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        recorder.call(
            "page POST register",
            "POST",
            f"/events/{event.pk}/register/",
            headers={
                "Cookie": f"{cookies}; csrftoken={csrf}",
                "Origin": f"https://127.0.0.1:{ARGS.port}",
                "Referer": f"https://127.0.0.1:{ARGS.port}/events/{event.pk}/",
            },
            data={
                "csrfmiddlewaretoken": found.group(1) if found else csrf,
                "organization": person.organization_id,
                "person_name": f"参会者{person.n:04d}",
                "person_email": email,
            },
        )  # fmt: skip  (a 302 to the event page; the place is read back from the database at the end)

    def api_register(person: Person, event: Event, email: str, operation: str = "API register") -> None:
        response = recorder.call(
            operation, "POST", f"/api/v1/events/{event.pk}/register/", headers=_api(person),
            json={"person_name": f"参会者{person.n:04d}", "person_email": email},
        )  # fmt: skip
        if response is None or response.status_code != 201:
            return
        body = response.json()
        if body.get("status") == "confirmed" and ARGS.cancel_every and person.n % ARGS.cancel_every == 1:
            recorder.call("API cancel", "POST", f"/api/v1/registrations/{body['id']}/cancel/", headers=_api(person))

    tasks: list[Callable[[], None]] = []
    for person in people:
        email = f"p{person.n:04d}@load.example.cn"
        if person.session:
            tasks.append(lambda p=person, e=email: page_register(p, a, e))
        else:
            tasks.append(lambda p=person, e=email: api_register(p, a, e))
        if person.n % 25 == 3:
            tasks.append(lambda p=person, e=email: api_register(p, a, e, "API register (same e-mail again)"))
        if person.n % 2 == 0:
            tasks.append(lambda p=person, e=email: api_register(p, b, e))
    random.shuffle(tasks)
    return run_phase("registrations", tasks)


def meeting_requests(recorder: Recorder, a: Event, people: list[Person]) -> tuple[float, list[dict]]:  # type: ignore[type-arg]
    by_organization = {p.organization_id: p for p in people}
    confirmed = list(Registration.objects.filter(event=a, status="confirmed").values_list("pk", "organization_id"))
    connection.close()
    asks: list[tuple[Person, int, int]] = []
    for registration, organization in confirmed:
        others = random.sample([r for r in confirmed if r[1] != organization], min(ARGS.asks, len(confirmed) - 1))
        asks += [(by_organization[organization], registration, other) for other, _ in others]
    for (registration, organization), (other, its_organization) in zip(confirmed[:20], confirmed[20:40], strict=False):
        asks.append((by_organization[organization], registration, other))  # these two ask each other at once
        asks.append((by_organization[its_organization], other, registration))
    created: list[dict] = []  # type: ignore[type-arg]
    lock = threading.Lock()

    def ask(person: Person, requester: int, invitee: int) -> None:
        response = recorder.call("API meeting request", "POST", "/api/v1/meetings/", headers=_api(person),
                                 json={"requester": requester, "invitee": invitee})  # fmt: skip
        if response is not None and response.status_code == 201:
            with lock:
                created.append(response.json())

    random.shuffle(asks)
    return run_phase("meeting requests", [lambda t=t: ask(*t) for t in asks]), created


def meeting_accepts(recorder: Recorder, people: list[Person], created: list[dict]) -> float:  # type: ignore[type-arg]
    owners = dict(
        Meeting.objects.filter(pk__in=[m["id"] for m in created]).values_list("pk", "invitee__organization_id")
    )
    connection.close()
    by_organization = {p.organization_id: p for p in people}

    def accept(meeting: dict) -> None:  # type: ignore[type-arg]
        person = by_organization[owners[meeting["id"]]]
        recorder.call("API meeting accept", "POST", f"/api/v1/meetings/{meeting['id']}/accept/", headers=_api(person),
                      json={})  # fmt: skip

    return run_phase("meeting accepts", [lambda m=m: accept(m) for m in created])


# --- Report and checks -----------------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000


def report(recorder: Recorder, walls: dict[str, float], phase_of: dict[str, str]) -> bool:
    print(f"\n{'operation':36} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    total = 0
    server_errors = 0
    for operation, statuses in recorder.statuses.items():  # status 0: no answer (a connection error, a timeout)
        times = recorder.times[operation] or [0.0]
        total += sum(statuses.values())
        server_errors += sum(n for code, n in statuses.items() if code >= 500 or code == 0)
        rate = len(recorder.times[operation]) / walls[phase_of[operation]]  # answered requests per second
        print(f"{operation:36} {sum(statuses.values()):8d} {rate:7.1f} {_ms(times, 50):8.0f} {_ms(times, 95):8.0f} "
              f"{_ms(times, 99):8.0f}  {dict(sorted(statuses.items()))}")  # fmt: skip
    wall = sum(walls.values())
    print(f"{'all':36} {total:8d} {total / wall:7.1f}  (over {wall:.1f} s of load)")
    print("\nrefusals (400/409; clear answers expected) and requests without an answer, by message:")
    for operation, messages in recorder.errors.items():  # with the errors of the requests that got no answer
        for text, n in messages.most_common(5):
            print(f"  {operation}: {n} x {text}")
    log = (WORK / "gunicorn.log").read_text(errors="replace")
    tracebacks = log.count("Traceback")
    print(f"\nserver log: {tracebacks} tracebacks ({WORK / 'gunicorn.log'})")
    return server_errors == 0 and tracebacks == 0


def checks(events: list[Event], no_server_errors: bool) -> bool:
    results: list[tuple[str, bool, str]] = [("no 5xx answer, no traceback in the server log", no_server_errors, "")]
    for event in events:
        event.refresh_from_db()
        rows = Registration.objects.filter(event=event)
        confirmed = rows.filter(status="confirmed").count()
        waiting = rows.filter(status="waiting").count()
        label = f"event {event.pk} ({event.capacity} places, {confirmed} confirmed, {waiting} waiting)"
        results.append((f"{label}: confirmed <= capacity", confirmed <= event.capacity, ""))
        results.append((f"{label}: confirmed_count equals the confirmed rows", event.confirmed_count == confirmed,
                        f"counter {event.confirmed_count}"))  # fmt: skip
        results.append((f"{label}: no free place while people wait", not waiting or confirmed == event.capacity, ""))
        queue = list(rows.exclude(status="cancelled").order_by("created_at", "pk").values_list("status", "promoted_at"))
        promoted = [(i, at) for i, (_, at) in enumerate(queue) if at is not None]
        first_waiting = next((i for i, (status, _) in enumerate(queue) if status == "waiting"), len(queue))
        in_order = all(i < first_waiting for i, _ in promoted) and all(
            earlier[1] <= later[1] for earlier, later in pairwise(promoted)
        )
        results.append((f"{label}: waiting list served in arrival order", in_order,
                        f"{len(promoted)} promoted"))  # fmt: skip
        emails = Counter(rows.exclude(status="cancelled").values_list("person_email", flat=True))
        results.append((f"{label}: one active registration per e-mail", max(emails.values(), default=1) == 1, ""))
    a = events[0]
    accepted = Meeting.objects.filter(event=a, status="accepted")
    places = Counter(accepted.values_list("slot_id", "table_id"))
    people: Counter[tuple[int, int]] = Counter()
    for requester, invitee, slot in accepted.values_list("requester_id", "invitee_id", "slot_id"):
        people[(requester, slot)] += 1
        people[(invitee, slot)] += 1
    seats = Counter(MeetingSeat.objects.filter(meeting__event=a, meeting__status="accepted")
                    .values_list("registration_id", "slot_id"))  # fmt: skip
    pairs = Counter(
        (min(r, i), max(r, i))
        for r, i in Meeting.objects.filter(event=a, status__in=["requested", "accepted"]).values_list(
            "requester_id", "invitee_id"
        )
    )
    grid = ARGS.slots * ARGS.tables
    results += [
        (f"meetings: {accepted.count()} accepted of {grid} places; no table twice in a slot",
         max(places.values(), default=1) == 1, ""),
        ("meetings: nobody in two meetings in one slot", max(people.values(), default=1) == 1, ""),
        ("meetings: the seats are exactly the accepted meetings' people and slots", seats == people, ""),
        ("meetings: one open request or meeting per pair", max(pairs.values(), default=1) == 1,
         f"{len(pairs)} pairs"),
        ("meetings: accepted ones are between confirmed participants",
         not accepted.exclude(requester__status="confirmed", invitee__status="confirmed").exists(), ""),
    ]  # fmt: skip
    print("\nchecks in the database:")
    for text, passed, detail in results:
        print(f"  {'PASS' if passed else 'FAIL'}  {text}{f' ({detail})' if detail else ''}")
    return all(passed for _, passed, _ in results)


def main() -> int:
    random.seed(ARGS.seed)
    a, b, people = setup()
    server = start_gunicorn()
    recorder = Recorder()
    walls: dict[str, float] = {}
    try:
        print(f"gunicorn: {ARGS.workers} workers x {ARGS.threads} threads on {BASE}; {ARGS.concurrency} client "
              f"threads; load generator on the same machine")  # fmt: skip
        walls["registrations"] = registrations(recorder, a, b, people)
        walls["requests"], created = meeting_requests(recorder, a, people)
        walls["accepts"] = meeting_accepts(recorder, people, created)
    finally:
        stop_gunicorn(server)
    phase_of = dict.fromkeys(recorder.statuses, "registrations")
    phase_of.update({"API meeting request": "requests", "API meeting accept": "accepts"})
    clean = report(recorder, walls, phase_of)
    passed = checks([a, b], clean)
    shutil.rmtree(WORK / "static", ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
