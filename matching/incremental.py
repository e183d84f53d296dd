"""Incremental matching: a publication is matched against the kept fitted state, without a re-fit.

Every full run saves its fitted state (``matching.engine.state``) under ``MATCHING_STATE_DIR`` and names it in its
``counts["state"]``; a process loads the newest one once and keeps it (``current_state``). A batch of newly
published postings (one publication, a bulk import, a bulk approval: one run each) then costs:
1. catching up: the postings published since the fit that this process's state lacks (published by others, seen
   by other processes) are added from their cached token bags, so that every process converges to the same state;
   the batch's own postings are added too (again, when their text changed);
2. ranking the batch's records alone against the other side (``EngineState.rank``: every candidate scored);
3. saving each new record's top K, and, for each record of the other side among its candidates, the pair where it
   beats that record's K-th kept match: the newcomer enters the lists it belongs to;
4. removing the suggestions pushed out: a suggested pair now beyond the K-th of *both* its records (a pair is kept
   when either side keeps it, as in a full run).

When there is no usable state (none yet, or fitted with other settings, taxonomy, places or engine code) the batch
becomes a full run (unless one is already running: it catches up with what was published meanwhile when it ends).
A batch that alone is more than ``MATCHING_REFIT_ADDED`` of the corpus (a first import) is matched by a full run
too: adding it would cost about as much and be weighed with an IDF that does not know it. After a batch, when the
state has drifted past the refit rule (``matching.engine.state.refit_reason``), the run says so in its counts and
the task enqueues a full rebuild, which re-fits; the publication itself never waits for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from marketplace.models import Achievement, Need
from reference.models import Cluster, Domain, PartnerLink

from . import adapters, runs
from .engine import MatchingEngine, RankedPairs
from .engine.core import top_per_group
from .engine.state import EngineState, refit_reason, use_records
from .models import Match, MatchingConfig, MatchRun

MODELS = {"a": Achievement, "n": Need}
FIELD = {"a": "achievement_id", "n": "need_id"}
# Matches that hold a place in a record's list (the K-th of which a newcomer must beat).
KEPT = (Match.Status.SUGGESTED, Match.Status.APPROVED, Match.Status.IN_CONTACT, Match.Status.DEAL)
# Postings published this long before a fit read its input may still have been invisible to it (their transaction
# committed later): they are checked again when catching up.
MARGIN = timedelta(hours=1)

logger = logging.getLogger(__name__)
_lock = threading.RLock()
_kept: EngineState | None = None


def _load(side: str, refs: list[str]) -> dict[str, Any]:
    return {str(pk): record for pk, record in adapters.live_records(MODELS[side], [int(r) for r in refs], live=False)}


LOADERS = {"a": lambda refs: _load("a", refs), "n": lambda refs: _load("n", refs)}


def state_lock() -> Any:
    """The lock held while this process's kept state is read or changed."""
    return _lock


def state_dir() -> Path:
    return Path(settings.MATCHING_STATE_DIR)


# --- which state ---------------------------------------------------------------------------------------------
def _digest(config: Any, parent: dict, clusters: dict, links: frozenset) -> str:
    text = repr((sorted(asdict(config).items()), sorted(parent.items()),
                 sorted((code, sorted(p), sorted(c)) for code, (p, c) in clusters.items()), sorted(links)))  # fmt: skip
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def fingerprint(engine: MatchingEngine) -> str:
    """What a fitted state depends on besides the postings: the engine's settings, the taxonomy and the regions."""
    return _digest(engine.config, engine.taxonomy.parent, engine.geography.clusters, engine.geography.partner_links)


def fingerprint_now() -> str:
    """``fingerprint`` of an engine built now, from a few small queries (no engine is built)."""
    clusters: dict[str, tuple[set, set]] = {
        code: (set(), set()) for code in Cluster.objects.values_list("code", flat=True)
    }
    for code, province in Cluster.provinces.through.objects.values_list("cluster_id", "province_id"):
        clusters[code][0].add(province)
    for code, city in Cluster.cities.through.objects.values_list("cluster_id", "city_id"):
        clusters[code][1].add(city)
    links = frozenset(PartnerLink.objects.values_list("key_a", "key_b"))
    return _digest(MatchingConfig.get_solo().engine_config(), dict(Domain.objects.values_list("code", "parent_id")),
                   clusters, links)  # fmt: skip


