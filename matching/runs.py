"""Running the engine and saving what it suggests. Commands, Celery tasks and admin all call these.

A run has two steps, each safe to repeat:
1. tokenise: the postings whose text (or the tokenizer's settings) changed get a new token bag in ``RecordTokens``;
   a full rebuild splits this step into chunks that workers run in parallel;
2. finish: a full run fits the engine on every published posting from the cached bags (streamed, a chunk at a
   time), ranks everything, explains and writes the kept pairs in blocks (``MatchWriter``: COPY and one upsert per
   block on PostgreSQL), removes the suggestions it no longer makes, and saves the fitted state that incremental
   runs reuse (``matching.incremental``). An incremental run (a publication, a bulk import, ``run_matching``) adds
   the new records to that kept state and ranks them alone, without a re-fit.
A match someone acted on is never touched; a repeated run writes the same pairs again, never a duplicate. As it
finishes, a run applies the release rule to the suggestions it made (``services.matches_release``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields as dataclass_fields
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg import errors as psycopg_errors

from accounts.models import User
from marketplace.models import Achievement, Need

from . import adapters, explaining, incremental, pending, services
from .engine import AchievementRecord, MatchingEngine, NeedRecord, RankedPairs
from .engine.state import EngineState, use_records
from .engine.text import DATA_DIR
from .engine.vectors import Bag
from .models import Match, MatchingConfig, MatchRun, RecordTokens

logger = logging.getLogger(__name__)
KINDS = {RecordTokens.Kind.ACHIEVEMENT: Achievement, RecordTokens.Kind.NEED: Need}
# Pairs explained and written per block of a full rebuild: bounded memory (a block's reasons are a few tens of MB).
WRITE_BLOCK = 20_000
# A full run writing at least this many pairs into an empty match table builds its ordering indexes afterwards.
DEFER_INDEXES_FROM = 500_000


@cache
def _lexicon_version() -> str:
    path = DATA_DIR / "glossary.tsv"
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()[:12] if path.exists() else "-"


def _fingerprint(record: AchievementRecord | NeedRecord, engine: MatchingEngine) -> str:
    c = engine.config
    text = "\x1f".join(
        [record.title, record.text, "\x1e".join(record.keywords), _lexicon_version(),
         f"{c.title_weight}:{c.keyword_weight}:{c.body_weight}:{c.bridge_weight}:{c.cedict_weight}:{c.bigram_weight}"]
    )  # fmt: skip
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def new_engine() -> MatchingEngine:
    return MatchingEngine(
        adapters.taxonomy_from_db(), adapters.geography_from_db(), MatchingConfig.get_solo().engine_config()
    )


def tokens_refresh(*, kind: str, posting_ids: Sequence[int], engine: MatchingEngine | None = None) -> int:
    """Compute and keep the token bags of these postings whose fingerprint changed; returns how many changed."""
    engine = engine or new_engine()
    model = KINDS[RecordTokens.Kind(kind)]
    changed = 0
    for start in range(0, len(posting_ids), settings.MATCHING_CHUNK_SIZE):
        chunk = list(posting_ids[start : start + settings.MATCHING_CHUNK_SIZE])
        postings = model.objects.filter(pk__in=chunk).prefetch_related("domains")
        cached = dict(
            RecordTokens.objects.filter(kind=kind, posting_id__in=chunk).values_list("posting_id", "fingerprint")
        )
        stale = []
        for posting in postings:
            record = adapters.records([posting])[0]
            fingerprint = _fingerprint(record, engine)
            if cached.get(posting.pk) != fingerprint:
                stale.append((posting.pk, record, fingerprint))
        _keep_tokens(_tokens(kind, stale, engine))
        changed += len(stale)
    return changed


_BAG_ENGINE: MatchingEngine | None = None


def _bag_of(record: AchievementRecord | NeedRecord) -> Bag:
    assert _BAG_ENGINE is not None  # noqa: S101 - set before the pool forks
    return _BAG_ENGINE.bag(record)


class _Bagger:
    """Computes token bags: in forked processes when there are many and this process may fork (a command running
    no other thread; not a Celery prefork child: workers share a rebuild's tokenising as chunk tasks instead). The
    pool is forked once, at the first large batch, and serves every later one (a full rebuild's chunks)."""

    def __init__(self, engine: MatchingEngine) -> None:
        self.engine = engine
        self.pool: Any = None

    def bags(self, records: list[Any]) -> list[Bag]:
        return self.start(records).get()

    def start(self, records: list[Any]) -> Any:
        """Begin computing the bags of ``records``; the result's ``get()`` returns them. In the pool they are
        computed while this process goes on (a rebuild writes and encodes one chunk while the next is tokenised)."""
        global _BAG_ENGINE
        processes = min(os.cpu_count() or 1, 4)
        alone = threading.active_count() == 1 and not multiprocessing.current_process().daemon
        if self.pool is None and (len(records) < 500 or processes < 2 or not alone):
            return _Done([self.engine.bag(record) for record in records])
        if self.pool is None:
            _BAG_ENGINE = self.engine
            self.pool = multiprocessing.get_context("fork").Pool(processes)
        return self.pool.map_async(_bag_of, records, chunksize=32)

    def close(self) -> None:
        global _BAG_ENGINE
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None
        _BAG_ENGINE = None


class _Done:
    """Bags computed at once, with the interface of a pool's pending result."""

    def __init__(self, bags: list[Bag]) -> None:
        self.bags = bags

    def get(self) -> list[Bag]:
        return self.bags


def _tokens(
    kind: str, stale: list[tuple[int, Any, str]], engine: MatchingEngine, bagger: _Bagger | None = None
) -> list[RecordTokens]:
    """New token bags of (posting id, record, fingerprint), by ``bagger`` (or one of its own for this call)."""
    own = bagger is None
    bagger = bagger or _Bagger(engine)
    try:
        bags = bagger.bags([record for _, record, _ in stale])
    finally:
        if own:
            bagger.close()
    return [RecordTokens(kind=kind, posting_id=pk, fingerprint=fingerprint, bag=bag)
            for (pk, _, fingerprint), bag in zip(stale, bags, strict=True)]  # fmt: skip


def _keep_tokens(tokens: list[RecordTokens]) -> None:
    """Insert or replace these bags. On PostgreSQL they are COPYed into a temporary table and upserted from it:
    ``bulk_create`` binds every bag as a quoted literal on the client, which took most of a first rebuild's time."""
    if not tokens:
        return
    if connection.vendor != "postgresql":
        RecordTokens.objects.bulk_create(
            tokens,
            update_conflicts=True,
            unique_fields=["kind", "posting_id"],
            update_fields=["fingerprint", "bag", "updated_at"],
        )
        return
    encode = json.JSONEncoder(ensure_ascii=False).encode
    text = "".join(f"{t.kind}\t{t.posting_id}\t{t.fingerprint}\t{copy_text(encode(t.bag))}\n" for t in tokens)
    table = connection.ops.quote_name(RecordTokens._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS matching_tokens_stage (kind varchar(1), posting_id bigint, "
            "fingerprint varchar(40), bag jsonb) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE matching_tokens_stage")
        with cursor.cursor.copy("COPY matching_tokens_stage (kind, posting_id, fingerprint, bag) FROM STDIN") as copy:
            copy.write(text)
        cursor.execute(
            f"INSERT INTO {table} (kind, posting_id, fingerprint, bag, updated_at) "  # noqa: S608 - the model's table
            "SELECT kind, posting_id, fingerprint, bag, %s FROM matching_tokens_stage "
            "ON CONFLICT (kind, posting_id) DO UPDATE SET fingerprint = excluded.fingerprint, bag = excluded.bag, "
            "updated_at = excluded.updated_at",
            [timezone.now()],
        )


def tokens_of(kind: str, posting_ids: Sequence[int], engine: MatchingEngine) -> dict[int, tuple[str, Bag]]:
    """The fingerprint and bag of each of these postings, tokenising those not yet (or no longer) cached."""
    tokens_refresh(kind=kind, posting_ids=posting_ids, engine=engine)
    return {
        pk: (fingerprint, bag)
        for pk, fingerprint, bag in RecordTokens.objects.filter(kind=kind, posting_id__in=list(posting_ids))
        .values_list("posting_id", "fingerprint", "bag")
        .iterator(chunk_size=2000)
    }


def run_chunks(run: MatchRun) -> list[tuple[str, list[int]]]:
    """The tokenising work of a run, in chunks of posting ids (every published posting for a full rebuild)."""
    chunks = []
    for kind, model in KINDS.items():
        ids = list(adapters.published(model).values_list("pk", flat=True))
        size = settings.MATCHING_CHUNK_SIZE
        chunks.extend((kind.value, ids[i : i + size]) for i in range(0, len(ids), size))
    return chunks


def run_start(*, kind: str, trigger: str, by: User | None = None, total: int = 0) -> MatchRun:
    """A new run. Runs left pending or running past their timeout (their worker died) are marked failed first, so
    that none stays "running" for ever and a refit is not held back by a dead one (the sweep does it too)."""
    pending.runs_fail_stuck()
    return MatchRun.objects.create(kind=kind, trigger=trigger, triggered_by=by, progress_total=total)


def run_tokenize_chunk(*, run_id: int, kind: str, posting_ids: Sequence[int]) -> None:
    """One chunk of the tokenising step (idempotent: a repeated chunk finds its bags already fresh)."""
    MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.PENDING).update(
        status=MatchRun.Status.RUNNING, started_at=timezone.now()
    )
    tokens_refresh(kind=kind, posting_ids=posting_ids)
    MatchRun.objects.filter(pk=run_id, progress_done__lt=F("progress_total")).update(
        progress_done=F("progress_done") + 1
    )


# --- fitting ---------------------------------------------------------------------------------------------------
_Item = tuple[int, Any, str]  # a posting's id, record and fingerprint


def _side_input(kind: str, engine: MatchingEngine, records: list, marks: list[str], bagger: _Bagger) -> Iterator[Bag]:
    """The bags of every published posting of one side in primary-key order, a chunk of postings at a time (their
    records and bag fingerprints appended to ``records`` and ``marks`` as they go); bags missing or stale are
    computed and kept first. Nothing of the whole side is held but the records.

    Bags are always read back from ``RecordTokens``, fresh ones too: the order of a bag's tokens decides ties (which
    terms pruning keeps, which columns come first), and PostgreSQL's JSON keeps keys in an order of its own, so a fit
    on fresh bags and a fit on the same bags read back would differ in the last digits."""
    model = KINDS[RecordTokens.Kind(kind)]
    ids = list(adapters.published(model).values_list("pk", flat=True))
    size = settings.MATCHING_CHUNK_SIZE

    def finish(chunk_records: list[_Item], stale: list[_Item], pending: Any) -> Iterator[Bag]:
        _keep_tokens([RecordTokens(kind=kind, posting_id=pk, fingerprint=fingerprint, bag=bag)
                      for (pk, _, fingerprint), bag in zip(stale, pending.get(), strict=True)])  # fmt: skip
        bags = dict(
            RecordTokens.objects.filter(kind=kind, posting_id__in=[pk for pk, _, _ in chunk_records]).values_list(
                "posting_id", "bag"
            )
        )
        for pk, record, fingerprint in chunk_records:
            records.append(record)
            marks.append(fingerprint)
            yield bags[pk]

    # Each chunk is tokenised (in the pool) while the one before it is kept, read back and encoded.
    previous = None
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        cached = dict(
            RecordTokens.objects.filter(kind=kind, posting_id__in=chunk).values_list("posting_id", "fingerprint")
        )
        chunk_records = [
            (pk, record, _fingerprint(record, engine)) for pk, record in adapters.live_records(model, chunk)
        ]
        stale = [item for item in chunk_records if cached.get(item[0]) != item[2]]
        current = (chunk_records, stale, bagger.start([record for _, record, _ in stale]))
        if previous is not None:
            yield from finish(*previous)
        previous = current
    if previous is not None:
        yield from finish(*previous)


def fit_published(engine: MatchingEngine) -> dict[str, list[str]]:
    """Fit the engine on every published posting from the cached bags (tokenising any that are missing), streamed a
    chunk at a time; returns each side's bag fingerprints, row by row."""
    records: dict[str, list] = {"a": [], "n": []}
    marks: dict[str, list[str]] = {"a": [], "n": []}
    bagger = _Bagger(engine)
    try:
        counts = {
            kind: engine.vectorizer.encode(_side_input(kind, engine, records[kind], marks[kind], bagger))
            for kind in "an"
        }
    finally:
        bagger.close()
    engine.fit(records["a"], records["n"], achievement_counts=counts["a"], need_counts=counts["n"])
    return marks


# --- writing ---------------------------------------------------------------------------------------------------
def reason_dict(reason: Any) -> dict[str, Any]:
    values = {name: getattr(reason, name) for name in _reason_fields(type(reason))}
    if isinstance(values.get("value"), float):
        values["value"] = round(values["value"], 4)  # as the components are kept
    return values


@cache
def _reason_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclass_fields(cls))


def explain_json(engine: MatchingEngine, pairs: RankedPairs) -> list[str]:
    """The reasons of each of ``pairs`` (fitted or added rows of ``engine``) as the JSON kept in ``Match.reasons``."""
    for side in (engine.achievements, engine.needs):
        prefetch = getattr(side, "prefetch", None)
        if prefetch is not None:
            prefetch(pairs.achievement if side is engine.achievements else pairs.need)
    encode = json.JSONEncoder(ensure_ascii=False).encode
    explained = engine.explain_many(as_stored(pairs))
    # The reasons of components other than text are shared between pairs (one object per distinct value): each is
    # encoded once. The objects all live until the end of this call, so their ids name them.
    fragments: dict[int, str] = {}

    def fragment(reason: Any) -> str:
        found = fragments.get(id(reason))
        if found is None:
            found = fragments[id(reason)] = encode(reason_dict(reason))
        return found

    return ["[" + ", ".join(fragment(reason) for reason in reasons) + "]" for reasons in explained]


def as_stored(pairs: RankedPairs) -> RankedPairs:
    """The pairs with their components as they are kept (4 decimals): reasons made now and reasons made later from
    the stored components say the same (a 2.5% is not 3% in one and 2% in the other)."""
    return RankedPairs(
        need=pairs.need, achievement=pairs.achievement, total=pairs.total, broken=pairs.broken,
        components={k: np.round(np.asarray(v, np.float64), 4) for k, v in pairs.components.items()},
    )  # fmt: skip


def match_rows(
    engine: MatchingEngine, pairs: RankedPairs, explain: np.ndarray | None = None
) -> list[tuple[int, int, float, str, str, str | None]]:
    """The rows of ``pairs`` (fitted or added rows of ``engine``) as written: achievement id, need id, score, and
    components, broken constraints and reasons as JSON. With ``explain`` (a mask), only those pairs are explained
    now; the others' reasons are None, written later (``matching.explaining``). Built a column at a time: a full
    rebuild writes millions of rows."""
    if explain is None:
        explained: list[str | None] = list(explain_json(engine, pairs))
    else:
        explained = [None] * len(pairs)
        chosen = np.flatnonzero(explain)
        for i, text in zip(chosen.tolist(), explain_json(engine, pairs.subset(chosen)) if len(chosen) else [],
                           strict=True):  # fmt: skip
            explained[i] = text
    names = list(pairs.components)
    values = np.round(np.column_stack([pairs.components[k] for k in names]).astype(np.float64), 4).tolist()
    # As json.dumps writes the dict of components (floats as repr), without building the dicts.
    template = "{" + ", ".join(f"{json.dumps(name)}: %r" for name in names) + "}"
    components = [template % tuple(row) for row in values]
    constraints = list(pairs.broken)
    codes = np.zeros(len(pairs), np.int64)
    for bit, name in enumerate(constraints):
        codes |= np.asarray(pairs.broken[name], bool).astype(np.int64) << bit
    table = [json.dumps([name for bit, name in enumerate(constraints) if code >> bit & 1])
             for code in range(1 << len(constraints))]  # fmt: skip
    broken = [table[code] for code in codes.tolist()]
    totals = np.round(pairs.total.astype(np.float64), 6).tolist()
    return list(zip(_ids(engine.achievements, pairs.achievement), _ids(engine.needs, pairs.need), totals, components,
                    broken, explained, strict=True))  # fmt: skip


def _ids(side: Any, rows: np.ndarray) -> list[int]:
    """The posting ids of these rows of one side of the engine."""
    refs = getattr(side, "refs", None)
    if refs is not None:
        return [int(refs[row]) for row in rows.tolist()]
    return [int(side[row].ref) for row in rows.tolist()]


def _id_array(side: Any) -> np.ndarray:
    """The posting ids of every row of one side of the engine, as an array."""
    refs = getattr(side, "refs", None)
    return np.array([int(ref) for ref in refs] if refs is not None else [int(r.ref) for r in side], np.int64)


class MatchWriter:
    """Writes kept pairs in blocks: a new pair is created, a suggested one updated (score, components, reasons,
    run), a pair someone acted on left as it is. On PostgreSQL a block is COPYed into a temporary table and upserted
    with one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE status = 'suggested'``; elsewhere the same upsert runs
    row by row. Each block commits on its own: a long rebuild holds no lock on matches staff are acting on.

    With ``skip_unchanged`` (a full run) a suggestion whose score, components and broken constraints are what the
    run found is not written again (a nightly rebuild finds most pairs as they were); the run then removes stale
    suggestions by the pairs it kept (``remove_stale(keep=...)``), not by which rows it wrote.

    With ``existing`` (the sorted ``pair_keys`` of every row the table held when the run began writing), pairs not
    among them are COPYed straight into the table, without the staging table and the conflict check (a first
    rebuild writes millions); a pair another run inserted meanwhile makes that block fall back to the upsert."""

    PROVIDED = ("achievement_id", "need_id", "score", "components", "broken", "reasons")

    def __init__(self, run: MatchRun, *, skip_unchanged: bool = False, existing: np.ndarray | None = None) -> None:
        self.run = run
        self.existing = existing
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.postgres = connection.vendor == "postgresql"
        table = connection.ops.quote_name(Match._meta.db_table)
        quote = connection.ops.quote_name
        columns, values, self.defaults = [], [], []
        for field in Match._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(quote(field.column))
            if field.column in self.PROVIDED:
                values.append(f"s.{quote(field.column)}" if self.postgres else "%s")
            elif field.column == "run_id":
                values.append("%s")
                self.defaults.append(run.pk)
            elif field.column in ("created_at", "updated_at"):
                values.append("%s")
                self.defaults.append("now")
            else:
                values.append("%s")
                self.defaults.append(field.get_db_prep_save(field.get_default(), connection))
        # A pair left unexplained keeps the reasons it had when its score did not change (a nightly rebuild).
        reasons = (
            f"{quote('reasons')} = CASE WHEN excluded.{quote('reasons')} IS NULL AND {table}.{quote('score')} = "
            f"excluded.{quote('score')} THEN {table}.{quote('reasons')} ELSE excluded.{quote('reasons')} END"
        )
        updates = ", ".join(
            [f"{quote(c)} = excluded.{quote(c)}" for c in ("score", "components", "broken", "run_id", "updated_at")]
            + [reasons]
        )
        changed = ""
        if skip_unchanged:
            changed = " AND (" + " OR ".join(
                [f"{table}.{quote(c)} <> excluded.{quote(c)}" for c in ("score", "components", "broken")]
                + [f"({table}.{quote('reasons')} IS NULL AND excluded.{quote('reasons')} IS NOT NULL)"]
            ) + ")"  # fmt: skip
        conflict = (
            f"ON CONFLICT ({quote('achievement_id')}, {quote('need_id')}) DO UPDATE SET {updates} "
            f"WHERE {table}.{quote('status')} = '{Match.Status.SUGGESTED.value}'{changed}"
        )
        if self.postgres:
            # Names come from the model's metadata; values are parameters.
            select = f"SELECT {', '.join(values)} FROM matching_stage s"  # noqa: S608
            self.sql = f"INSERT INTO {table} ({', '.join(columns)}) {select} {conflict} RETURNING (xmax = 0)"
        else:
            self.sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(values)}) {conflict}"  # noqa: S608
        self.columns = columns
        self.copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.copy_order = [c.strip('"') for c in columns]

    def _defaults(self, now: Any) -> list[Any]:
        stamp = connection.ops.adapt_datetimefield_value(now)
        return [stamp if value == "now" else value for value in self.defaults]

    def write(self, rows: Sequence[tuple[int, int, float, str, str, str]]) -> None:
        if not rows:
            return
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            if self.postgres:
                self._write_postgres(cursor, rows, now)
            else:
                self._write_generic(cursor, rows, now)

    def _write_postgres(self, cursor: Any, rows: Sequence[tuple], now: Any) -> None:
        if self.existing is not None:
            keys = pair_keys([row[0] for row in rows], [row[1] for row in rows])
            known = _member(keys, self.existing)
            fresh = [row for row, old in zip(rows, known.tolist(), strict=True) if not old]
            if fresh:
                try:
                    with transaction.atomic():
                        self._copy_new(cursor, fresh, now)
                except IntegrityError:  # another run inserted one of these pairs meanwhile: upsert them instead
                    self._upsert_postgres(cursor, fresh, now)
                if len(fresh) == len(rows):
                    return
                rows = [row for row, old in zip(rows, known.tolist(), strict=True) if old]
        self._upsert_postgres(cursor, rows, now)

    def _copy_new(self, cursor: Any, rows: Sequence[tuple], now: Any) -> None:
        """COPY rows of pairs the table does not hold straight into it (every column: the run's defaults)."""
        defaults = iter(self._defaults(now))
        fixed = {c: _copy_field(next(defaults)) for c in self.copy_order if c not in self.PROVIDED}
        template = "\t".join("{" + c + "}" if c in self.PROVIDED else fixed[c].replace("{", "{{").replace("}", "}}")
                             for c in self.copy_order) + "\n"  # fmt: skip
        text = "".join(
            template.format(achievement_id=a, need_id=n, score=repr(score), components=components, broken=broken,
                            reasons=_NULL if reasons is None else copy_text(reasons))
            for a, n, score, components, broken, reasons in rows
        )  # fmt: skip
        try:
            with cursor.cursor.copy(self.copy_sql) as copy:
                copy.write(text)
        except psycopg_errors.UniqueViolation as error:
            raise IntegrityError(str(error)) from error
        self.created += len(rows)

    def _upsert_postgres(self, cursor: Any, rows: Sequence[tuple], now: Any) -> None:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS matching_stage (achievement_id bigint, need_id bigint, "
            "score double precision, components jsonb, broken jsonb, reasons jsonb) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE matching_stage")  # emptied on commit, but a block may run inside a longer transaction
        # Components and broken constraints are JSON of numbers and names: no backslash to escape for COPY.
        text = "".join(
            f"{a}\t{n}\t{score!r}\t{components}\t{broken}\t{_NULL if reasons is None else copy_text(reasons)}\n"
            for a, n, score, components, broken, reasons in rows
        )
        with cursor.cursor.copy(
            "COPY matching_stage (achievement_id, need_id, score, components, broken, reasons) FROM STDIN"
        ) as copy:
            copy.write(text)
        cursor.execute(self.sql, self._defaults(now))
        inserted = sum(1 for (created,) in cursor.fetchall() if created)
        written = cursor.rowcount if cursor.rowcount >= 0 else len(rows)
        self.created += inserted
        self.updated += written - inserted
        self.unchanged += len(rows) - written

    def _write_generic(self, cursor: Any, rows: Sequence[tuple], now: Any) -> None:
        table = connection.ops.quote_name(Match._meta.db_table)
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - the model's table name
        before = cursor.fetchone()[0]
        defaults = self._defaults(now)
        params = []
        for row in rows:
            values = dict(zip(self.PROVIDED, row, strict=True))
            it = iter(defaults)
            params.append([values[c.strip('"`')] if c.strip('"`') in values else next(it) for c in self.columns])
        cursor.executemany(self.sql, params)
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - the model's table name
        created = cursor.fetchone()[0] - before
        self.created += created
        self.updated += len(rows) - created  # at most: a pair someone acted on is counted but left as it was

    def counts(self) -> dict[str, int]:
        counts = {"created": self.created, "updated": self.updated}
        if self.unchanged:
            counts["unchanged"] = self.unchanged
        return counts


