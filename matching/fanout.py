"""A full rebuild spread over the workers: tokenising, scoring, explaining and writing in blocks; finishing once.

The steps of a run on the workers (``matching.tasks.full_rebuild_task`` chains them; where tasks run eagerly the same
functions run one after the other in the calling process, ``rebuild_inline``):
1. tokenise, in chunks (``runs.run_tokenize_chunk``), as before;
2. fit, once (``rebuild_fit``): the engine is fitted on every published posting and the fitted state
   (``engine.state.EngineState``: vocabulary, IDF, both sides' weighted matrices, best cosines) is saved to the store
   every worker reads (``MATCHING_STATE_DIR``), with the run's plan: which blocks there are, and when the fit began;
3. blocks (``rebuild_block``), any number at once: a block is a range of rows of ONE side, needs or achievements,
   ranked against every row of the other side (``MatchingEngine.rank_rows``: that side's top K for each of its
   rows), explained and written in bulk (``runs.MatchWriter``: COPY, one upsert per 20,000 pairs). A full run keeps a
   pair when either of its records keeps it, so there are blocks of both sides: the needs' blocks first, then the
   achievements' blocks, which leave out the pairs the needs' blocks kept (as a run in one process keeps the need's
   version of such a pair: the two directions' cosines may differ in the last digit). Each worker process loads the
   fitted state once and keeps it, by version, for every later block of the run (``block_state``); a block's memory
   is its rows' candidates (rows x ``candidates``), bounded by ``MATCHING_REBUILD_BLOCK`` whatever the corpus. A
   block records
   the pairs it kept (a file beside the plan) and its counts, then it is done; repeating it writes the same rows
   again (a pair is unique in the table; an unchanged one is not rewritten) and records the same files;
4. finish (``rebuild_finish``), once, when every block is done (a Celery chord's callback; it checks the blocks'
   files itself too and fails the run when one is missing): removes the suggestions the run did not keep (and no one
   acted on), applies the release rule (``services.matches_release``), marks the run done and makes its state the
   one incremental runs use (``incremental.adopt``). A block that fails (after its retries) fails the run
   (``rebuild_fail``, the chord's error callback): it is never marked done, and a new run converges, as every step
   writes only what the fit decides.

The store is a directory: every worker on this machine reads it. Workers on several machines need it on a shared
volume (NFS, or an object store mounted or copied to each machine before the blocks run).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from . import incremental, pending, runs, services
from .engine import RankedPairs
from .engine.core import top_per_group
from .engine.state import EngineState
from .models import Match, MatchRun

logger = logging.getLogger(__name__)
SIDES = {"n": "needs", "a": "achievements"}
DEFAULT_BLOCK_ROWS = 2000

_cache_lock = threading.Lock()
_cached: EngineState | None = None
_rank_lock = threading.Lock()


def block_rows() -> int:
    """Rows of one side per block (``MATCHING_REBUILD_BLOCK``)."""
    return max(int(getattr(settings, "MATCHING_REBUILD_BLOCK", DEFAULT_BLOCK_ROWS)), 1)


def run_dir(run_id: int) -> Path:
    """Where a run's plan and its blocks' results are kept, beside the fitted states."""
    return incremental.state_dir() / f"run-{run_id}"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write aside, then rename into place: a reader never sees half a file (a retried block writes it again)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def read_plan(run_id: int) -> dict[str, Any]:
    return json.loads((run_dir(run_id) / "plan.json").read_text(encoding="utf-8"))


def plan_blocks(counts: dict[str, int], size: int) -> list[tuple[str, int, int]]:
    """The blocks of a fit with ``counts`` rows per side: (side, first row, row after the last), needs first."""
    return [(side, start, min(start + size, counts[side])) for side in SIDES for start in range(0, counts[side], size)]


# --- 2. fit ------------------------------------------------------------------------------------------------------
def rebuild_fit(*, run_id: int) -> int:
    """Fit on every published posting, save the fitted state and the run's plan to the shared store; returns the
    number of blocks (0 when the run is already done)."""
    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.DONE:
        return 0
    started = timezone.now()
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.RUNNING, started_at=run.started_at or started, error=""
    )
    clock = time.perf_counter()
    fitted_at = time.time()
    engine = runs.new_engine()
    fingerprint = incremental.fingerprint(engine)
    engine.parallel = True  # forks only where allowed (not in a Celery prefork child)
    marks = runs.fit_published(engine)
    state = EngineState(engine, version=f"{run.pk}-{uuid.uuid4().hex[:8]}", fingerprint=fingerprint,
                        fitted_at=fitted_at, marks=marks)  # fmt: skip
    state.save(incremental.state_dir())
    counts = {"n": len(engine.needs), "a": len(engine.achievements)}
    blocks = plan_blocks(counts, block_rows())
    # As a full run in one process decides (``explaining.explained_now``), from the most pairs it may keep.
    most = engine.config.top_k * (counts["a"] + counts["n"])
    directory = run_dir(run_id)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("block-*"):  # a run planned again: the blocks of the earlier plan do not count
        old.unlink(missing_ok=True)
    plan = {"version": state.version, "fingerprint": fingerprint, "started": started.isoformat(),
            "blocks": blocks, "explain_all": most <= settings.MATCHING_EXPLAIN_ALL_BELOW,
            "achievements": counts["a"], "needs": counts["n"],
            "fit_seconds": round(time.perf_counter() - clock, 3)}  # fmt: skip
    _write_atomic(directory / "plan.json", json.dumps(plan).encode("utf-8"))
    MatchRun.objects.filter(pk=run_id).update(
        progress_total=F("progress_done") + len(blocks) + 2, progress_done=F("progress_done") + 1
    )
    return len(blocks)


# --- 3. blocks ---------------------------------------------------------------------------------------------------
def block_state(version: str, fingerprint: str) -> EngineState:
    """The fitted state ``version``, loaded once per process and kept for the run's later blocks (one at a time: a
    new run's state replaces the last one)."""
    global _cached
    with _cache_lock:
        if _cached is not None and _cached.version == version:
            return _cached
        _cached = None  # the old state's memory goes before the new one is read
        state = EngineState.load(incremental.state_dir(), version, runs.new_engine(), fingerprint=fingerprint,
                                 loaders=incremental.LOADERS)  # fmt: skip
        if state is None:
            raise FileNotFoundError(f"the fitted state {version} is not in {incremental.state_dir()}")
        _cached = state
        return state


