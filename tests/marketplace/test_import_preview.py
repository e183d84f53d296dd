"""A dry run shows what would be created (#12 item 5): the check-only job lists the first rows as they would be
written (create or update, kind, title, domains, region, modes and status in the reader's language) and writes
nothing; "Import this file" imports the same kept file as a new job, for its uploader only, once, while it is kept
unchanged; the preview is bounded whatever the file's size."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace import import_jobs
from marketplace.models import Achievement, ImportJob, PostingTransition
from tests.factories import MembershipFactory
from tests.marketplace.test_importers import GOOD, jsonl

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():  # type: ignore[no-untyped-def]
    return MembershipFactory().user


def rows(n: int, start: int = 0) -> bytes:
    return jsonl(*({**GOOD, "ref": f"A{i}", "title": f"钙钛矿电池{i}"} for i in range(start, start + n)))


def counts() -> tuple[int, int, int]:
    return Achievement.objects.count(), PostingTransition.objects.count(), ImportJob.objects.count()


def check(client, data: bytes, capture, language: str = "zh-hans") -> ImportJob:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post(
            reverse("marketplace:import"),
            {"kind": "achievements", "file": SimpleUploadedFile("a.jsonl", data), "dry_run": "on"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.dry_run and job.state == "done"
    return job


def preview_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'data-preview-ref="([^"]+)" data-preview-action="(create|update)"', page)


def test_the_dry_run_previews_the_would_be_records_and_writes_nothing(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    organization = member.organizations.get()
    import_jobs.import_job_run(
        job_id=import_jobs.import_job_create(kind="achievements", filename="first.jsonl", data=rows(1),
                                             organization=organization, by=member).pk
    )  # fmt: skip  # A0 exists: the check would update it
    before = counts()
    job = check(client, rows(3), django_capture_on_commit_callbacks)
    assert counts() == (before[0], before[1], before[2] + 1)  # the job itself, nothing else
    assert (job.created, job.updated) == (2, 1)
    url = reverse("marketplace:import-job", kwargs={"pk": job.pk})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert preview_rows(page) == [("A0", "update"), ("A1", "create"), ("A2", "create")]
    body = page.split("data-import-preview", 1)[1]
    assert "钙钛矿电池1" in body and "光伏" in body and "江苏省 苏州市" in body and "草稿" in body
    assert "许可" in body  # the mode's label in the reader's language, not its code
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode().split("data-import-preview", 1)[1]
    assert "Photovoltaics" in english and "Jiangsu" in english and "licence" in english and "draft" in english
    assert "Import this file" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_import_this_file_creates_exactly_what_the_preview_said(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    job = check(client, rows(3), django_capture_on_commit_callbacks)
    previewed = [(line["ref"], line["action"]) for line in job.preview]
    assert Achievement.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketplace:import-job-commit", kwargs={"pk": job.pk}))
    imported = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("marketplace:import-job", kwargs={"pk": imported.pk})
    imported.refresh_from_db()
    assert (imported.state, imported.dry_run, imported.source_id) == ("done", False, job.pk)
    assert (imported.created, imported.updated) == (job.created, job.updated) == (3, 0)
    assert sorted(Achievement.objects.values_list("external_ref", flat=True)) == [ref for ref, _ in previewed]
    assert {action for _ref, action in previewed} == {"create"}
    assert set(Achievement.objects.values_list("status", flat=True)) == {"draft"}
    job.refresh_from_db()
    assert bytes(job.data) == b""  # the kept file is dropped once imported
    again = client.post(reverse("marketplace:import-job-commit", kwargs={"pk": job.pk}), follow=True)
    assert "imported already" in again.content.decode()
    assert ImportJob.objects.count() == 2 and Achievement.objects.count() == 3


def test_another_organisations_user_gets_404_and_a_colleague_may_not_import_it(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    job = check(client, rows(2), django_capture_on_commit_callbacks)
    stranger = MembershipFactory().user
    client.force_login(stranger)
    assert client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk})).status_code == 404
    assert client.post(reverse("marketplace:import-job-commit", kwargs={"pk": job.pk})).status_code == 404
    colleague = MembershipFactory(organization=member.organizations.get()).user
    client.force_login(colleague)
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk}), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Import this file" not in page.content.decode()
    refused = client.post(reverse("marketplace:import-job-commit", kwargs={"pk": job.pk}), follow=True)
    assert "Only the person who checked the file imports it." in refused.content.decode()
    assert ImportJob.objects.count() == 1 and not Achievement.objects.exists()
    assert client.get(reverse("marketplace:import-job-commit", kwargs={"pk": job.pk})).status_code == 405


def test_an_expired_or_changed_file_or_a_refused_check_is_not_imported(member):
    organization = member.organizations.get()
    job = import_jobs.import_job_create(kind="achievements", filename="a.jsonl", data=rows(2),
                                        organization=organization, dry_run=True, by=member)  # fmt: skip
    import_jobs.import_job_run(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(data=rows(3))  # not the bytes that were checked
    with pytest.raises(import_jobs.ApplicationError, match="changed"):
        import_jobs.import_job_commit(job_id=job.pk, by=member)
    ImportJob.objects.filter(pk=job.pk).update(data=rows(2), finished_at=timezone.now() - timedelta(hours=25))
    with pytest.raises(import_jobs.ApplicationError, match="no longer kept"):
        import_jobs.import_job_commit(job_id=job.pk, by=member)
    assert import_jobs.import_jobs_sweep()["expired"] == 1  # the sweep drops the expired file
    job.refresh_from_db()
    assert bytes(job.data) == b""
    bad = import_jobs.import_job_create(kind="achievements", filename="b.jsonl", data=jsonl({**GOOD, "trl": 12}),
                                        organization=organization, dry_run=True, by=member)  # fmt: skip
    assert import_jobs.import_job_run(job_id=bad.pk).state == "refused"
    with pytest.raises(import_jobs.ApplicationError, match="without problems"):
        import_jobs.import_job_commit(job_id=bad.pk, by=member)
    assert not Achievement.objects.exists() and ImportJob.objects.count() == 2


def test_a_large_files_preview_is_bounded(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    job = check(client, rows(1200), django_capture_on_commit_callbacks, language="en")  # more than a write batch
    assert job.rows == 1200 and len(job.preview) == import_jobs.PREVIEW_ROWS == 20
    assert [line["row"] for line in job.preview] == list(range(1, 21))
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk}), HTTP_ACCEPT_LANGUAGE="en")
    assert len(preview_rows(page.content.decode())) == 20
    assert "The first 20 of 1200 rows." in page.content.decode()
    assert not Achievement.objects.exists()