_NULL = "\\N"


def _copy_field(value: Any) -> str:
    """A column's default in COPY's text format."""
    if value is None:
        return _NULL
    if isinstance(value, datetime):
        return value.isoformat()
    return copy_text(str(value)).replace("\t", "\\t").replace("\n", "\\n")


def copy_text(value: str) -> str:
    """A value in COPY's text format (JSON from ``json.dumps`` holds no raw tab or newline, only backslashes)."""
    return value.replace("\\", "\\\\")


def pair_keys(achievement_ids: Sequence[int] | np.ndarray, need_ids: Sequence[int] | np.ndarray) -> np.ndarray:
    """One int64 per (achievement id, need id) pair, for set operations on millions of pairs."""
    return (np.asarray(achievement_ids, np.int64) << 32) | np.asarray(need_ids, np.int64)


def remove_stale(
    run: MatchRun, *, before: Any, keep: np.ndarray | None = None, existing: np.ndarray | None = None, **scope: Any
) -> int:
    """Delete the suggestions (only those: acted-on matches stay) that this run did not keep and nothing wrote
    since it started (``before``), a batch at a time; ``scope`` narrows them (e.g. ``need_id=...``). Without
    ``keep`` (the sorted ``pair_keys`` of what the run kept), what the run did not write: ranges of run ids, so
    that after a run which wrote most rows the run index finds the few others."""
    if keep is None:
        other_runs = Q(run_id__lt=run.pk) | Q(run_id__gt=run.pk) | Q(run__isnull=True)
        stale = Match.objects.filter(other_runs, status=Match.Status.SUGGESTED, updated_at__lt=before, **scope)
        ids = np.fromiter(stale.values_list("pk", flat=True).iterator(chunk_size=20_000), dtype=np.int64)
    else:
        ids = _not_kept(keep, before, existing=existing, **scope)
    removed = 0
    for start in range(0, len(ids), 5000):
        batch = Match.objects.filter(pk__in=ids[start : start + 5000].tolist(), status=Match.Status.SUGGESTED)
        removed += batch.delete()[1].get(Match._meta.label, 0)
    return removed


