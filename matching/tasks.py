"""Celery tasks: thin wrappers over ``matching.runs``, safe to run twice and to retry.

Tasks take plain ids, acknowledge late (a task whose worker dies is delivered again) and retry with backoff on
database errors. A full rebuild fans its tokenising chunks out over the workers (a chord) and finishes in one task.
"""

from __future__ import annotations

from celery import chord, group, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, transaction

from accounts.models import User

from . import runs
from .models import MatchRun

RETRYING = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError, DatabaseError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRYING)
def match_record_task(self, kind: str, posting_id: int) -> int:  # type: ignore[no-untyped-def]
    return runs.match_record(kind=kind, posting_id=posting_id).pk


@shared_task(**RETRYING)
def tokenize_chunk_task(self, run_id: int, kind: str, posting_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    runs.run_tokenize_chunk(run_id=run_id, kind=kind, posting_ids=posting_ids)
    return len(posting_ids)


@shared_task(**RETRYING)
def finish_run_task(self, *_results: object, run_id: int) -> int:  # type: ignore[no-untyped-def]
    return runs.run_finish(run_id=run_id).pk


@shared_task(**RETRYING)
def full_rebuild_task(self, run_id: int | None = None, trigger: str = "schedule") -> int:  # type: ignore[no-untyped-def]
    """Fan the rebuild out: one task per chunk of postings, then the finish once every chunk is done."""
    run = MatchRun.objects.get(pk=run_id) if run_id else runs.run_start(kind=MatchRun.Kind.FULL, trigger=trigger)
    if run.status == MatchRun.Status.DONE:
        return run.pk
    chunks = runs.run_chunks(run)
    MatchRun.objects.filter(pk=run.pk).update(progress_total=len(chunks) + 1, progress_done=0)
    finish = finish_run_task.si(run_id=run.pk)
    if chunks:
        chord(group(tokenize_chunk_task.si(run.pk, kind, ids) for kind, ids in chunks), finish).delay()
    else:
        finish.delay()
    return run.pk


def full_rebuild_enqueue(*, trigger: str = "admin", by: User | None = None) -> MatchRun:
    """Create the run now and start it on the workers once the transaction commits."""
    run = runs.run_start(kind=MatchRun.Kind.FULL, trigger=trigger, by=by)
    transaction.on_commit(lambda: full_rebuild_task.delay(run.pk, trigger))
    return run
