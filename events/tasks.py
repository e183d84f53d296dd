"""Celery tasks of events: thin, idempotent wrappers over the services (``events.scheduling.service`` and
``events.meetings``)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import meetings
from .scheduling import service as scheduling


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=1, max_retries=3
)
def schedule_plan_solve_task(self, plan_id: int) -> str:  # type: ignore[no-untyped-def]
    """Solve one schedule plan (queued on the commit that created it). A plan already solved, or no longer
    proposed, is left as it is: running it twice solves it once."""
    plan = scheduling.schedule_plan_solve(plan_id=plan_id)
    return plan.status if plan is not None else "missing"


@shared_task(
    bind=True, acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=1, max_retries=3
)
def meeting_requests_sweep_task(self) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every few minutes (``CELERY_BEAT_SCHEDULE``): requests past their event's deadline expire (both sides told),
    and confirmed participants who have booked nothing are reminded once before the deadline. Each act is recorded
    (the status, the reminder's time), so a second run does nothing more."""
    return {"expired": meetings.meeting_requests_expire(), "reminded": meetings.meeting_reminders_send()}
