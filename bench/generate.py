"""Fill a PostgreSQL database with a market of a chosen size, through the product's bulk paths.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/techmatch_gen .venv/bin/python bench/generate.py \\
        --achievements 100000 --needs 20000 [--organisations N] [--users-per-org K] [--matches M] [--match] \\
        [--events E] [--registrations R] [--seed S] [--reset] [--password P] [--workers W]

Creates the database when it does not exist (``--reset``: drops it first), migrates it (which loads the reference
data: taxonomy, provinces, cities, clusters), then writes, each phase timed:

* organisations of every kind (universities, institutes, enterprises, service agencies, organisers) with Chinese
  (and some English) names, placed in the cities of regions.json weighted towards the clusters (YRD/G60, Jing-Jin-Ji,
  the Greater Bay Area, the middle Yangtze, Chengdu-Chongqing, the Yellow River), most verified; ``bulk_create``;
* users, an owner and members per organisation (one password hashed once: ``--password``), and one staff user
  ``staff@bench.example.cn``; ``bulk_create``;
* achievements and needs with real Chinese and English texts (bench/data and ../shared/realdata: Chinese patents
  and papers, US patent applications, NASA software, SBIR topics; Chinese needs built around Chinese achievements'
  subjects), domains from what the text says, the owner's place, readiness, prices, budgets, deadlines, modes;
  written by ``marketplace.bulk.postings_save_many`` (the importer's bulk write under the services' rules: checked by
  the model's validators, transitions recorded, search documents and index rows built as the product builds them),
  then some moved to submitted and closed in bulk with their transitions; publication dates spread over two years.
  Two things only a generator may do: a source text serves several postings in a row (titles a little changed,
  owners and places differ) and its tokens are computed once for them; the search rows' token index is dropped
  during the load and built once after it (the model's own index definition);
* matches: with ``--match`` the product's full rebuild (``matching.runs.match_run_full``), else rows shaped like
  the engine's (components, reasons) between needs and achievements of the same domain, in every status, written
  with COPY (``core.bulk_insert``), with agreements for the deals;
* events (roadshows, docking, financing) by the organisers, with registrations (confirmed up to capacity, then a
  waiting list), and for docking events meeting slots, tables and accepted 1:1 meetings (seats) and requests;
* the tables vacuumed and analysed (statistics and the visibility map, as after any bulk load).

Prints the wall time and per-phase times and row counts. ``--workers 2`` shares the posting batches among two forked
processes (for an otherwise idle machine: on a busy one it is slower). Deterministic for a ``--seed`` (apart from
timestamps, which are relative to now, and with workers the order of ids). Goal (issue 14 item 1): 100,000
achievements and 20,000 needs in under 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import partial
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import genlib  # noqa: E402


def _arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--achievements", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=None, help="default: one per 40 postings, at least 20")
    parser.add_argument("--users-per-org", type=int, default=2)
    parser.add_argument("--matches", type=int, default=None, help="default: 8 per published need")
    parser.add_argument("--match", action="store_true", help="run the real engine (a full rebuild) instead")
    parser.add_argument("--events", type=int, default=None, help="default: one per 1,000 needs, at least 4")
    parser.add_argument("--registrations", type=int, default=None, help="default: about 100 per event")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes writing the postings (2 on an otherwise idle 2-core machine)"
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--password", default="bench-pass-14", help="every generated user's password")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    return parser.parse_args(argv)


def _bootstrap(args: argparse.Namespace) -> None:
    """Settings for a bench run, the database (dropped with ``--reset``, created when missing), Django."""
    from urllib.parse import urlparse

    import psycopg

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")  # a development run (production mode needs SECRET_KEY)
    os.environ["MATCHING_ON_PUBLISH"] = "false"  # no task per publication: ``--match`` rebuilds once
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if not (url.scheme.startswith("postgres") and name):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as admin:
        if args.reset:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()


if __name__ == "__main__":
    _ARGS = _arguments()
    _bootstrap(_ARGS)

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import names  # noqa: E402
from accounts.models import Membership, Organization, User  # noqa: E402
from core.bulk_insert import insert_rows  # noqa: E402
from events.models import Event, Meeting, MeetingSeat, MeetingSlot, MeetingTable, Registration  # noqa: E402
from marketplace import search  # noqa: E402
from marketplace.bulk import Item, postings_save_many  # noqa: E402
from marketplace.models import (  # noqa: E402
    Achievement,
    AchievementSearchTerm,
    Need,
    NeedSearchTerm,
    PostingTransition,
)
from matching.models import Agreement, Match  # noqa: E402

BATCH = 2000
KINDS = list(genlib.KIND_SHARE)


@dataclass
class Options:
    achievements: int
    needs: int
    organisations: int | None = None
    users_per_org: int = 2
    matches: int | None = None
    match: bool = False
    events: int | None = None
    registrations: int | None = None
    seed: int = 14
    workers: int = 1
    password: str = "bench-pass-14"  # noqa: S105 - a benchmark's users


@dataclass
class Report:
    phases: list[tuple[str, float, dict[str, int]]] = field(default_factory=list)

    def add(self, name: str, seconds: float, **counts: int) -> None:
        self.phases.append((name, seconds, counts))
        figures = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        print(f"  {name}: {seconds:.1f} s ({figures})", flush=True)

    @property
    def seconds(self) -> float:
        return sum(seconds for _name, seconds, _counts in self.phases)


@dataclass
class Org:
    pk: int
    kind: str
    place: genlib.Place
    owner: int = 0  # user id
    users: list[int] = field(default_factory=list)


@dataclass
class Written:
    """What later phases need of a posting: id, owner, status, top-level domain, subdomains, keywords."""

    pk: int
    org: int
    status: str
    top: str
    domains: list[str]
    keywords: list[str]


def generate(options: Options) -> Report:
    """Generate the whole market into the current (migrated) database; return the phases' times and counts."""
    rng = random.Random(options.seed)
    report = Report()
    started = time.perf_counter()
    genlib.sources()
    report.add("texts read", time.perf_counter() - started,
               **{f"{side} texts": len(texts) for side, texts in genlib.sources().items()})  # fmt: skip
    with override_settings(MATCHING_ON_PUBLISH=False):
        orgs = _phase(report, "organisations", lambda: _organisations(rng, options))
        _phase(report, "users and memberships", lambda: _users(rng, options, orgs))
        with _tokenised_once(), _token_indexes_built_after(report):
            achievements = _phase(
                report, "achievements", lambda: _postings(rng, Achievement, options.achievements, orgs, options.workers)
            )
            needs = _phase(report, "needs", lambda: _postings(rng, Need, options.needs, orgs, options.workers))
        _phase(report, "dates and status moves", lambda: _finish_postings(rng, achievements, needs, orgs))
        if options.match:
            _phase(report, "matching (full rebuild)", _match_full)
        else:
            _phase(report, "matches", lambda: _matches(rng, options, achievements, needs, orgs))
        _phase(report, "events and registrations", lambda: _events(rng, options, orgs))
    _phase(report, "vacuum and analyze", _vacuum)
    return report


