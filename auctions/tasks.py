"""Celery tasks of auctions: thin, idempotent wrappers over ``auctions.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=10,
    max_retries=3,
)
def close_due_lots_task(self) -> list[int]:  # type: ignore[no-untyped-def]
    """Every few seconds (``CELERY_BEAT_SCHEDULE``): close the lots whose bidding time is over. It reads only the
    database, so a run after a worker restart closes whatever was missed; running it twice closes nothing more."""
    return [lot.pk for lot in services.close_due_lots()]