def forget_block_state() -> None:
    global _cached, _need_keys
    with _cache_lock:
        _cached = None
        _need_keys = None


def _explain_mask(pairs: RankedPairs, side: str, explain_all: bool) -> np.ndarray | None:
    """Which pairs of a block are explained now: all, or the first ``MATCHING_EXPLAIN_FIRST`` of each of the block's
    own records among the pairs it writes (the rest are explained later, as after a large run in one process; a
    need's block does not see an achievement's other pairs, so it leaves them to the achievement's block)."""
    if explain_all:
        return None
    mask = np.zeros(len(pairs), bool)
    mask[top_per_group(pairs.need if side == "n" else pairs.achievement, pairs.total,
                       settings.MATCHING_EXPLAIN_FIRST)] = True  # fmt: skip
    return mask


def rebuild_block(*, run_id: int, index: int) -> dict[str, Any]:
    """Rank, explain and write one block of the run's plan; record the pairs it kept. Safe to repeat."""
    run = MatchRun.objects.get(pk=run_id)
    if run.status == MatchRun.Status.DONE:
        return {}
    plan = read_plan(run_id)
    side, start, stop = plan["blocks"][index]
    clock = time.perf_counter()
    loaded = _cached is not None and _cached.version == plan["version"]
    state = block_state(plan["version"], plan["fingerprint"])
    load_seconds = round(time.perf_counter() - clock, 3)
    engine = state.engine
    rows = np.arange(start, stop, dtype=np.int64)
    with _rank_lock:  # the engine's caches are not shared between a process's threads
        pairs = engine.rank_rows(**{SIDES[side]: rows})
    achievement_ids = runs._id_array(engine.achievements)[pairs.achievement]
    need_ids = runs._id_array(engine.needs)[pairs.need]
    keys = runs.pair_keys(achievement_ids, need_ids)
    if side == "a":
        # A pair its need keeps too was written by the need's block, as a run in one process keeps it (the two
        # directions' cosines may differ in the last digit): this block leaves it out.
        fresh = ~runs._member(keys, need_side_keys(run_id, plan))
        pairs, achievement_ids, need_ids, keys = (pairs.subset(np.flatnonzero(fresh)), achievement_ids[fresh],
                                                  need_ids[fresh], keys[fresh])  # fmt: skip
    rank_seconds = round(time.perf_counter() - clock - load_seconds, 3)
    order = np.argsort(keys, kind="stable")  # rows written in key order: blocks meeting on a pair lock it in turn
    own_ids = (need_ids if side == "n" else achievement_ids).tolist()
    scope = {"need_id__in" if side == "n" else "achievement_id__in": sorted(set(own_ids))}
    existing = runs.existing_keys(Match.objects.filter(**scope)) if own_ids else np.zeros(0, np.int64)
    writer = runs.MatchWriter(run, skip_unchanged=True, existing=existing)
    mask = _explain_mask(pairs, side, plan["explain_all"])
    explained_later = 0 if mask is None else int(len(mask) - np.count_nonzero(mask))
    for first in range(0, len(order), runs.WRITE_BLOCK):
        part = order[first : first + runs.WRITE_BLOCK]
        writer.write(runs.match_rows(engine, pairs.subset(part), None if mask is None else mask[part]))
    counts = {"side": side, "rows": int(stop - start), "pairs": len(pairs), **writer.counts(),
              "explained later": explained_later, "state loaded": not loaded, "load seconds": load_seconds,
              "rank seconds": rank_seconds,
              "seconds": round(time.perf_counter() - clock, 3), "pid": os.getpid()}  # fmt: skip
    directory = run_dir(run_id)
    buffer = np.sort(keys).astype("<i8").tobytes()
    _write_atomic(directory / f"block-{index}.keys", buffer)
    _write_atomic(directory / f"block-{index}.json", json.dumps(counts).encode("utf-8"))
    MatchRun.objects.filter(pk=run_id, progress_done__lt=F("progress_total") - 1).update(
        progress_done=F("progress_done") + 1
    )
    return counts


