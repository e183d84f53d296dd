"""Imports as background jobs: the upload page and the admin record the file as an ``ImportJob`` and return at once;
a Celery task (``tasks.import_job_run_task``) runs ``importers.import_records`` on it, with its guarantee (every row
checked, then all written in one transaction, or nothing); the job's page follows it.

Progress (rows checked, rows written) is kept in the cache under ``progress_key`` while the job runs: the rows are
written in one transaction, which nobody else sees until it commits. Set ``CACHE_URL`` to Redis in production so
that the web workers see what the Celery worker writes; the job's state is in the database in any case.

A job is run once: a task that finds it ended does nothing, one that finds it running (another worker has it) leaves
it. A job whose message was lost (the broker was down) or whose worker died is taken up again by the sweep
(``import_jobs_sweep``, every few minutes), at most ``ImportJob.MAX_ATTEMPTS`` times, then failed with the reason.
Running it again is safe: rows are written by reference, so a file written twice updates what the first run created.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may, user_organization_ids
from core.exceptions import ApplicationError, PermissionDenied
from core.tasks import enqueue

from . import importers
from .models import ImportJob
from .records import detect_format

logger = logging.getLogger(__name__)

QUEUED_GRACE = timedelta(minutes=2)  # a queued job older than this lost its message: the sweep queues it again


def progress_key(job_id: int) -> str:
    return f"marketplace:import-job:{job_id}:progress"


def job_progress(job: ImportJob) -> dict[str, Any] | None:
    """How far a running job is: ``{"phase": "checking"|"writing", "done": rows, "total": rows or 0}``."""
    return cache.get(progress_key(job.pk)) if job.state == ImportJob.State.RUNNING else None


def _may_import(user: User, *, kind: str, organization: Organization | None, staff_options: bool) -> bool:
    model = "achievement" if kind == "achievements" else "need"
    if staff_options or organization is None:
        return staff_may(user, f"marketplace.add_{model}")
    return acts_for(user, organization.pk, permission=f"marketplace.add_{model}")


@transaction.atomic
def import_job_create(
    *,
    kind: str,
    filename: str,
    data: bytes,
    by: User,
    organization: Organization | None = None,
    create_orgs: bool = False,
    publish: bool = False,
    dry_run: bool = False,
) -> ImportJob:
    """Record a file to import and queue its job after the commit. Members import into their organisation (as
    drafts); staff may also let the rows name their owners (``create_orgs``) and publish."""
    if kind not in importers.KINDS:
        raise ApplicationError(_("Choose achievements or needs."), field="kind")
    if not _may_import(by, kind=kind, organization=organization, staff_options=create_orgs or publish):
        raise PermissionDenied(_("Only members of the organisation import for it."))
    try:
        detect_format(filename)
    except ValueError as error:
        raise ApplicationError(str(error), field="file") from error
    if not data:
        raise ApplicationError(_("The file is empty."), field="file")
    job = ImportJob.objects.create(
        kind=kind, filename=filename[:200], data=data, organization=organization, created_by=by,
        create_orgs=create_orgs, publish=publish, dry_run=dry_run,
    )  # fmt: skip
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from .tasks import import_job_run_task

    enqueue(import_job_run_task, job_id)


def _stale_before(now: datetime) -> datetime:
    """A job running since before this has outlived its time limit: its worker died."""
    return now - timedelta(seconds=settings.IMPORT_MAX_SECONDS + 300)


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued job (the task's body). Idempotent: an ended job, or one another worker is running, is left."""
    now = timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        stale = _stale_before(now)
        running_elsewhere = job.state == ImportJob.State.RUNNING and job.started_at and job.started_at > stale
        if job.ended or running_elsewhere:
            return job
        job.state, job.started_at, job.attempts = ImportJob.State.RUNNING, now, job.attempts + 1
        job.save(update_fields=["state", "started_at", "attempts"])

    def report(phase: str, done: int, total: int) -> None:
        cache.set(progress_key(job.pk), {"phase": phase, "done": done, "total": total}, timeout=3600)

    try:
        result = importers.import_records(
            kind=job.kind, data=bytes(job.data), filename=job.filename, organization=job.organization,
            create_orgs=job.create_orgs, publish=job.publish, dry_run=job.dry_run, by=job.created_by,
            progress=report,
        )  # fmt: skip
    except ApplicationError as error:
        return _end(job, ImportJob.State.FAILED, message=error.message)
    except Exception as error:
        logger.exception("import job %s failed (attempt %s)", job.pk, job.attempts)
        if job.attempts >= ImportJob.MAX_ATTEMPTS:
            return _end(job, ImportJob.State.FAILED, message=_("The import failed: %(error)s") % {"error": error})
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
        raise
    finally:
        cache.delete(progress_key(job.pk))
    job.rows = result.created + result.updated + result.held
    job.created, job.updated, job.published, job.held = result.created, result.updated, result.published, result.held
    job.organizations_created = len(result.organizations_created)
    job.errors = [[error.row, error.field, error.reason] for error in result.errors]
    job.errors_total = result.errors_total
    return _end(job, ImportJob.State.DONE if result.ok else ImportJob.State.REFUSED)


def _end(job: ImportJob, state: str, *, message: str = "") -> ImportJob:
    job.state, job.message, job.finished_at, job.data = state, message, timezone.now(), b""
    job.save()
    return job


def import_jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again the jobs whose message was lost and those whose worker died; fail those tried too often."""
    now = now or timezone.now()
    lost = Q(state=ImportJob.State.QUEUED, created_at__lt=now - QUEUED_GRACE)
    dead = Q(state=ImportJob.State.RUNNING, started_at__lt=_stale_before(now))
    requeued = failed = 0
    for job_id in ImportJob.objects.filter(lost | dead).values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if not ImportJob.objects.filter(lost | dead, pk=job_id).exists():
                continue  # it moved on meanwhile
            if job.attempts >= ImportJob.MAX_ATTEMPTS:
                message = _("The import stopped %(n)d times; try a smaller file.") % {"n": job.attempts}
                _end(job, ImportJob.State.FAILED, message=message)
                failed += 1
                continue
            if job.state == ImportJob.State.RUNNING:  # its worker died: the next task runs it from the start
                job.state = ImportJob.State.QUEUED
                job.save(update_fields=["state"])
            transaction.on_commit(lambda job_id=job_id: _queue(job_id))
            requeued += 1
    return {"requeued": requeued, "failed": failed}


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """The jobs a user may follow: those of the organisations they act for, their own, or any for staff."""
    jobs = ImportJob.objects.select_related("organization", "created_by")
    if staff_may(user, "marketplace.view_importjob"):
        return jobs
    if not user.is_authenticated:
        return jobs.none()
    return jobs.filter(Q(organization_id__in=user_organization_ids(user=user)) | Q(created_by=user))
