"""The matching outbox (``PendingMatch``): no publication loses its matching.

Publishing a posting records it here in the same transaction; the task queued after the commit matches it and the
run that did clears the row. When the broker does not answer, the message is lost or a worker dies mid-run, the row
stays, and the sweep (Celery beat, every minute) matches every row older than ``MATCHING_PENDING_GRACE_SECONDS`` in
one batch, after marking runs that died as failed. A full rebuild clears every row queued before it started.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from marketplace.models import Achievement, Need, Status

from .models import MatchRun, PendingMatch, RecordTokens

ACHIEVEMENT, NEED = RecordTokens.Kind.ACHIEVEMENT.value, RecordTokens.Kind.NEED.value


def pending_add(*, kind: str, posting_id: int) -> None:
    """Record a publication to match (called inside the publishing transaction; publishing again moves it on)."""
    pending_add_many(kind=kind, posting_ids=[posting_id])


def pending_add_many(*, kind: str, posting_ids: Sequence[int]) -> None:
    """``pending_add`` for a batch of publications of one kind."""
    now = timezone.now()
    PendingMatch.objects.bulk_create(
        [PendingMatch(kind=kind, posting_id=posting_id, queued_at=now) for posting_id in posting_ids],
        update_conflicts=True,
        unique_fields=["kind", "posting_id"],
        update_fields=["queued_at", "attempts", "last_error"],
        batch_size=1000,
    )


def pending_clear(
    *, before: datetime, achievement_ids: Sequence[int] | None = None, need_ids: Sequence[int] | None = None
) -> int:
    """Delete the rows queued at or before ``before`` (a run's start: what it read was published by then): of these
    postings, or every row when neither list is given (a full rebuild)."""
    rows = PendingMatch.objects.filter(queued_at__lte=before)
    if achievement_ids is not None or need_ids is not None:
        rows = rows.filter(
            Q(kind=ACHIEVEMENT, posting_id__in=list(achievement_ids or []))
            | Q(kind=NEED, posting_id__in=list(need_ids or []))
        )
    return rows.delete()[0]


def runs_fail_stuck(now: datetime | None = None) -> int:
    """Mark failed the runs left pending or running past their timeout (their worker died): full rebuilds after
    ``MATCHING_RUN_TIMEOUT_MINUTES``, other runs after ``MATCHING_INCREMENTAL_TIMEOUT_MINUTES``."""
    now = now or timezone.now()
    full = Q(kind=MatchRun.Kind.FULL, created_at__lt=now - timedelta(minutes=settings.MATCHING_RUN_TIMEOUT_MINUTES))
    other = ~Q(kind=MatchRun.Kind.FULL) & Q(
        created_at__lt=now - timedelta(minutes=settings.MATCHING_INCREMENTAL_TIMEOUT_MINUTES)
    )
    return MatchRun.objects.filter(full | other, status__in=[MatchRun.Status.PENDING, MatchRun.Status.RUNNING]).update(
        status=MatchRun.Status.FAILED, error="timed out: no worker finished it", finished_at=now
    )


def pending_due(*, now: datetime | None = None, limit: int = 5000) -> tuple[list[int], list[int]]:
    """The postings waiting longer than the grace period (oldest first, at most ``limit``, not given up on) that are
    still published; rows of postings no longer published are dropped (closing one withdrew its matching)."""
    now = now or timezone.now()
    due = list(
        PendingMatch.objects.filter(
            queued_at__lt=now - timedelta(seconds=settings.MATCHING_PENDING_GRACE_SECONDS),
            attempts__lt=PendingMatch.SWEEP_ATTEMPTS,
        )
        .order_by("queued_at")
        .values_list("kind", "posting_id")[:limit]
    )
    wanted = {
        ACHIEVEMENT: [pk for kind, pk in due if kind == ACHIEVEMENT],
        NEED: [pk for kind, pk in due if kind == NEED],
    }
    live = {
        kind: set(model.objects.filter(pk__in=wanted[kind], status=Status.PUBLISHED).values_list("pk", flat=True))
        for kind, model in ((ACHIEVEMENT, Achievement), (NEED, Need))
    }
    gone = Q(pk__in=[])
    for kind in (ACHIEVEMENT, NEED):
        gone |= Q(kind=kind, posting_id__in=[pk for pk in wanted[kind] if pk not in live[kind]])
    PendingMatch.objects.filter(gone).delete()
    return sorted(live[ACHIEVEMENT]), sorted(live[NEED])


def pending_sweep(*, limit: int = 5000) -> dict[str, Any]:
    """Fail the runs that died, then match the publications still waiting, in one run (none while a full rebuild is
    on its way: it clears them)."""
    from . import incremental, runs

    counts: dict[str, Any] = {"failed runs": runs_fail_stuck()}
    if incremental.full_run_in_progress() is not None:
        return counts
    achievement_ids, need_ids = pending_due(limit=limit)
    if not (achievement_ids or need_ids):
        return counts
    rows = PendingMatch.objects.filter(
        Q(kind=ACHIEVEMENT, posting_id__in=achievement_ids) | Q(kind=NEED, posting_id__in=need_ids)
    )
    rows.update(attempts=F("attempts") + 1)  # counted before the run: a run that kills its worker counts too
    try:
        run = runs.match_postings(achievement_ids=achievement_ids, need_ids=need_ids, trigger="sweep")
    except Exception as error:  # the run failed (recorded on it); the rows say so, and are given up on in the end
        rows.update(last_error=f"{type(error).__name__}: {error}"[:2000])
        raise
    counts.update(run=run.pk, achievements=len(achievement_ids), needs=len(need_ids))
    return counts
