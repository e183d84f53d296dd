"""Imports as background jobs (#11 item 1): the page records the file and returns, the job checks every row and then
writes all of them in one transaction or none, the page follows it; a job is run once, a lost or dead one is taken
up again by the sweep, and one that takes too long writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError, PermissionDenied
from marketplace import import_jobs
from marketplace.importers import import_records
from marketplace.models import Achievement, ImportJob, PostingTransition, Status
from tests.factories import MembershipFactory, OrganizationFactory
from tests.marketplace.test_importers import GOOD, jsonl

pytestmark = pytest.mark.django_db


def rows(n: int, **fields) -> bytes:  # type: ignore[no-untyped-def]
    return jsonl(*({**GOOD, "ref": f"A{i}", "title": f"钙钛矿电池{i}", **fields} for i in range(n)))


@pytest.fixture
def member():  # type: ignore[no-untyped-def]
    return MembershipFactory().user


def upload(client, data: bytes, name: str = "a.jsonl", **extra):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("marketplace:import"), {"kind": "achievements", "file": SimpleUploadedFile(name, data), **extra}
    )


def test_an_upload_becomes_a_job_that_imports_every_row_once(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, rows(30))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("marketplace:import-job", kwargs={"pk": job.pk})
    job.refresh_from_db()
    assert (job.state, job.created, job.updated, job.rows) == ("done", 30, 0, 30)
    assert job.data == b"" or bytes(job.data) == b""  # the file is not kept once the job ended
    organization = member.organizations.get()
    assert Achievement.objects.filter(organization=organization, status=Status.DRAFT).count() == 30
    assert PostingTransition.objects.filter(to_status=Status.DRAFT).count() == 30
    page = client.get(response["Location"]).content.decode()
    assert "30" in page and 'http-equiv="refresh"' not in page  # ended: no more reloading
    assert import_jobs.import_job_run(job_id=job.pk).state == "done"  # run again (a message delivered twice)
    assert Achievement.objects.count() == 30


def test_a_waiting_job_page_reloads_itself_and_shows_progress(client, member):
    client.force_login(member)
    job = import_jobs.import_job_create(
        kind="achievements", filename="a.jsonl", data=rows(3), organization=member.organizations.get(), by=member
    )  # the task is queued on commit, which this test's transaction never reaches
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk})).content.decode()
    assert 'http-equiv="refresh"' in page
    from django.core.cache import cache

    ImportJob.objects.filter(pk=job.pk).update(state="running", started_at=timezone.now())
    cache.set(import_jobs.progress_key(job.pk), {"phase": "writing", "done": 1000, "total": 3000})
    page = client.get(reverse("marketplace:import-job", kwargs={"pk": job.pk})).content.decode()
    assert 'max="3000" value="1000"' in page


def test_a_bad_file_is_refused_whole_and_the_page_lists_the_rows(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    mars = {**GOOD, "ref": "A3", "province": "火星", "city": ""}
    data = jsonl({**GOOD, "ref": "A1"}, {**GOOD, "ref": "A2", "trl": 12}, mars)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, data)
    job = ImportJob.objects.get()
    assert job.state == "refused" and job.errors_total == 2
    assert [(row, field) for row, field, _reason in job.errors] == [(2, "trl"), (3, "province")]
    assert not Achievement.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "trl" in page and "province" in page


def test_the_job_page_is_only_for_the_organisation_and_staff(client, member, staff_user):
    job = import_jobs.import_job_create(
        kind="achievements", filename="a.jsonl", data=rows(1), organization=member.organizations.get(), by=member
    )
    url = reverse("marketplace:import-job", kwargs={"pk": job.pk})
    colleague = MembershipFactory(organization=member.organizations.get()).user
    client.force_login(colleague)
    assert client.get(url).status_code == 200
    client.force_login(MembershipFactory().user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(staff_user)
    assert client.get(url).status_code == 200


def test_members_import_only_into_their_organisation_and_only_staff_create_owners_or_publish(member, staff_user):
    other = MembershipFactory().user.organizations.get()
    with pytest.raises(PermissionDenied):
        import_jobs.import_job_create(kind="achievements", filename="a.jsonl", data=rows(1), organization=other,
                                      by=member)  # fmt: skip
    with pytest.raises(PermissionDenied):
        import_jobs.import_job_create(kind="achievements", filename="a.jsonl", data=rows(1), create_orgs=True,
                                      by=member)  # fmt: skip
    with pytest.raises(ApplicationError) as error:
        import_jobs.import_job_create(kind="achievements", filename="a.pdf", data=b"x", by=staff_user,
                                      create_orgs=True)  # fmt: skip
    assert error.value.field == "file"
    assert not ImportJob.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(client, member, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    client.force_login(member)
    response = upload(client, b"x" * (2**20 + 1))
    assert response.status_code == 200
    assert "1 MB" in str(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_an_import_that_takes_too_long_writes_nothing(settings):
    settings.IMPORT_MAX_SECONDS = 0
    result = import_records(kind="achievements", data=rows(1001), filename="a.jsonl", create_orgs=True)
    assert [(e.row, e.field) for e in result.errors] == [(0, "file")]
    assert "0 seconds" in result.errors[0].reason
    assert not Achievement.objects.exists()


def test_progress_is_reported_while_checking_and_while_writing():
    heard: list[tuple[str, int, int]] = []
    import_records(kind="achievements", data=rows(2500), filename="a.jsonl", create_orgs=True,
                   progress=lambda *args: heard.append(args))  # fmt: skip
    assert ("checking", 2500, 2500) in heard
    assert [args for args in heard if args[0] == "writing"] == [
        ("writing", 1000, 2500), ("writing", 2000, 2500), ("writing", 2500, 2500)
    ]  # fmt: skip
    assert Achievement.objects.count() == 2500


def test_reimporting_updates_by_reference_in_bulk_and_reindexes(settings):
    settings.MATCHING_ON_PUBLISH = True
    import_records(kind="achievements", data=rows(1200), filename="a.jsonl", create_orgs=True)
    changed = rows(1200, summary="固态电解质新配方，可许可。", domains=["ai"])
    result = import_records(kind="achievements", data=changed, filename="a.jsonl", create_orgs=True, publish=True)
    assert (result.created, result.updated, result.published) == (0, 1200, 1200)
    posting = Achievement.objects.get(external_ref="A7")
    assert posting.summary == "固态电解质新配方，可许可。" and posting.status == Status.PUBLISHED
    assert [d.code for d in posting.domains.all()] == ["ai"]
    assert "固态" in posting.search_document
    from marketplace.models import AchievementSearchTerm

    tokens = set(AchievementSearchTerm.objects.filter(posting=posting).values_list("token", flat=True))
    assert any("电解质" in token for token in tokens)
    from matching.models import PendingMatch

    assert PendingMatch.objects.filter(kind="a").count() == 1200  # each publication waits for matching
    from core.models import AuditEvent

    batches = AuditEvent.objects.filter(kind="transition", detail__reason="bulk import").order_by("pk")
    counts = [tuple(e.detail.get(name, 0) for name in ("created", "updated", "published")) for e in batches]
    assert counts == [(1000, 0, 0), (200, 0, 0), (0, 1000, 1000), (0, 200, 200)]  # per organisation and batch


def test_the_sweep_queues_lost_jobs_again_and_fails_dead_ones_after_three_tries(
    member, django_capture_on_commit_callbacks
):
    organization = member.organizations.get()
    lost = import_jobs.import_job_create(kind="achievements", filename="a.jsonl", data=rows(2),
                                         organization=organization, by=member)  # fmt: skip
    later = timezone.now() + timedelta(minutes=5)
    long_ago = timezone.now() - timedelta(days=1)
    dead = ImportJob.objects.create(kind="achievements", filename="b.jsonl", data=rows(1), organization=organization,
                                    state="running", attempts=3, started_at=long_ago)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):  # eager: the job queued again runs here
        counts = import_jobs.import_jobs_sweep(now=later)
    assert counts == {"requeued": 1, "failed": 1, "expired": 0}
    lost.refresh_from_db()
    dead.refresh_from_db()
    assert lost.state == "done" and lost.created == 2
    assert dead.state == "failed" and "3" in dead.message and bytes(dead.data) == b""
    assert import_jobs.import_jobs_sweep(now=later) == {"requeued": 0, "failed": 0, "expired": 0}


def test_a_job_another_worker_is_running_is_left_alone(member):
    job = ImportJob.objects.create(kind="achievements", filename="a.jsonl", data=rows(1), created_by=member,
                                   organization=member.organizations.get(), state="running", attempts=1,
                                   started_at=timezone.now())  # fmt: skip
    assert import_jobs.import_job_run(job_id=job.pk).state == "running"
    assert not Achievement.objects.exists()


def test_staff_import_from_admin_goes_through_a_job(client, staff_user, django_capture_on_commit_callbacks):
    client.force_login(staff_user)
    url = reverse("admin:marketplace_achievement_import")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("a.jsonl", rows(5)), "create_orgs": "on",
                                     "publish": "on"})  # fmt: skip
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("marketplace:import-job", kwargs={"pk": job.pk})
    job.refresh_from_db()
    assert (job.state, job.created, job.published, job.organizations_created) == ("done", 5, 5, 1)
    assert client.get(reverse("admin:marketplace_importjob_changelist")).status_code == 200


def test_owners_are_matched_as_organisation_names_are_compared():
    existing = OrganizationFactory(name="清华大学")
    data = jsonl(
        {**GOOD, "ref": "A1", "institution": "清华 大学"},
        {**GOOD, "ref": "A2", "institution": "Boston Scientific, Inc."},
        {**GOOD, "ref": "A3", "institution": "BOSTON SCIENTIFIC INC"},
    )
    result = import_records(kind="achievements", data=data, filename="a.jsonl", create_orgs=True)
    assert result.ok, result.errors
    assert result.organizations_created == ["Boston Scientific, Inc."]
    assert Achievement.objects.get(external_ref="A1").organization == existing
    owner = Achievement.objects.get(external_ref="A2").organization
    assert Achievement.objects.get(external_ref="A3").organization == owner


def test_deleting_a_posting_deletes_its_search_index_rows():
    # The index rows have no database constraint (millions of deferred checks at commit): Django's cascade it is.
    from marketplace.models import AchievementSearchTerm

    import_records(kind="achievements", data=rows(2), filename="a.jsonl", create_orgs=True)
    first, second = Achievement.objects.order_by("pk")
    assert AchievementSearchTerm.objects.filter(posting=first).exists()
    first.delete()
    assert not AchievementSearchTerm.objects.filter(posting_id=first.pk).exists()
    assert AchievementSearchTerm.objects.filter(posting=second).exists()


def test_new_postings_are_indexed_after_the_commit_and_the_sweep_indexes_those_a_crash_left_out():
    from marketplace.models import AchievementSearchTerm
    from marketplace.search_index import index_sweep

    heard: list[tuple[str, int, int]] = []
    result = import_records(kind="achievements", data=rows(2500), filename="a.jsonl", create_orgs=True,
                            progress=lambda *args: heard.append(args))  # fmt: skip
    assert result.written_seconds > 0
    assert ("indexing", 2500, 2500) in heard  # after the writing
    assert heard.index(("writing", 2500, 2500)) < heard.index(("indexing", 2500, 2500))
    lost = Achievement.objects.order_by("pk")[:3]
    AchievementSearchTerm.objects.filter(posting__in=lost).delete()  # as if the worker died before indexing them
    assert index_sweep() == 3
    assert all(AchievementSearchTerm.objects.filter(posting=posting).exists() for posting in lost)
    assert index_sweep() == 0