def _vacuum() -> tuple[None, dict[str, int]]:
    """What autovacuum would do in a while, done now, as after any bulk load: the planner's statistics of the new
    rows, and on PostgreSQL the visibility map, without which every index-only scan (the search index's document
    frequencies) reads the table's pages too (4.5 ms against 0.2 ms a token at 10^5 postings)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block  # (a test's transaction: analyse)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    return None, {}


@contextmanager
def _tokenised_once() -> Iterator[None]:
    """The product's tokenizer, remembering the bag of the last texts it read: a source text serves several
    postings in a row, and its tokens are the same each time. The bag is added to the posting's as the tokenizer
    adds each token (same tokens, weights, order); only repeated reading is saved. Short texts (titles, keywords)
    are read as they come."""
    words = search.tokenizer()
    read = words.tokens
    kept: dict[tuple[str, float], dict[str, float]] = {}

    def tokens(text: str, weight: float, out: dict[str, float]) -> None:
        if len(text) < 120:
            read(text, weight, out)
            return
        bag = kept.get((text, weight))
        if bag is None:
            if len(kept) >= 64:
                kept.pop(next(iter(kept)))
            bag = kept[(text, weight)] = {}
            read(text, weight, bag)
        for token, value in bag.items():
            out[token] = out.get(token, 0.0) + value

    words.tokens = tokens  # type: ignore[method-assign]
    try:
        yield
    finally:
        del words.tokens


@contextmanager
def _token_indexes_built_after(report: Report) -> Iterator[None]:
    """Without the search rows' token index while the rows are copied in, then built once (a sort, far cheaper
    than keeping it in order through millions of inserts); on PostgreSQL only. The schema is the model's again
    afterwards (the same index, by the model's own definition; the filters' indexes by their migration's SQL)."""
    indexes = [(model, index) for model in (AchievementSearchTerm, NeedSearchTerm) for index in model._meta.indexes]
    if connection.vendor != "postgresql":
        yield
        return
    # and the list filters' indexes (marketplace migration 0012), on the postings and their domains: the same, but
    # only outside a transaction (PostgreSQL builds no index on a table with deferred checks pending in it)
    migration = import_module("marketplace.migrations.0012_filter_count_indexes")
    filter_indexes = {} if connection.in_atomic_block else migration.INDEXES
    with connection.schema_editor() as editor:
        for model, index in indexes:
            editor.remove_index(model, index)
        for name in filter_indexes:
            editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
        with connection.schema_editor() as editor:
            for model, index in indexes:
                editor.add_index(model, index)
            for name, sql in filter_indexes.items():
                editor.execute(sql.format(name=name))
        report.add(
            "search index built",
            time.perf_counter() - started,
            **{"index rows": AchievementSearchTerm.objects.count() + NeedSearchTerm.objects.count()},
        )


def _phase(report: Report, name: str, work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value, counts = work()
    report.add(name, time.perf_counter() - started, **counts)
    return value


# --- organisations and users -------------------------------------------------------------------------------------
def _organisations(rng: random.Random, options: Options) -> tuple[list[Org], dict[str, int]]:
    total = options.organisations or max(20, (options.achievements + options.needs) // 40)
    places, weights = genlib.places()
    kinds = [k for k in KINDS if k != "enterprise" for _ in range(max(1, round(total * genlib.KIND_SHARE[k])))]
    kinds = (kinds + ["enterprise"] * total)[:total]  # every kind, enterprises the rest
    rng.shuffle(kinds)
    now = timezone.now()
    seen: set[str] = set()
    rows, plan = [], []
    for number, kind in enumerate(kinds):
        place = rng.choices(places, weights=weights)[0]
        name = genlib.organisation_name(rng, kind, place, number)
        key = names.name_key(name)
        for _attempt in range(5):  # another name of the kind and place before a numbered one
            if key not in seen:
                break
            name = genlib.organisation_name(rng, kind, place, number)
            key = names.name_key(name)
        if key in seen:
            name = f"{name}（{number}）" if not name.endswith("Ltd.") else f"{name[:-9]} {number} Co., Ltd."
            key = names.name_key(name)
        seen.add(key)
        verified = rng.random() < 0.7
        rows.append(Organization(
            name=name, name_key=key, kind=kind, province_id=place.province, city_id=place.city, verified=verified,
            verified_at=now if verified else None, description=f"{name}，位于{place.zh}。",
            contact_name=genlib.person_name(rng), contact_phone=f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}",
            contact_email=f"contact{number}@org{number}.example.cn",
        ))  # fmt: skip
        plan.append((kind, place))
    created = Organization.objects.bulk_create(rows, batch_size=2000)
    orgs = [Org(pk=o.pk, kind=kind, place=place) for o, (kind, place) in zip(created, plan, strict=True)]
    counts = {kind: sum(1 for o in orgs if o.kind == kind) for kind in KINDS}
    return orgs, {"organisations": len(orgs), **counts, "verified": sum(1 for o in rows if o.verified)}


def _users(rng: random.Random, options: Options, orgs: list[Org]) -> tuple[None, dict[str, int]]:
    password = make_password(options.password)
    now = timezone.now()
    users = [User(email="staff@bench.example.cn", full_name="平台运营", password=password, is_staff=True,
                  is_superuser=True, email_verified_at=now)]  # fmt: skip
    for n in range(len(orgs)):
        for k in range(max(1, options.users_per_org)):
            users.append(User(email=f"u{n}-{k}@org{n}.example.cn", full_name=genlib.person_name(rng), password=password,
                              language="en" if rng.random() < 0.1 else "zh-hans", email_verified_at=now))  # fmt: skip
    created = User.objects.bulk_create(users, batch_size=2000)
    memberships = []
    it = iter(created[1:])
    for org in orgs:
        for k in range(max(1, options.users_per_org)):
            user = next(it)
            org.users.append(user.pk)
            if k == 0:
                org.owner = user.pk
            role = Membership.Role.OWNER if k == 0 else Membership.Role.MEMBER
            memberships.append(Membership(user_id=user.pk, organization_id=org.pk, role=role))
    Membership.objects.bulk_create(memberships, batch_size=5000)
    return None, {"users": len(created), "memberships": len(memberships)}


# --- postings ----------------------------------------------------------------------------------------------------
def _owners(rng: random.Random, orgs: list[Org], kinds: dict[str, float]) -> tuple[list[Org], list[float]]:
    """Who posts, with a long tail: a few organisations post many (at most about 30 times the typical one; an
    uncapped tail gave one company a sixth of the market), most a handful."""
    owners = [o for o in orgs if o.kind in kinds]
    weights = [kinds[o.kind] * min(rng.paretovariate(1.3), 30.0) for o in owners]
    return owners, weights


def _postings(rng: random.Random, model: type, total: int, orgs: list[Org],
              workers: int = 1) -> tuple[list[Written], dict[str, int]]:  # fmt: skip
    need = model is Need
    side = "n" if need else "a"
    pools = genlib.sources()
    english_share = 0.25 if need else 0.2
    kinds = ({"enterprise": 10, "university": 0.5, "research_institute": 0.5, "service_agency": 0.3} if need else
             {"university": 6, "research_institute": 4, "enterprise": 1.5, "service_agency": 0.5})  # fmt: skip
    owners, weights = _owners(rng, orgs, kinds)
    parent, _names = genlib.taxonomy()
    used: dict[int, int] = defaultdict(int)
    order = {key: rng.sample(range(len(texts)), len(texts)) for key, texts in pools.items() if texts}
    expected = {f"{side}-en": total * english_share, f"{side}-zh": total * (1 - english_share), "a-zh": total}
    repeat = {key: max(1, int(expected.get(key, 0) // max(1, len(texts)))) for key, texts in pools.items()}
    drawn_per_key: dict[str, int] = defaultdict(int)
    today = timezone.localdate()
    counts: dict[str, int] = defaultdict(int)
    batches: list[list[tuple[Item, str]]] = []
    batch: list[tuple[Item, str]] = []
    for number in range(total):
        lang = "en" if rng.random() < english_share else "zh"
        owner = rng.choices(owners, weights=weights)[0]
        place = owner.place if rng.random() < 0.9 else rng.choices(*genlib.places())[0]
        status = genlib.status_plan(rng, need=need)
        key = f"{side}-{lang}"
        if need and lang == "zh" and (rng.random() < 0.9 or not pools[key]):
            source_key = "a-zh"  # a need built around an achievement's subject
        else:
            source_key = key if pools[key] else f"{side}-zh"
        texts = pools[source_key]
        # Each text serves about ``repeat`` postings in a row (by different owners, places, titles a little
        # changed): its tokens are computed once (``_tokenised_once``).
        drawn = drawn_per_key[source_key]
        drawn_per_key[source_key] += 1
        source = texts[order[source_key][(drawn // repeat[source_key]) % len(texts)]]
        uses = used[id(source)]
        used[id(source)] += 1
        if source_key != key:
            title, body = genlib.zh_need_from(rng, source, place)
        else:
            title, body = genlib.varied_title(rng, source.title, lang, uses), source.body
        domains = list(dict.fromkeys(source.domains)) or [rng.choice(sorted(parent))]
        extra = source.extra
        fields = {
            "external_ref": f"{side.upper()}{number:07d}", "title": title, "keywords": source.keywords,
            "modes": genlib.modes_for(rng, extra, need=need), "province_id": place.province, "city_id": place.city,
            "language": lang,
        }  # fmt: skip
        if rng.random() < 0.6:
            fields.update(contact_name=genlib.person_name(rng),
                          contact_phone=f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}",
                          contact_email=f"tt{number}@{side}.example.cn")  # fmt: skip
        if need:
            budget = extra.get("budget_wan")
            fields.update(
                description=body, min_trl=extra.get("min_trl") or rng.choice((None, 3, 4, 5, 6, 7)),
                budget_wan=Decimal(str(budget)) if budget else (None if rng.random() < 0.25 else
                                                                 Decimal(round(10 ** rng.uniform(1, 3.5), -1) or 10)),
                region_scope=extra.get("region_scope") or rng.choices(["national", "cluster", "province"],
                                                                      weights=(6, 2.5, 1.5))[0],
                deadline=None if rng.random() < 0.2 else (
                    today + timedelta(days=rng.randint(20, 540)) if status != "closed"
                    else today - timedelta(days=rng.randint(1, 200))),
            )  # fmt: skip
        else:
            low, high = genlib.price_range(rng, extra)
            ip = extra.get("ip") if extra.get("ip") in genlib.IP else rng.choice(genlib.IP)
            fields.update(
                summary=body, trl=extra.get("trl") or rng.choices(range(1, 10), weights=(1, 2, 4, 6, 7, 7, 5, 3, 1))[0],
                ip_status=ip, price_min_wan=None if low is None else Decimal(str(low)),
                price_max_wan=None if high is None else Decimal(str(high)),
                patent_numbers=[f"CN{rng.randint(10**8, 10**9 - 1)}A"] if ip in ("granted_patent", "pending_patent")
                and lang == "zh" else [],
            )  # fmt: skip
        item = Item(organization=Organization(pk=owner.pk, province_id=owner.place.province), fields=fields,
                    domain_codes=domains[:3], row=number + 1)  # fmt: skip
        batch.append((item, status))
        counts[status] += 1
        counts[lang] += 1
        if len(batch) >= BATCH:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    written = _write_all(model, batches, workers)
    return written, {"rows": len(written), **counts}


def _write_all(model: type, batches: list[list[tuple[Item, str]]], workers: int) -> list[Written]:
    """The batches written in order by this process, or shared among ``workers`` forked processes (PostgreSQL only;
    each writes whole batches in its own transactions, through the same bulk write). With workers the contents are
    the same for a seed, the ids' order is not."""
    written: list[Written] = []
    if workers <= 1 or connection.vendor != "postgresql" or len(batches) < 2:
        for batch in batches:
            written += _write(model, batch)
            if len(written) % 20_000 == 0:
                print(f"    {len(written):,} {model._meta.verbose_name_plural} written", flush=True)
        return written
    import multiprocessing

    connection.close()  # each process opens its own
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for part in pool.imap(partial(_write_in_worker, model), batches):
            written += part
    return written


def _write_in_worker(model: type, batch: list[tuple[Item, str]]) -> list[Written]:
    try:
        return _write(model, batch)
    finally:
        connection.close()


def _write(model: type, batch: list[tuple[object, str]]) -> list[Written]:
    """One batch through the importer's bulk write: drafts stay drafts, the rest are published in the same call
    (those planned submitted or closed move on later, in bulk)."""
    parent, _names = genlib.taxonomy()
    out: list[Written] = []
    for publish in (False, True):
        chosen = [(item, status) for item, status in batch if (status in ("published", "closed")) == publish]
        if not chosen:
            continue
        outcome = postings_save_many(model=model, items=[item for item, _s in chosen], by=None, publish=publish)
        for posting, (item, status) in zip(outcome.postings, chosen, strict=True):
            codes = item.domain_codes
            out.append(Written(pk=posting.pk, org=item.organization.pk, status=status,
                               top=parent.get(codes[0], codes[0]), domains=codes,
                               keywords=item.fields["keywords"]))  # fmt: skip
    return out


def _finish_postings(rng: random.Random, achievements: list[Written], needs: list[Written],
                     orgs: list[Org]) -> tuple[None, dict[str, int]]:  # fmt: skip
    """Move the postings planned as submitted (by their owner) and closed (published first) there in bulk, with
    their transitions, as ``posting_transition`` would; then spread the dates over two years (a bulk write stamps
    them all with one moment)."""
    owner = {o.pk: o.owner for o in orgs}
    now = timezone.now()
    moved = {"submitted": 0, "closed": 0}
    for model, written in ((Achievement, achievements), (Need, needs)):
        kind = "achievement" if model is Achievement else "need"
        with transaction.atomic():
            for to, from_ in (("submitted", "draft"), ("closed", "published")):
                rows = [w for w in written if w.status == to]
                if not rows:
                    continue
                ids = [w.pk for w in rows]
                extra = {"closed_at": now} if to == "closed" else {}
                model.objects.filter(pk__in=ids).update(status=to, updated_at=now, **extra)
                insert_rows(PostingTransition, [kind, "from_status", "to_status", "by", "at", "reason"],
                            ((w.pk, from_, to, owner.get(w.org), now.isoformat(), "") for w in rows))  # fmt: skip
                moved[to] += len(rows)
            _spread_dates(model, written, now)
    return None, moved


SPREAD = 2 * 365 * 24 * 3600  # publication dates over two years


def _spread_dates(model: type, written: list[Written], now: object) -> None:
    """A deterministic spread by id: publication up to two years ago, creation days before it, an update a few days
    after it, a closing half-way between publication and now. One UPDATE on PostgreSQL; a row at a time elsewhere
    (the unit test's small SQLite runs)."""
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET "  # noqa: S608 - the model's own table
                "published_at = CASE WHEN published_at IS NULL THEN NULL "
                "  ELSE %s - make_interval(secs => (id::bigint * 2654435761) %% %s) END, "
                "created_at = %s - make_interval(secs => (id::bigint * 2654435761) %% %s) "
                "  - make_interval(days => (id %% 20)::int + 1), "
                "updated_at = LEAST(%s, %s - make_interval(secs => (id::bigint * 2654435761) %% %s) "
                "  + make_interval(days => (id %% 5)::int))",
                [now, SPREAD, now, SPREAD, now, now, SPREAD],
            )
            cursor.execute(
                f"UPDATE {table} SET closed_at = published_at + (%s - published_at) / 2 "  # noqa: S608
                "WHERE status = 'closed'",
                [now],
            )
        return
    for w in written:
        base = now - timedelta(seconds=w.pk * 2654435761 % SPREAD)
        dates = {"created_at": base - timedelta(days=w.pk % 20 + 1),
                 "updated_at": min(now, base + timedelta(days=w.pk % 5))}  # fmt: skip
        if w.status in ("published", "closed"):
            dates["published_at"] = base
        if w.status == "closed":
            dates["closed_at"] = base + (now - base) / 2
        model.objects.filter(pk=w.pk).update(**dates)


# --- matches -----------------------------------------------------------------------------------------------------
MATCH_STATUS = [("suggested", 56), ("approved", 26), ("rejected", 4), ("declined", 5), ("in_contact", 6), ("deal", 3)]


def _match_full() -> tuple[None, dict[str, int]]:
    from matching.runs import match_run_full

    run = match_run_full(trigger="command")
    return None, {"matches": Match.objects.count(), **{k: v for k, v in (run.counts or {}).items()
                                                         if isinstance(v, int)}}  # fmt: skip


def _matches(rng: random.Random, options: Options, achievements: list[Written], needs: list[Written],
             orgs: list[Org]) -> tuple[None, dict[str, int]]:  # fmt: skip
    """Rows shaped like the engine's: each published need's best achievements of its top-level domain (most) or
    of any, their components and reasons, in every status of the match life cycle; agreements for the deals."""
    published_a = [w for w in achievements if w.status == "published"]
    published_n = [w for w in needs if w.status == "published"]
    if not published_a or not published_n:
        return None, {"matches": 0}
    by_top: dict[str, list[Written]] = defaultdict(list)
    for w in published_a:
        by_top[w.top].append(w)
    wanted = options.matches if options.matches is not None else 8 * len(published_n)
    per_need = max(1, -(-wanted // len(published_n)))
    _parent, names = genlib.taxonomy()
    staff = User.objects.filter(is_staff=True).values_list("pk", flat=True).first()
    now = timezone.now().isoformat()
    rows, deals = [], []
    for need in published_n:
        if len(rows) >= wanted:
            break
        pool = by_top.get(need.top) or published_a
        chosen: dict[int, Written] = {}
        for _ in range(per_need * 2):
            candidate = rng.choice(pool) if rng.random() < 0.85 else rng.choice(published_a)
            if candidate.org != need.org:
                chosen.setdefault(candidate.pk, candidate)
            if len(chosen) >= per_need:
                break
        best = 0.55 + 0.4 * rng.random()
        for rank, achievement in enumerate(chosen.values()):
            if len(rows) >= wanted:
                break
            total = max(0.05, best - 0.04 * rank - 0.03 * rng.random())
            same = achievement.top == need.top
            components = {
                "text": round(rng.uniform(0.2, 0.9), 4), "domain": 1.0 if same else round(rng.uniform(0, 0.4), 4),
                "region": rng.choice((0.0, 0.5, 0.8, 1.0)), "readiness": round(rng.uniform(0.5, 1), 4),
                "price": round(rng.uniform(0.3, 1), 4), "mode": rng.choice((0.0, 0.5, 1.0)),
            }  # fmt: skip
            shared = [w for w in achievement.keywords if w in need.keywords] or achievement.keywords[:2]
            reasons = genlib.synthetic_reasons(rng, components, shared, names.get(need.top, ("", "")))
            status = rng.choices([s for s, _w in MATCH_STATUS], weights=[w for _s, w in MATCH_STATUS])[0]
            a_dec = n_dec = "pending"
            if status in ("in_contact", "deal"):
                a_dec = n_dec = "accepted"
            elif status == "declined":
                a_dec, n_dec = rng.choice((("declined", "pending"), ("accepted", "declined")))
            elif status == "approved" and rng.random() < 0.4:
                a_dec = "accepted"
            acted = status != "suggested"
            rows.append((achievement.pk, need.pk, round(total, 6), json.dumps(components),
                         json.dumps(reasons, ensure_ascii=False), "[]", status, a_dec, n_dec, "",
                         "不再考虑" if status == "declined" else "", staff if acted else None, now if acted else None,
                         now if status in ("in_contact", "deal") else None, now, now))  # fmt: skip
            if status == "deal":
                deals.append((achievement.pk, need.pk))
    with transaction.atomic():
        insert_rows(Match, ["achievement", "need", "score", "components", "reasons", "broken", "status",
                            "achievement_decision", "need_decision", "review_reason", "decline_reason", "reviewed_by",
                            "reviewed_at", "contact_revealed_at", "created_at", "updated_at"], rows)  # fmt: skip
        match_ids = {(a, n): pk for pk, a, n in Match.objects.filter(status="deal").values_list(
            "pk", "achievement_id", "need_id")}  # fmt: skip
        today = timezone.localdate()
        Agreement.objects.bulk_create([
            Agreement(match_id=match_ids[pair], achievement_id=pair[0], need_id=pair[1],
                      mode=rng.choice(genlib.MODES[:3]), amount_wan=Decimal(rng.randint(20, 800)),
                      signed_on=today - timedelta(days=rng.randint(1, 300)), recorded_by_id=staff)
            for pair in deals if pair in match_ids
        ], batch_size=2000)  # fmt: skip
    counts = {"matches": len(rows), "agreements": len(deals)}
    for status, _w in MATCH_STATUS:
        counts[status] = sum(1 for r in rows if r[6] == status)
    return None, counts


# --- events ------------------------------------------------------------------------------------------------------
EVENT_TITLES = {
    "roadshow": ["{city}高校科技成果路演专场", "{domain}领域成果发布与路演", "{city}科技成果直通车路演"],
    "docking": ["{city}产学研对接会（{domain}专场）", "{cluster}技术需求对接会", "{domain}供需对接洽谈会"],
    "financing": ["{city}科技企业融资路演", "{domain}成果转化投融资对接会"],
}
CLUSTERS = ["长三角", "长三角G60科创走廊", "京津冀", "粤港澳大湾区", "黄河流域", "长江中游城市群", "成渝地区双城经济圈"]


def _events(rng: random.Random, options: Options, orgs: list[Org]) -> tuple[None, dict[str, int]]:
    total = options.events if options.events is not None else max(4, options.needs // 1000)
    per_event = (options.registrations // total) if options.registrations is not None and total else 100
    organisers = [o for o in orgs if o.kind == "organiser"] or orgs[:1]
    participants = [(o, u) for o in orgs for u in o.users]
    _parent, names = genlib.taxonomy()
    tops = sorted(set(genlib.taxonomy()[0].values()))
    now = timezone.now()
    events, plan = [], []
    for _n in range(total):
        organiser = rng.choice(organisers)
        kind = rng.choices(["roadshow", "docking", "financing"], weights=(4, 5, 1))[0]
        top = rng.choice(tops)
        starts = (now + timedelta(days=rng.randint(-90, 120), hours=rng.randint(0, 8))).replace(
            hour=9 if rng.random() < 0.6 else 14, minute=0, second=0, microsecond=0)  # fmt: skip
        capacity = rng.choice((30, 50, 80, 100, 150, 200, 300))
        past = starts < now
        title = rng.choice(EVENT_TITLES[kind]).format(city=organiser.place.zh, domain=names[top][0],
                                                      cluster=rng.choice(CLUSTERS))  # fmt: skip
        events.append(Event(
            kind=kind, title=title[:200], organizer_id=organiser.pk, city_id=organiser.place.city,
            description=f"{title}，由主办方组织高校院所与企业面对面交流，欢迎报名。",
            venue=f"{organiser.place.zh}科技会展中心",
            starts_at=starts, ends_at=starts + timedelta(hours=rng.choice((3, 4, 6))),
            registration_opens_at=starts - timedelta(days=30), registration_closes_at=starts - timedelta(hours=12),
            capacity=capacity, status="finished" if past else rng.choices(["published", "draft"], weights=(9, 1))[0],
            created_by_id=organiser.owner or None,
        ))  # fmt: skip
        plan.append(top)
    with transaction.atomic():
        events = Event.objects.bulk_create(events, batch_size=1000)
        insert_rows(
            Event.domains.through, ["event", "domain"], ((e.pk, top) for e, top in zip(events, plan, strict=True))
        )
        registrations: list[Registration] = []
        confirmed_counts: dict[int, int] = {}
        for event in events:
            if event.status == "draft" or not participants:
                continue
            wanted = min(len(participants), max(1, int(per_event * rng.uniform(0.6, 1.4))))
            people = rng.sample(participants, wanted)
            confirmed = min(event.capacity, wanted)
            confirmed_counts[event.pk] = confirmed
            for k, (org, user) in enumerate(people):
                registrations.append(Registration(
                    event_id=event.pk, organization_id=org.pk, person_name=genlib.person_name(rng),
                    person_email=f"p{user}@bench.example.cn", registered_by_id=user,
                    status="confirmed" if k < confirmed else "waiting",
                    checked_in_at=event.starts_at if event.status == "finished" and k < confirmed and rng.random() < .8
                    else None,
                ))  # fmt: skip
        registrations = Registration.objects.bulk_create(registrations, batch_size=5000)
        for pk, count in confirmed_counts.items():
            Event.objects.filter(pk=pk).update(confirmed_count=count)
        meetings, seats = _meetings(rng, [e for e in events if e.kind == "docking" and e.pk in confirmed_counts],
                                    registrations)  # fmt: skip
    counts = {"events": len(events), "registrations": len(registrations),
              "confirmed": sum(1 for r in registrations if r.status == "confirmed"),
              "waiting": sum(1 for r in registrations if r.status == "waiting"), "meetings": meetings,
              "seats": seats}  # fmt: skip
    return None, counts


def _meetings(rng: random.Random, events: list[Event], registrations: list[Registration]) -> tuple[int, int]:
    """Slots and tables for each docking event, accepted meetings placed so that no table and no participant is
    taken twice in a slot, and some requests still open or declined."""
    by_event: dict[int, list[Registration]] = defaultdict(list)
    for r in registrations:
        if r.status == "confirmed":
            by_event[r.event_id].append(r)
    slots = MeetingSlot.objects.bulk_create([
        MeetingSlot(event_id=e.pk, starts_at=e.starts_at + timedelta(minutes=30 * k),
                    ends_at=e.starts_at + timedelta(minutes=30 * k + 25))
        for e in events for k in range(6)
    ])  # fmt: skip
    tables = MeetingTable.objects.bulk_create([MeetingTable(event_id=e.pk, name=f"{k + 1}号桌") for e in events
                                               for k in range(8)])  # fmt: skip
    slots_of: dict[int, list[MeetingSlot]] = defaultdict(list)
    tables_of: dict[int, list[MeetingTable]] = defaultdict(list)
    for s in slots:
        slots_of[s.event_id].append(s)
    for t in tables:
        tables_of[t.event_id].append(t)
    meetings, placed = [], []
    pairs: set[tuple[int, int]] = set()  # at most one open request or meeting between two people

    def first_between(a: Registration, b: Registration) -> bool:
        key = (min(a.pk, b.pk), max(a.pk, b.pk))
        if key in pairs:
            return False
        pairs.add(key)
        return True

    for event in events:
        people = by_event[event.pk]
        if len(people) < 2:
            continue
        for slot in slots_of[event.pk]:
            free = rng.sample(people, min(len(people), 2 * len(tables_of[event.pk])))
            for table, pair in zip(tables_of[event.pk], zip(free[::2], free[1::2], strict=False), strict=False):
                if rng.random() < 0.6 and first_between(*pair):
                    meetings.append(Meeting(event_id=event.pk, requester_id=pair[0].pk, invitee_id=pair[1].pk,
                                            status="accepted", slot_id=slot.pk, table_id=table.pk,
                                            responded_at=event.starts_at))  # fmt: skip
                    placed.append((pair, slot))
        for _ in range(len(people) // 4):
            a, b = rng.sample(people, 2)
            status = rng.choice(("requested", "requested", "declined"))
            if status == "declined" or first_between(a, b):
                meetings.append(Meeting(event_id=event.pk, requester_id=a.pk, invitee_id=b.pk, status=status,
                                        note="希望交流合作"))  # fmt: skip
    meetings = Meeting.objects.bulk_create(meetings, batch_size=5000)
    accepted = [m for m in meetings if m.status == "accepted"]
    seats = [MeetingSeat(meeting_id=m.pk, registration_id=r.pk, slot_id=slot.pk)
             for m, (pair, slot) in zip(accepted, placed, strict=True) for r in pair]  # fmt: skip
    MeetingSeat.objects.bulk_create(seats, batch_size=5000)
    return len(meetings), len(seats)


def main(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    print(f"database: {connection.settings_dict['NAME']}", flush=True)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrate: {time.perf_counter() - started:.1f} s", flush=True)
    if Achievement.objects.exists() or Need.objects.exists():
        raise SystemExit("the database already holds postings: --reset to start again")
    options = Options(achievements=args.achievements, needs=args.needs, organisations=args.organisations,
                      users_per_org=args.users_per_org, matches=args.matches, match=args.match, events=args.events,
                      registrations=args.registrations, seed=args.seed, password=args.password,
                      workers=args.workers)  # fmt: skip
    report = generate(options)
    wall = time.perf_counter() - started
    print(f"wall time: {wall:.1f} s (migrate and generate); postings: "
          f"{Achievement.objects.count():,} achievements, {Need.objects.count():,} needs; "
          f"login: staff@bench.example.cn or u<n>-<k>@org<n>.example.cn, password {args.password!r}")  # fmt: skip
    del report


if __name__ == "__main__":
    main(_ARGS)