def existing_keys(queryset: Any = None) -> np.ndarray:
    """The sorted ``pair_keys`` of the matches of ``queryset`` (every match by default), COPYed out as one column on
    PostgreSQL (millions of rows: no tuple per row)."""
    queryset = Match.objects.all() if queryset is None else queryset
    if connection.vendor != "postgresql":
        rows = np.array(list(queryset.values_list("achievement_id", "need_id")), np.int64).reshape(-1, 2)
        return np.sort(pair_keys(rows[:, 0], rows[:, 1]))
    sql, params = queryset.values_list("achievement_id", "need_id").query.sql_with_params()
    with connection.cursor() as cursor:
        chunks = []
        # The query is Django's own, its values bound by psycopg.
        with cursor.cursor.copy(f"COPY (SELECT (t.achievement_id::bigint << 32) | t.need_id FROM ({sql}) t) TO STDOUT",  # noqa: S608
                                params) as copy:  # fmt: skip
            chunks.extend(bytes(data) for data in copy)
    return np.sort(np.array(b"".join(chunks).split(), np.int64))


def _not_kept(keep: np.ndarray, before: Any, existing: np.ndarray | None = None, **scope: Any) -> np.ndarray:
    """Ids of the suggestions last written before ``before`` whose pair is not in ``keep`` (sorted pair keys). The
    table's pair keys (``existing``, when the caller read them before it wrote) are compared with ``keep`` in NumPy
    and the few stale pairs looked up again through the pair index."""
    older = Match.objects.filter(status=Match.Status.SUGGESTED, updated_at__lt=before, **scope)
    if connection.vendor != "postgresql":
        rows = np.array(list(older.values_list("pk", "achievement_id", "need_id")), np.int64).reshape(-1, 3)
        return rows[~_member(pair_keys(rows[:, 1], rows[:, 2]), keep), 0]
    found = existing_keys(older) if existing is None else existing
    with connection.cursor() as cursor:
        stale = found[~_member(found, keep)]
        ids: list[int] = []
        table = connection.ops.quote_name(Match._meta.db_table)
        for start in range(0, len(stale), 5000):
            part = stale[start : start + 5000]
            cursor.execute(
                f"SELECT m.id FROM {table} m JOIN unnest(%s::bigint[], %s::bigint[]) AS s(a, n) "  # noqa: S608
                "ON m.achievement_id = s.a AND m.need_id = s.n WHERE m.status = %s AND m.updated_at < %s",
                [(part >> 32).tolist(), (part & 0xFFFFFFFF).tolist(), Match.Status.SUGGESTED.value, before],
            )
            ids.extend(pk for (pk,) in cursor.fetchall())
    return np.array(ids, np.int64)