_need_keys: tuple[int, np.ndarray] | None = None


def need_side_keys(run_id: int, plan: dict[str, Any]) -> np.ndarray:
    """The sorted pair keys every need block kept (read once per process and run); raises when one is not done."""
    global _need_keys
    with _cache_lock:
        if _need_keys is not None and _need_keys[0] == run_id:
            return _need_keys[1]
        directory = run_dir(run_id)
        indexes = [i for i, (side, _, _) in enumerate(plan["blocks"]) if side == "n"]
        missing = [i for i in indexes if not (directory / f"block-{i}.json").exists()]
        if missing:
            raise RuntimeError(f"need blocks not done: {missing[:10]}")
        parts = [np.frombuffer((directory / f"block-{i}.keys").read_bytes(), dtype="<i8") for i in indexes]
        keys = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        _need_keys = (run_id, keys)
        return keys


def phase_blocks(plan: dict[str, Any], side: str) -> list[int]:
    """The indexes of the plan's blocks of one side (needs run first, then achievements)."""
    return [i for i, (s, _, _) in enumerate(plan["blocks"]) if s == side]


# --- 4. finish ---------------------------------------------------------------------------------------------------
def block_results(run_id: int, plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every block's counts; raises when a block is not done."""
    directory = run_dir(run_id)
    missing = [i for i in range(len(plan["blocks"])) if not (directory / f"block-{i}.json").exists()]
    if missing:
        raise RuntimeError(f"blocks not done: {missing[:10]}{' ...' if len(missing) > 10 else ''}")
    return [json.loads((directory / f"block-{i}.json").read_text(encoding="utf-8")) for i in range(len(plan["blocks"]))]


def _kept_keys(run_id: int, plan: dict[str, Any]) -> np.ndarray:
    directory = run_dir(run_id)
    parts = [np.frombuffer((directory / f"block-{i}.keys").read_bytes(), dtype="<i8")
             for i in range(len(plan["blocks"]))]  # fmt: skip
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def rebuild_finish(*, run_id: int) -> MatchRun:
    """Once every block is done: remove the stale suggestions, apply the release rule, mark the run done and adopt
    its state for incremental runs. Runs once: a second call (a redelivered callback) finds the run done, or waits
    for the first under the run's row lock."""
    clock = time.perf_counter()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # the blocks rewrote most of the table: fresh statistics for the planner
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Match._meta.db_table)}")
    with transaction.atomic():
        run = MatchRun.objects.select_for_update().get(pk=run_id)
        if run.status == MatchRun.Status.DONE:
            return run
        try:
            plan = read_plan(run_id)
            results = block_results(run_id, plan)
            counts = _finish_counts(plan, results)
            keep = _kept_keys(run_id, plan)
            counts["pairs"] = len(keep)
            counts["removed"] = runs.remove_stale(run, before=datetime.fromisoformat(plan["started"]), keep=keep)
            del keep
            state = block_state(plan["version"], plan["fingerprint"])
            forget_block_state()  # adopting changes the state (it catches up): no later block may use this copy
            runs.use_records(state.engine, incremental.LOADERS)
            counts.update(incremental.adopt(state, run))
            run.counts = counts
            released = services.matches_release(run=run)
            if released:
                run.counts["released"] = released
            run.status = MatchRun.Status.DONE
            run.progress_done = run.progress_total = max(run.progress_total, 1)
            pending.pending_clear(before=run.started_at)
        except Exception as error:
            # Nothing of the finish is kept (this transaction rolls back); the run is failed after it.
            transaction.set_rollback(True)
            failure = f"{type(error).__name__}: {error}"
        else:
            failure = None
            run.finished_at = timezone.now()
            run.duration_seconds = round((run.finished_at - (run.started_at or run.created_at)).total_seconds(), 3)
            run.counts["seconds"] = {**run.counts.get("seconds", {}), "finish": round(time.perf_counter() - clock, 2)}
            run.save()
    if failure is not None:
        rebuild_fail(run_id=run_id, error=failure)
        raise RuntimeError(failure)
    shutil.rmtree(run_dir(run_id), ignore_errors=True)  # the blocks' results; the state stays (adopted)
    if run.counts.get("explained later"):
        runs._explain_rest()
    return run


