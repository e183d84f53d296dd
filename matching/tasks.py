"""Celery tasks: thin wrappers over ``matching.runs``, safe to run twice and to retry.

Tasks take plain ids, acknowledge late (a task whose worker dies is delivered again) and retry with backoff on
database errors. A full rebuild fans out over the workers twice (``matching.fanout``): its tokenising chunks (a
chord), then, after one task fits the engine and saves the fitted state to the store every worker reads, its scoring
blocks (a second chord), whose callback finishes the run once; a block that fails for good fails the run.
Publications are matched in batches (``match_postings_task``: every posting one transaction published, in one run,
against the state the worker keeps); a batch that leaves the kept state drifted past the refit rule enqueues one
full rebuild (``refit_enqueue``), unless one is already on its way.
"""

from __future__ import annotations

import threading

from celery import chord, group, shared_task
from celery.signals import worker_process_init
from django.db import InterfaceError, OperationalError, transaction

from accounts.models import User
from core.tasks import enqueue

from . import explaining, fanout, incremental, pending, runs
from .models import MatchingConfig, MatchRun

RETRYING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    # Transient errors only (a lost connection, a deadlock, a serialisation failure): an integrity or data error
    # would fail the same way again; it fails the run, and the outbox keeps what the run was matching.
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRYING)
def match_postings_task(  # type: ignore[no-untyped-def]
    self, achievement_ids: list[int], need_ids: list[int], trigger: str = "publish"
) -> int:
    """Match newly published postings, one batch, in one run; start a refit when the kept state has drifted."""
    run = runs.match_postings(achievement_ids=achievement_ids, need_ids=need_ids, trigger=trigger)
    if run.counts.get("refit"):
        refit_enqueue()
    return run.pk


@shared_task(**RETRYING)
def match_pending_sweep_task(self) -> dict:  # type: ignore[no-untyped-def]
    """Every minute (``CELERY_BEAT_SCHEDULE``): fail the runs that died and match the publications still waiting in
    the outbox (``matching.pending``). Running it twice matches nothing twice."""
    return pending.pending_sweep()


@shared_task(**RETRYING)
def match_record_task(self, kind: str, posting_id: int) -> int:  # type: ignore[no-untyped-def]
    """One posting (kept for messages queued before batches; ``match_postings_task`` does the same)."""
    run = runs.match_record(kind=kind, posting_id=posting_id)
    if run.counts.get("refit"):
        refit_enqueue()
    return run.pk


def refit_enqueue(*, trigger: str = "drift") -> MatchRun | None:
    """A full rebuild on the workers, unless one is pending or running (checked under a lock on the settings row,
    so that two workers seeing the same drift enqueue one)."""
    with transaction.atomic():
        MatchingConfig.objects.select_for_update().filter(pk=MatchingConfig.get_solo().pk).first()
        if incremental.full_run_in_progress() is not None:
            return None
        run = runs.run_start(kind=MatchRun.Kind.FULL, trigger=trigger)
        transaction.on_commit(lambda: full_rebuild_task.delay(run.pk, trigger))
    return run