def _member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each of ``keys`` is in ``sorted_keys``."""
    if not len(sorted_keys):
        return np.zeros(len(keys), bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


# --- runs ------------------------------------------------------------------------------------------------------
def _finish_full(run: MatchRun) -> dict[str, Any]:
    """Fit on everything, rank, write in blocks, remove what is no longer suggested, save the fitted state, and
    match what was published while this ran. The counts say where the time went (``seconds``)."""
    started = timezone.now()
    fitted_at = time.time()
    clock = _Clock()
    engine = new_engine()
    fingerprint = incremental.fingerprint(engine)
    engine.parallel = True  # a command's process may fork its exact scoring (a Celery child does not: pair_dots)
    marks = fit_published(engine)
    clock.lap("fit")
    pairs = engine.rank()
    clock.lap("rank")
    # Every pair the table holds now: new pairs are COPYed straight in, and those of them not kept are stale.
    existing = existing_keys()
    writer = MatchWriter(run, skip_unchanged=True, existing=existing)
    keep = np.sort(pair_keys(_id_array(engine.achievements)[pairs.achievement], _id_array(engine.needs)[pairs.need]))
    # Blocks of pairs by achievement: each achievement's pairs are explained together (its text is read once for
    # them), and each block's rows land together in the achievement index.
    order = np.lexsort((pairs.need, pairs.achievement))
    now = explaining.explained_now(pairs)
    with _indexes_deferred(first_load=not len(existing) and len(pairs) >= DEFER_INDEXES_FROM):
        with _Behind(writer) as behind:
            for start in range(0, len(pairs), WRITE_BLOCK):
                block = pairs.subset(order[start : start + WRITE_BLOCK])
                rows = match_rows(engine, block, None if now is None else now[order[start : start + WRITE_BLOCK]])
                clock.lap("explain")
                behind.write(rows)
                MatchRun.objects.filter(pk=run.pk).update(
                    counts={"pairs explained": min(start + WRITE_BLOCK, len(pairs))}
                )
                clock.lap("waiting for the database")
        clock.lap("waiting for the database")
    clock.lap("indexing")
    counts: dict[str, Any] = {"achievements": len(engine.achievements), "needs": len(engine.needs),
                              "pairs": len(pairs), **writer.counts()}  # fmt: skip
    counts["explained later"] = 0 if now is None else int(len(now) - np.count_nonzero(now))
    del pairs, order, now
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # a rebuild rewrites most of the table: fresh statistics for the planner
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Match._meta.db_table)}")
    counts["removed"] = remove_stale(run, before=started, keep=keep, existing=existing)
    del keep, existing
    clock.lap("removing")
    state = EngineState(engine, version=f"{run.pk}-{uuid.uuid4().hex[:8]}", fingerprint=fingerprint,
                        fitted_at=fitted_at, marks=marks)  # fmt: skip
    use_records(engine, incremental.LOADERS)
    engine.reserve()
    counts.update(incremental.adopt(state, run))
    clock.lap("state")
    counts["seconds"] = clock.laps
    return counts


@contextmanager
def _indexes_deferred(*, first_load: bool) -> Iterator[None]:
    """On PostgreSQL, every full run first makes sure the match table has its ordering indexes (a run killed while
    they were deferred left them out). A first load (an empty table, millions of pairs) drops them while it writes
    and builds them afterwards: one sort each instead of millions of random inserts."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        present = set(connection.introspection.get_constraints(cursor, Match._meta.db_table))
    with connection.schema_editor() as editor:
        for index in Match._meta.indexes:
            if index.name not in present:
                editor.add_index(Match, index)
    if not first_load:
        yield
        return
    with connection.schema_editor() as editor:
        for index in Match._meta.indexes:
            editor.remove_index(Match, index)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for index in Match._meta.indexes:
                editor.add_index(Match, index)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 2)
        self.last = now