def _finish_counts(plan: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    total = {"achievements": plan["achievements"], "needs": plan["needs"], "blocks": len(results)}
    for name in ("created", "updated", "unchanged", "explained later"):
        total[name] = sum(int(r.get(name, 0)) for r in results)
    total["seconds"] = {"fit": plan["fit_seconds"], "blocks": round(sum(r["seconds"] for r in results), 2)}
    total["worker processes"] = len({r["pid"] for r in results})
    # Each block: side, rows, pairs written, seconds (all of it), of which loading the state, and ranking; whether
    # it was its process's first of the run (which loaded the state and built the explainer's tables).
    total["block costs"] = [[r["side"], r["rows"], r["pairs"], r["seconds"], r["load seconds"], r["rank seconds"],
                             int(r["state loaded"])] for r in results]  # fmt: skip
    return total


def rebuild_fail(*, run_id: int, error: str) -> None:
    """Mark the run failed (a block failed after its retries, or the finish did), unless it is done."""
    logger.error("full rebuild %s failed: %s", run_id, error)
    MatchRun.objects.filter(pk=run_id).exclude(status=MatchRun.Status.DONE).update(
        status=MatchRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


# --- eagerly -----------------------------------------------------------------------------------------------------
def rebuild_inline(*, run_id: int) -> MatchRun:
    """The same steps in this process, one block after the other (tasks run eagerly: ``make run``, tests)."""
    try:
        for kind, ids in runs.run_chunks(MatchRun.objects.get(pk=run_id)):
            runs.run_tokenize_chunk(run_id=run_id, kind=kind, posting_ids=ids)
        blocks = rebuild_fit(run_id=run_id)
        for index in range(blocks):
            rebuild_block(run_id=run_id, index=index)
    except Exception as error:
        rebuild_fail(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise
    return rebuild_finish(run_id=run_id)