@shared_task(**RETRYING)
def tokenize_chunk_task(self, run_id: int, kind: str, posting_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    _after_warming()
    runs.run_tokenize_chunk(run_id=run_id, kind=kind, posting_ids=posting_ids)
    return len(posting_ids)


@shared_task(**RETRYING)
def finish_run_task(self, *_results: object, run_id: int) -> int:  # type: ignore[no-untyped-def]
    """Finish a run in one task (kept for messages queued before rebuilds fanned their scoring out)."""
    return runs.run_finish(run_id=run_id).pk


@shared_task(**RETRYING)
def rebuild_fit_task(self, *_results: object, run_id: int) -> int:  # type: ignore[no-untyped-def]
    """Fit once, save the fitted state and the plan, then fan the scoring blocks out; the finish follows them."""
    _after_warming()
    blocks = fanout.rebuild_fit(run_id=run_id)
    if blocks or MatchRun.objects.filter(pk=run_id).exclude(status=MatchRun.Status.DONE).exists():
        rebuild_side_task.delay(run_id=run_id, side="n")
    return blocks


@shared_task(**RETRYING)
def rebuild_side_task(self, *_results: object, run_id: int, side: str) -> int:  # type: ignore[no-untyped-def]
    """Fan out the blocks of one side (needs, then achievements), followed by the next side or the finish."""
    plan = fanout.read_plan(run_id)
    after = (rebuild_side_task.si(run_id=run_id, side="a") if side == "n" else rebuild_finish_task.si(run_id=run_id))
    after = after.on_error(rebuild_fail_task.s(run_id=run_id))
    indexes = fanout.phase_blocks(plan, side)
    if indexes:
        chord(group(rebuild_block_task.si(run_id, index) for index in indexes), after).delay()
    else:
        after.delay()
    return len(indexes)


@shared_task(**RETRYING)
def rebuild_block_task(self, run_id: int, index: int) -> dict:  # type: ignore[no-untyped-def]
    """One block of a rebuild's scoring: rank, explain, write (safe to repeat)."""
    _after_warming()
    return fanout.rebuild_block(run_id=run_id, index=index)


@shared_task(**RETRYING)
def rebuild_finish_task(self, *_results: object, run_id: int) -> int:  # type: ignore[no-untyped-def]
    _after_warming()
    return fanout.rebuild_finish(run_id=run_id).pk


@shared_task
def rebuild_fail_task(*args: object, run_id: int) -> None:
    """A block (or the finish) failed for good: the run is failed, never left running or marked done."""
    error = next((a for a in args if isinstance(a, BaseException)), None)
    fanout.rebuild_fail(run_id=run_id, error=f"a block failed: {error!r}" if error else "a block failed")


@shared_task(**RETRYING)
def explain_pending_task(self, after: int = 0) -> int:  # type: ignore[no-untyped-def]
    """Explain the next block of the matches a full rebuild left unexplained (``matching.explaining``), then queue
    the task for the block after it."""
    written, last = explaining.explain_pending(after=after, blocks=1)
    if last:
        explain_pending_task.delay(last)
    return written


@shared_task(**RETRYING)
def explain_matches_task(self, match_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Explain these matches now (someone is about to read them)."""
    return explaining.explain_pending(match_ids)[0]


@shared_task(**RETRYING)
def full_rebuild_task(self, run_id: int | None = None, trigger: str = "schedule") -> int:  # type: ignore[no-untyped-def]
    """Fan the rebuild out: one task per chunk of postings, then the fit once every chunk is done, which fans the
    scoring blocks out (``matching.fanout``). Where tasks run eagerly the same steps run here, one after the other."""
    run = MatchRun.objects.get(pk=run_id) if run_id else runs.run_start(kind=MatchRun.Kind.FULL, trigger=trigger)
    if run.status == MatchRun.Status.DONE:
        return run.pk
    chunks = runs.run_chunks(run)
    MatchRun.objects.filter(pk=run.pk).update(progress_total=len(chunks) + 1, progress_done=0)
    if explaining.tasks_run_eagerly():
        fanout.rebuild_inline(run_id=run.pk)
        return run.pk
    fit = rebuild_fit_task.si(run_id=run.pk).on_error(rebuild_fail_task.s(run_id=run.pk))
    if chunks:
        chord(group(tokenize_chunk_task.si(run.pk, kind, ids) for kind, ids in chunks), fit).delay()
    else:
        fit.delay()
    return run.pk


def full_rebuild_enqueue(*, trigger: str = "admin", by: User | None = None) -> MatchRun:
    """Create the run now and start it on the workers once the transaction commits (a broker that does not answer
    leaves the run pending: it is marked failed when it times out)."""
    run = runs.run_start(kind=MatchRun.Kind.FULL, trigger=trigger, by=by)
    transaction.on_commit(lambda: enqueue(full_rebuild_task, run.pk, trigger))
    return run


_warming: threading.Thread | None = None


@worker_process_init.connect
def keep_state_warm(**_kwargs: object) -> None:
    """A worker process loads the kept matching state as it starts, in the background (a publication arriving
    meanwhile waits for it), so that publications do not pay for loading it."""
    global _warming
    _warming = threading.Thread(target=incremental.warm, name="matching-state", daemon=True)
    _warming.start()


def _after_warming() -> None:
    """Wait for the loading of the kept state before a rebuild step: both tokenise and explain in this process, with
    engines of their own, and would only compete for it (shared stemmers once garbled each other's words)."""
    if _warming is not None:
        _warming.join()