def current_state(fingerprint_: str) -> EngineState | None:
    """The newest saved state, kept in this process once loaded; None when there is none, or when it was fitted
    with other settings, taxonomy, regions or engine code (a full run is due). When its files are not on this
    machine (``MATCHING_STATE_DIR`` not shared between machines), one is fitted here (``_fit_here``)."""
    global _kept
    with _lock:
        newest = (
            MatchRun.objects.filter(kind=MatchRun.Kind.FULL, status=MatchRun.Status.DONE)
            .order_by("-finished_at", "-pk").values_list("counts", flat=True)[:5]
        )  # fmt: skip
        version = next((counts["state"] for counts in newest if (counts or {}).get("state")), None)
        if version is None:
            return None
        if _kept is not None and _kept.version == version and _kept.fingerprint == fingerprint_:
            return _kept
        if (state_dir() / f"state-{version}").exists():
            state = EngineState.load(state_dir(), version, runs.new_engine(), fingerprint=fingerprint_, loaders=LOADERS)
        else:
            state = _fit_here(version, fingerprint_)
        if state is not None:
            _kept = state
        return state


def _fit_here(version: str, fingerprint_: str) -> EngineState | None:
    """Fit the state of a full run on this machine, which lacks its files: from the cached bags, without ranking
    (the matches stay as the full run wrote them); saved under the run's name for this machine's other processes.
    It holds what is published now, which the run's state plus catching up would hold too."""
    fitted_at = time.time()
    engine = runs.new_engine()
    if fingerprint(engine) != fingerprint_:
        return None
    marks = runs.fit_published(engine)
    state = EngineState(engine, version=version, fingerprint=fingerprint_, fitted_at=fitted_at, marks=marks)
    state.save(state_dir())
    use_records(engine, LOADERS)
    engine.reserve()
    return state


def warm() -> None:
    """Load the kept state now (a worker process starting: its first publication then does not wait for it)."""
    try:
        state = current_state(fingerprint_now())
        if state is not None:
            state.engine.explain_many(state.engine.rank_rows())  # builds the explainer's tables of the vocabulary
    except Exception:  # a worker must start even when the state cannot be read; the first run will say why
        logger.exception("the kept matching state could not be loaded")
    finally:
        connection.close()  # this thread's own connection


def forget() -> None:
    """Drop the kept state of this process (tests; a reload follows on the next use)."""
    global _kept
    with _lock:
        _kept = None


def full_run_in_progress(*, exclude: MatchRun | None = None) -> MatchRun | None:
    runs_ = MatchRun.objects.filter(
        kind=MatchRun.Kind.FULL,
        status__in=[MatchRun.Status.PENDING, MatchRun.Status.RUNNING],
        created_at__gte=timezone.now() - timedelta(minutes=settings.MATCHING_RUN_TIMEOUT_MINUTES),
    )
    if exclude is not None:
        runs_ = runs_.exclude(pk=exclude.pk)
    return runs_.order_by("-pk").first()


def adopt(state: EngineState, run: MatchRun) -> dict[str, Any]:
    """A full run's fresh state: saved for every process, kept by this one, then caught up with what was published
    while the run read its input (those postings are matched against it now)."""
    global _kept
    with _lock:
        state.save(state_dir())
        EngineState.prune(state_dir(), keep=[state.version])
        _kept = state
        added = _catch_up(state, batch={"a": [], "n": []})
        counts: dict[str, Any] = {"state": state.version}
        if added["a"] or added["n"]:
            counts["caught up"] = len(added["a"]) + len(added["n"])
            counts.update(_rank_and_save(state, run, added))
        return counts


# --- matching a batch ----------------------------------------------------------------------------------------
def match_batch(
    run: MatchRun,
    *,
    achievement_ids: Sequence[int] = (),
    need_ids: Sequence[int] = (),
    since: datetime | None = None,
    everything: bool = False,
) -> dict[str, Any] | None:
    """Match these postings (or, with ``since``, those published since then; with ``everything``, also whatever
    the state lacked) against the kept state. Returns the run's counts, or None when a full run should match them
    instead (see the module's docstring)."""
    fingerprint_ = fingerprint_now()
    with _lock:
        state = current_state(fingerprint_)
        if state is None:
            running = full_run_in_progress(exclude=run)
            return None if running is None else {"deferred to run": running.pk}
        batch = {"a": list(achievement_ids), "n": list(need_ids)}
        if since is not None:
            for side, model in MODELS.items():
                batch[side] += list(
                    adapters.published(model).filter(published_at__gte=since).values_list("pk", flat=True)
                )
        size = len(set(batch["a"])) + len(set(batch["n"]))
        if size >= max(settings.MATCHING_REFIT_MIN, 1) and size > settings.MATCHING_REFIT_ADDED * state.fitted:
            return None
        added = _catch_up(state, batch=batch)
        targets = {side: sorted(set(batch[side]) | (set(added[side]) if everything else set())) for side in batch}
        counts = {"achievements": len(batch["a"]), "needs": len(batch["n"]), "added": sum(map(len, added.values()))}
        counts.update(_rank_and_save(state, run, targets))
        drift = state.drift()
        counts["drift"] = drift.as_dict()
        reason = refit_reason(
            drift,
            added_share=settings.MATCHING_REFIT_ADDED,
            unseen_share=settings.MATCHING_REFIT_UNSEEN,
            minimum=settings.MATCHING_REFIT_MIN,
        )
        if reason:
            counts["refit"] = reason
        return counts


