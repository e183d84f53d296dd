"""Import jobs on a real Celery worker through Redis (#11 item 1): a job is imported in the background; a worker killed
in the middle of writing leaves nothing half-written, and the sweep has the job imported whole by the next worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from marketplace import import_jobs
from marketplace.models import Achievement, ImportJob
from tests.factories import MembershipFactory
from tests.marketplace.test_importers import GOOD, jsonl

from .conftest import REDIS_URL, wait_for

pytestmark = pytest.mark.integration


def rows(n: int) -> bytes:
    return jsonl(*({**GOOD, "ref": f"A{i}", "title": f"钙钛矿叠层电池{i}", "summary": "效率28%，可许可。" * 20}
                   for i in range(n)))  # fmt: skip


def create_job(data: bytes) -> ImportJob:
    member = MembershipFactory().user
    with transaction.atomic():  # committed: the job's task is queued after the commit
        return import_jobs.import_job_create(
            kind="achievements", filename="a.jsonl", data=data, organization=member.organizations.get(), by=member
        )


def state(job: ImportJob) -> str:
    return ImportJob.objects.values_list("state", flat=True).get(pk=job.pk)


def test_a_worker_imports_the_job_in_the_background(workers):
    workers.start(1)
    job = create_job(rows(50))
    wait_for(lambda: state(job) == "done", timeout=120, what="the import job")
    job.refresh_from_db()
    assert (job.created, job.rows) == (50, 50)
    assert Achievement.objects.filter(organization=job.organization).count() == 50


def test_a_worker_killed_while_writing_leaves_nothing_and_the_sweep_imports_the_file_whole(workers, settings):
    # The worker reports its progress in the cache: here one both processes share, as in production (CACHE_URL).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    workers.env["CACHE_URL"] = REDIS_URL
    workers.start(1)
    job = create_job(rows(6000))
    wait_for(lambda: state(job) == "running", timeout=120, what="the job to start")
    wait_for(lambda: ImportJob.objects.filter(pk=job.pk, state="running").exists() and _writing(job), timeout=120,
             what="the job to be writing")  # fmt: skip
    workers.kill()
    assert state(job) == "running"
    assert not Achievement.objects.exists()  # its one transaction died with it
    from config.celery import app

    app.control.purge()  # the redelivery of the killed task is not what this test is about: the sweep is
    workers.start(1)
    # An hour on (past IMPORT_MAX_SECONDS): the job is running on no worker; the sweep queues it again.
    counts = import_jobs.import_jobs_sweep(now=timezone.now() + timedelta(seconds=settings.IMPORT_MAX_SECONDS + 600))
    assert counts["requeued"] == 1
    wait_for(lambda: state(job) in ("done", "failed"), timeout=300, what="the job to end")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.created) == ("done", 2, 6000)
    assert Achievement.objects.count() == 6000


def _writing(job: ImportJob) -> bool:
    progress = import_jobs.job_progress(ImportJob.objects.get(pk=job.pk))
    return bool(progress and progress["phase"] == "writing" and progress["done"] >= 1000)