class _Behind:
    """Writes blocks in a thread of its own (with its own connection) while the next block is being explained: the
    database works on one block while Python explains the next. At most two blocks wait, so memory stays bounded.
    Inside a transaction (tests) the blocks are written in this thread, in that transaction."""

    def __init__(self, writer: MatchWriter) -> None:
        self.writer = writer
        self.queue: queue.Queue[list | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Behind:
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name="matching-writer", daemon=True)
            self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while (rows := self.queue.get()) is not None:
                if self.error is None:
                    self.writer.write(rows)
        except BaseException as error:  # handed to the explaining thread, which raises it
            self.error = error
            while self.queue.get() is not None:  # let the producer finish putting
                pass
        finally:
            connection.close()

    def write(self, rows: list) -> None:
        if self.thread is None:
            self.writer.write(rows)
            return
        if self.error is not None:
            raise self.error
        self.queue.put(rows)

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def run_finish(
    *,
    run_id: int,
    record: tuple[str, int] | None = None,
    achievement_ids: Sequence[int] = (),
    need_ids: Sequence[int] = (),
) -> MatchRun:
    """Finish a run. A full run fits and ranks everything; an incremental run ranks the given records (or else
    every record published since the last finished run) against the kept state, or turns into a full run when there
    is no usable state or the batch is too large for one (``matching.incremental``). Repeating a finished run does
    nothing."""
    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.DONE:
        return run
    started = time.perf_counter()
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.RUNNING, started_at=run.started_at or timezone.now()
    )
    run.refresh_from_db()
    try:
        if record is not None:
            kind, pk = record
            achievement_ids, need_ids = ([pk], []) if kind == RecordTokens.Kind.ACHIEVEMENT else ([], [pk])
        counts = None
        if run.kind == MatchRun.Kind.INCREMENTAL:
            since = None if (achievement_ids or need_ids) else _last_finished(run)
            counts = incremental.match_batch(
                run, achievement_ids=achievement_ids, need_ids=need_ids, since=since, everything=not (
                    achievement_ids or need_ids)
            )  # fmt: skip
            if counts is None:  # no usable state, or a batch that is better matched by a full run
                run.kind = MatchRun.Kind.FULL
                MatchRun.objects.filter(pk=run.pk).update(kind=run.kind)
        if counts is None:
            counts = _finish_full(run)
        run.counts = counts
        run.progress_total = max(run.progress_total, 1)
        run.progress_done = run.progress_total
        # The release rule applied to what this run suggested (``services.matches_release``): in bulk, each
        # organisation told once.
        released = services.matches_release(run=run)
        if released:
            run.counts["released"] = released
        run.status = MatchRun.Status.DONE
        # What this run matched leaves the outbox (what was published again since it started stays).
        if run.kind == MatchRun.Kind.FULL:
            pending.pending_clear(before=run.started_at)
        elif achievement_ids or need_ids:
            pending.pending_clear(before=run.created_at, achievement_ids=achievement_ids, need_ids=need_ids)
    except Exception as error:
        run.status, run.error = MatchRun.Status.FAILED, f"{type(error).__name__}: {error}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.duration_seconds = round((run.finished_at - run.started_at).total_seconds(), 3) if run.started_at else (
            round(time.perf_counter() - started, 3)
        )  # fmt: skip
        run.save()
    if run.counts.get("explained later"):
        _explain_rest()
    return run