def _catch_up(state: EngineState, *, batch: dict[str, list[int]]) -> dict[str, list[int]]:
    """Add to the state the postings it lacks: the batch's (again when their bag changed) and any published since
    its fit (less ``MARGIN``) that it does not hold. Returns the ids added per side."""
    since = datetime.fromtimestamp(state.fitted_at, tz=UTC) - MARGIN
    engine = state.engine
    items: dict[str, list] = {}
    added: dict[str, list[int]] = {}
    for side, model in MODELS.items():
        live = adapters.published(model)
        own = set(live.filter(pk__in=batch[side]).values_list("pk", flat=True)) if batch[side] else set()
        state.retire(side, [str(pk) for pk in set(batch[side]) - own])  # no longer published
        recent = set(live.filter(published_at__gte=since).values_list("pk", flat=True))
        if own:
            runs.tokens_refresh(kind=side, posting_ids=sorted(own), engine=engine)
        marks = dict(
            runs.RecordTokens.objects.filter(kind=side, posting_id__in=sorted(own | recent)).values_list(
                "posting_id", "fingerprint"
            )
        )
        unknown = sorted(pk for pk in recent - own if pk not in marks)  # published, not yet tokenised
        if unknown:
            runs.tokens_refresh(kind=side, posting_ids=unknown, engine=engine)
            marks.update(
                runs.RecordTokens.objects.filter(kind=side, posting_id__in=unknown).values_list(
                    "posting_id", "fingerprint"
                )
            )
        wanted = sorted(pk for pk in own | recent if pk in marks and state.mark(side, str(pk)) != marks[pk])
        bags = dict(runs.RecordTokens.objects.filter(kind=side, posting_id__in=wanted).values_list("posting_id", "bag"))
        postings = live.filter(pk__in=wanted)
        items[side] = [
            (record, bags[posting.pk], marks[posting.pk])
            for posting, record in zip(postings, adapters.records(postings), strict=True)
            if posting.pk in bags
        ]
        added[side] = [int(record.ref) for record, _, _ in items[side]]
    if items["a"] or items["n"]:
        state.add(achievements=items["a"], needs=items["n"])
    return added


def _lists(
    side: str, ids: Sequence[int], limit: int, exclude: Sequence[int] = ()
) -> dict[int, list[tuple[float, int, str, int]]]:
    """Each record's ``limit`` best kept matches, best first: (score, the other side's id, status, match id),
    leaving out those with the records of ``exclude`` (on the other side). On PostgreSQL one query reads, through
    the (record, score) index, ``limit`` rows per record and no more (a need has hundreds of matches)."""
    other = FIELD["n" if side == "a" else "a"]
    lists: dict[int, list[tuple[float, int, str, int]]] = defaultdict(list)
    if not len(ids):
        return lists
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table, own_column, other_column = quote(Match._meta.db_table), quote(FIELD[side]), quote(other)
        # Names come from the model's metadata; values are parameters.
        sql = (
            f"SELECT x.id, m.score, m.{other_column}, m.status, m.id FROM unnest(%s::bigint[]) AS x(id) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT score, {other_column}, status, id FROM {table} "
            f"WHERE {own_column} = x.id AND status = ANY(%s) AND NOT ({other_column} = ANY(%s::bigint[])) "
            f"ORDER BY score DESC LIMIT %s) m"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(ids), [str(s) for s in KEPT], list(exclude), limit])
            for own, score, other_id, status, pk in cursor.fetchall():
                lists[own].append((score, other_id, status, pk))
    else:
        for start in range(0, len(ids), 500):
            rows = Match.objects.filter(**{f"{FIELD[side]}__in": list(ids[start : start + 500])}, status__in=KEPT)
            rows = rows.exclude(**{f"{other}__in": list(exclude)}) if exclude else rows
            for own, score, other_id, status, pk in rows.values_list(FIELD[side], "score", other, "status", "pk"):
                lists[own].append((score, other_id, status, pk))
    for entries in lists.values():
        entries.sort(key=lambda e: (-e[0], e[1]))
        del entries[limit:]
    return lists


