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

Errors in the reader's language. The job runs where nobody's language is active, and the uploader and staff may read
different languages, so activating the uploader's language in the task would be wrong for half the readers. Each
error is kept as its row, its column key and its reason said in every language the product speaks (rendered here
from the ``RowError``'s gettext message and parameters, ``records.in_every_language``); the pages show the reader's
(``import_results``). A message id and parameters alone would not do: Django's validators' messages are lazy plural
forms whose choice depends on a parameter, and a list of allowed values is said in labels of the reader's language;
with two languages and at most ``IMPORT_MAX_ERRORS`` errors, rendering each in both costs nothing. A job's failure
(the worker's exception, the sweep giving up) is kept the same way, as an error of the whole file.

A dry run ("only check") keeps the first ``PREVIEW_ROWS`` rows as they would be written (create or update, status,
codes named on the page in the reader's language), and, when the file passed, the file itself with its SHA-256 for
``DRY_RUN_KEEP``: its owner imports it as it is (``import_job_commit``: a new job through ``import_job_create``,
refused if the file is gone, expired or no longer has the digest it was checked with, or was imported already).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may, user_organization_ids
from core.exceptions import ApplicationError, PermissionDenied
from core.tasks import enqueue

from . import importers
from .models import ImportJob
from .records import RowError, UnknownFormat, detect_format

logger = logging.getLogger(__name__)

QUEUED_GRACE = timedelta(minutes=2)  # a queued job older than this lost its message: the sweep queues it again
PREVIEW_ROWS = 20  # rows a dry run describes as they would be written
DRY_RUN_KEEP = timedelta(hours=24)  # how long a checked file waits to be imported as it is


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
    source: ImportJob | None = None,
) -> ImportJob:
    """Record a file to import and queue its job after the commit. Members import into their organisation (as
    drafts); staff may also let the rows name their owners (``create_orgs``) and publish."""
    if kind not in importers.KINDS:
        raise ApplicationError(_("Choose achievements or needs."), field="kind")
    if not _may_import(by, kind=kind, organization=organization, staff_options=create_orgs or publish):
        raise PermissionDenied(_("Only members of the organisation import for it."))
    try:
        detect_format(filename)
    except UnknownFormat as error:
        raise ApplicationError(str(error), field="file") from error
    if not data:
        raise ApplicationError(_("The file is empty."), field="file")
    job = ImportJob.objects.create(
        kind=kind, filename=filename[:200], data=data, organization=organization, created_by=by,
        create_orgs=create_orgs, publish=publish, dry_run=dry_run, digest=hashlib.sha256(data).hexdigest(),
        source=source,
    )  # fmt: skip
    transaction.on_commit(lambda: _queue(job.pk))
    return job


@transaction.atomic
def import_job_commit(*, job_id: int, by: User) -> ImportJob:
    """Import the file a dry run checked, as it is, with the same options: a new job through ``import_job_create``
    (which checks again that ``by`` may import it). Only the uploader may, once, while the file is kept unchanged."""
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who checked the file imports it."))
    if not job.dry_run or job.state != ImportJob.State.DONE:
        raise ApplicationError(_("Only a checked file without problems can be imported from here."))
    if job.commits.exists():
        raise ApplicationError(_("This file has been imported already."))
    data = bytes(job.data)
    if not data or job.finished_at is None or job.finished_at < timezone.now() - DRY_RUN_KEEP:
        raise ApplicationError(_("The checked file is no longer kept; upload it again."))
    if hashlib.sha256(data).hexdigest() != job.digest:
        raise ApplicationError(_("The checked file has changed since it was checked; upload it again."))
    imported = import_job_create(
        kind=job.kind, filename=job.filename, data=data, by=by, organization=job.organization,
        create_orgs=job.create_orgs, publish=job.publish, source=job,
    )  # fmt: skip
    job.data = b""
    job.save(update_fields=["data"])
    return imported


def import_job_committable(job: ImportJob, user: User) -> bool:
    """Whether the page offers ``user`` to import this dry run's file (``import_job_commit`` decides)."""
    return (
        job.dry_run
        and job.state == ImportJob.State.DONE
        and job.created_by_id == user.pk
        and bool(job.digest)
        and job.finished_at is not None
        and job.finished_at >= timezone.now() - DRY_RUN_KEEP
        and len(job.data or b"") > 0
        and not job.commits.exists()
    )


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
            progress=report, preview=PREVIEW_ROWS if job.dry_run else 0,
        )  # fmt: skip
    except ApplicationError as error:
        return _end(job, ImportJob.State.FAILED, message=error.message)
    except Exception as error:
        logger.exception("import job %s failed (attempt %s)", job.pk, job.attempts)
        if job.attempts >= ImportJob.MAX_ATTEMPTS:
            return _failed(job, RowError(0, "file", gettext_lazy("The import failed: %(error)s"), {"error": error}))
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
        raise
    finally:
        cache.delete(progress_key(job.pk))
    job.rows = result.created + result.updated + result.held
    job.created, job.updated, job.published, job.held = result.created, result.updated, result.published, result.held
    job.organizations_created = len(result.organizations_created)
    job.errors = [[error.row, error.field, error.reasons()] for error in result.errors]
    job.errors_total = result.errors_total
    job.preview = result.preview
    return _end(job, ImportJob.State.DONE if result.ok else ImportJob.State.REFUSED)


def _end(job: ImportJob, state: str, *, message: str = "") -> ImportJob:
    """End the job; its file is dropped, but for a dry run that passed (its owner may import it as it is)."""
    job.state, job.message, job.finished_at = state, message, timezone.now()
    if not (job.dry_run and state == ImportJob.State.DONE):
        job.data = b""
    job.save()
    return job


def _failed(job: ImportJob, error: RowError) -> ImportJob:
    """End the job as failed, the reason kept in every language (and, in the default one, as its message)."""
    job.errors, job.errors_total = [[error.row, error.field, error.reasons()]], 1
    with translation.override(settings.LANGUAGE_CODE):
        message = error.reason
    return _end(job, ImportJob.State.FAILED, message=message)


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
                message = gettext_lazy("The import stopped %(n)d times; try a smaller file.")
                _failed(job, RowError(0, "file", message, {"n": job.attempts}))
                failed += 1
                continue
            if job.state == ImportJob.State.RUNNING:  # its worker died: the next task runs it from the start
                job.state = ImportJob.State.QUEUED
                job.save(update_fields=["state"])
            transaction.on_commit(lambda job_id=job_id: _queue(job_id))
            requeued += 1
    expired = ImportJob.objects.filter(dry_run=True, finished_at__lt=now - DRY_RUN_KEEP, digest__gt="").exclude(
        data=b""
    )
    return {"requeued": requeued, "failed": failed, "expired": expired.update(data=b"")}


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """The jobs a user may follow: those of the organisations they act for, their own, or any for staff."""
    jobs = ImportJob.objects.select_related("organization", "created_by")
    if staff_may(user, "marketplace.view_importjob"):
        return jobs
    if not user.is_authenticated:
        return jobs.none()
    return jobs.filter(Q(organization_id__in=user_organization_ids(user=user)) | Q(created_by=user))