def _explain_rest() -> None:
    """The workers explain what the full run left unexplained. Where tasks run eagerly (no workers: the embedded
    default) the rest is explained when first shown, or by ``run_matching --explain``."""
    from .tasks import explain_pending_task

    if explaining.tasks_run_eagerly():
        return

    def enqueue() -> None:
        try:
            explain_pending_task.delay()
        except Exception:  # the broker not answering: the reasons are written when first shown instead
            logger.warning("the explaining of a full run's remaining matches could not be queued", exc_info=True)

    transaction.on_commit(enqueue)


def _last_finished(run: MatchRun) -> Any:
    return (
        MatchRun.objects.filter(status=MatchRun.Status.DONE).exclude(pk=run.pk).order_by("-started_at")
        .values_list("started_at", flat=True).first()
    )  # fmt: skip


def match_run_full(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """A full rebuild in this process. The finish tokenises what is not cached as it streams the postings, so the
    separate tokenising chunks (what workers share in a fanned-out rebuild) are not needed here."""
    run = run_start(kind=MatchRun.Kind.FULL, trigger=trigger, by=by, total=1)
    return run_finish(run_id=run.pk)


def match_run_incremental(*, trigger: str = "command", by: User | None = None) -> MatchRun:
    """Match the records published since the last finished run (and any the kept state lacks)."""
    run = run_start(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, by=by, total=1)
    return run_finish(run_id=run.pk)


def match_postings(
    *, achievement_ids: Iterable[int] = (), need_ids: Iterable[int] = (), trigger: str = "publish"
) -> MatchRun:
    """Match newly published (or edited) postings, any number of both sides, in one run."""
    run = run_start(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, total=1)
    return run_finish(run_id=run.pk, achievement_ids=list(achievement_ids), need_ids=list(need_ids))


def match_record(*, kind: str, posting_id: int, trigger: str = "publish") -> MatchRun:
    """Match one newly published (or edited) posting against the other side."""
    run = run_start(kind=MatchRun.Kind.INCREMENTAL, trigger=trigger, total=1)
    return run_finish(run_id=run.pk, record=(kind, posting_id))