def _rank_and_save(state: EngineState, run: MatchRun, targets: dict[str, list[int]]) -> dict[str, int]:
    """Rank these postings of the state (ids per side); save each one's top K and the pairs where it beats the K-th
    kept match of the other record; remove the suggestions that this pushes beyond the K-th of their record, when
    their other record does not keep them either."""
    engine = state.engine
    k = engine.config.top_k
    started = timezone.now()
    writer = runs.MatchWriter(run)
    check: dict[int, str] = {}  # match id -> the side whose list must not keep it either for it to go
    newcomers: dict[str, set[int]] = {"a": set(), "n": set()}
    pairs_kept = 0
    for side, other in (("n", "a"), ("a", "n")):
        rows = [row for row in (state.row(side, str(pk)) for pk in targets[side]) if row is not None]
        if not rows:
            continue
        newcomers[side].update(int(r) for r in state.refs_of(side, np.array(rows)))
        pairs = _live_only(state, state.rank(**{"needs" if side == "n" else "achievements": rows}), other)
        own_rows = pairs.need if side == "n" else pairs.achievement
        other_ids = np.array([int(r) for r in state.refs_of(other, pairs.achievement if side == "n" else pairs.need)],
                             dtype=np.int64)  # fmt: skip
        # The other records' kept lists, without the entries of this batch's records (which are being replaced).
        lists = _lists(other, np.unique(other_ids).tolist(), k, exclude=sorted(newcomers[side]))
        kth = np.array([lists[x][k - 1][0] if len(lists.get(x, ())) >= k else -1.0 for x in other_ids.tolist()])
        keep = np.union1d(top_per_group(own_rows, pairs.total, k), np.flatnonzero(pairs.total > kth))
        writer.write(runs.match_rows(engine, pairs.subset(keep)))
        pairs_kept += len(keep)
        entering: dict[int, list[float]] = defaultdict(list)
        for x, score in zip(other_ids[keep].tolist(), pairs.total[keep].tolist(), strict=True):
            entering[x].append(score)
        for x, scores in entering.items():
            for place, (score, _, status, pk) in enumerate(lists.get(x, [])[:k]):
                if status == Match.Status.SUGGESTED and place + sum(s > score for s in scores) >= k:
                    check[pk] = side  # pushed beyond x's K-th; it goes unless its other record keeps it
    removed = _push_out(run, check, newcomers, k, started)
    return {"pairs": pairs_kept, **writer.counts(), "removed": removed}


def _live_only(state: EngineState, pairs: RankedPairs, other: str) -> RankedPairs:
    """Drop the pairs whose other record is no longer published (closed, or a need past its deadline), retiring it
    from the state."""
    rows = pairs.achievement if other == "a" else pairs.need
    ids = {int(r) for r in state.refs_of(other, np.unique(rows))}
    live = set(adapters.published(MODELS[other]).filter(pk__in=sorted(ids)).values_list("pk", flat=True))
    if len(live) == len(ids):
        return pairs
    state.retire(other, [str(pk) for pk in ids - live])
    keep = np.array([int(r) in live for r in state.refs_of(other, rows)], bool)
    return pairs.subset(np.flatnonzero(keep))


def _push_out(run: MatchRun, check: dict[int, str], newcomers: dict[str, set[int]], k: int, started: datetime) -> int:
    """Delete the suggestions of ``check`` (match id -> the side of their other record) that their other record
    does not keep among its K best either, and the newcomers' own older suggestions that this run did not make again
    (a posting published again) unless their other record keeps them."""
    check = dict(check)
    for side, other in (("a", "n"), ("n", "a")):
        if newcomers[side]:
            older = Match.objects.filter(
                **{f"{FIELD[side]}__in": sorted(newcomers[side])}, status=Match.Status.SUGGESTED, updated_at__lt=started
            ).exclude(run=run)
            check.update(dict.fromkeys(older.values_list("pk", flat=True), other))
    if not check:
        return 0
    rows = list(Match.objects.filter(pk__in=sorted(check)).values_list("pk", "achievement_id", "need_id"))
    place: dict[int, int] = {}
    for side, position in (("a", 1), ("n", 2)):
        ids = sorted({row[position] for row in rows if check[row[0]] == side})
        for entries in _lists(side, ids, k).values():
            place.update((pk, i) for i, (_, _, _, pk) in enumerate(entries) if pk in check)
    doomed = [pk for pk, _, _ in rows if place.get(pk, k) >= k]
    if not doomed:
        return 0
    with transaction.atomic():
        return Match.objects.filter(pk__in=doomed, status=Match.Status.SUGGESTED).delete()[1].get(Match._meta.label, 0)
