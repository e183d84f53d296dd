"""Celery tasks of the market: thin, idempotent wrappers over ``marketplace.services``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError

from . import import_jobs, services
from .search_index import index_sweep


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


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=2,
    time_limit=settings.IMPORT_MAX_SECONDS + 120,  # the importer stops itself at IMPORT_MAX_SECONDS; this is a backstop
)
def import_job_run_task(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Run an import job (``marketplace.import_jobs``); a job already ended or running elsewhere is left."""
    return import_jobs.import_job_run(job_id=job_id).state


@shared_task(acks_late=True)
def import_jobs_sweep_task() -> dict[str, int]:
    """Every few minutes (``CELERY_BEAT_SCHEDULE``): queue again the jobs lost with their message or their worker,
    and index for search the postings an import wrote but died before indexing."""
    return {**import_jobs.import_jobs_sweep(), "indexed": index_sweep()}
