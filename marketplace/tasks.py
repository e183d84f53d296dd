"""Celery tasks of the market: thin, idempotent wrappers over ``marketplace.services``."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, DatabaseError),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
)
def need_expire_overdue_task(self) -> list[int]:  # type: ignore[no-untyped-def]
    """Daily (``CELERY_BEAT_SCHEDULE``): close the needs past their deadline. Running it twice closes nothing more."""
    return [need.pk for need in services.need_expire_overdue()]
