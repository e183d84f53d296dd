"""The matching outbox (#11 item 2): a publication is recorded with its transaction and matched even when the task
that should have matched it never ran; runs that died are failed; integrity errors are not retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from marketplace import services as posting_services
from marketplace.models import Status
from matching import pending, runs, tasks
from matching.models import Match, MatchRun, PendingMatch
from tests.factories import OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def market():  # type: ignore[no-untyped-def]
    university, company = OrganizationFactory(kind="university"), OrganizationFactory(kind="enterprise")
    offers = [publish(achievement(university, title=f"工业视觉缺陷检测系统 {i}")) for i in range(3)]
    return university, company, offers


def test_a_publication_is_matched_and_leaves_the_outbox(market, settings, django_capture_on_commit_callbacks):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    wanted = need(company)
    with django_capture_on_commit_callbacks(execute=True):
        publish(wanted)
        # Inside the transaction, before the task runs: the publication is recorded with it.
        assert PendingMatch.objects.filter(kind="n", posting_id=wanted.pk).exists()
    assert Match.objects.filter(need=wanted).exists()
    assert not PendingMatch.objects.exists()


def test_a_publication_rolled_back_leaves_nothing_to_match(market, settings):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    wanted = need(company)

    def failing_request() -> None:
        with transaction.atomic():
            publish(wanted)
            raise RuntimeError("the request failed after publishing")

    with pytest.raises(RuntimeError):
        failing_request()
    assert not PendingMatch.objects.exists()
    wanted.refresh_from_db()
    assert wanted.status == Status.DRAFT


def test_a_publication_whose_task_never_ran_is_matched_by_the_sweep(market, settings):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    wanted = need(company)
    publish(wanted)  # inside the test's transaction: the task queued on commit never runs (a lost message)
    assert not Match.objects.filter(need=wanted).exists()
    settings.MATCHING_PENDING_GRACE_SECONDS = 60
    assert pending.pending_sweep() == {"failed runs": 0}  # within the grace period the task may still come
    PendingMatch.objects.update(queued_at=timezone.now() - timedelta(minutes=2))
    counts = pending.pending_sweep()
    assert counts["needs"] == 1 and counts["achievements"] == 0
    assert MatchRun.objects.get(pk=counts["run"]).trigger == "sweep"
    assert Match.objects.filter(need=wanted).exists()
    assert not PendingMatch.objects.exists()
    assert pending.pending_sweep() == {"failed runs": 0}  # nothing matched twice


def test_the_sweep_drops_what_was_closed_meanwhile(market, settings):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    settings.MATCHING_PENDING_GRACE_SECONDS = 0
    wanted = need(company)
    publish(wanted)
    posting_services.posting_transition(posting=wanted, to=Status.CLOSED, by=None)
    assert pending.pending_sweep() == {"failed runs": 0}
    assert not PendingMatch.objects.exists()
    assert not MatchRun.objects.filter(trigger="sweep").exists()


def test_a_publication_during_a_run_stays_for_the_next(market, settings):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    wanted = need(company)
    publish(wanted)
    run = runs.run_start(kind=MatchRun.Kind.INCREMENTAL, trigger="publish", total=1)
    PendingMatch.objects.update(queued_at=timezone.now() + timedelta(seconds=1))  # published again after it started
    runs.run_finish(run_id=run.pk, need_ids=[wanted.pk])
    assert PendingMatch.objects.filter(posting_id=wanted.pk).exists()
    PendingMatch.objects.update(queued_at=timezone.now() - timedelta(seconds=1))
    runs.match_run_full()  # a full rebuild started after it was queued covers it
    assert not PendingMatch.objects.exists()


def test_runs_that_died_are_failed_by_the_sweep(settings):
    settings.MATCHING_RUN_TIMEOUT_MINUTES = 120
    settings.MATCHING_INCREMENTAL_TIMEOUT_MINUTES = 10
    old = timezone.now() - timedelta(minutes=30)
    died = MatchRun.objects.create(kind=MatchRun.Kind.INCREMENTAL, trigger="publish", status=MatchRun.Status.RUNNING)
    rebuilding = MatchRun.objects.create(kind=MatchRun.Kind.FULL, trigger="schedule", status=MatchRun.Status.RUNNING)
    fresh = MatchRun.objects.create(kind=MatchRun.Kind.INCREMENTAL, trigger="publish", status=MatchRun.Status.PENDING)
    MatchRun.objects.filter(pk__in=[died.pk, rebuilding.pk]).update(created_at=old)
    assert pending.pending_sweep()["failed runs"] == 1
    assert MatchRun.objects.get(pk=died.pk).status == MatchRun.Status.FAILED
    assert "timed out" in MatchRun.objects.get(pk=died.pk).error
    assert MatchRun.objects.get(pk=rebuilding.pk).status == MatchRun.Status.RUNNING  # a rebuild takes longer
    assert MatchRun.objects.get(pk=fresh.pk).status == MatchRun.Status.PENDING


@pytest.mark.parametrize(("error", "raised"), [(IntegrityError, IntegrityError), (OperationalError, Retry)])
def test_only_transient_database_errors_are_retried(error, raised, monkeypatch):
    def failing(**kwargs):  # type: ignore[no-untyped-def]
        raise error("injected")

    monkeypatch.setattr(runs, "match_postings", failing)
    with pytest.raises(raised):  # an integrity error fails the task at once; a lost connection is tried again
        tasks.match_postings_task.apply(args=([], [1]))


def test_the_sweep_gives_up_on_a_publication_whose_run_keeps_failing(market, settings, monkeypatch):
    _, company, _ = market
    settings.MATCHING_ON_PUBLISH = True
    settings.MATCHING_PENDING_GRACE_SECONDS = 0
    publish(need(company))

    def failing(**kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(runs, "match_postings", failing)
    for _ in range(PendingMatch.SWEEP_ATTEMPTS):
        with pytest.raises(IntegrityError):
            pending.pending_sweep()
    row = PendingMatch.objects.get()
    assert row.attempts == PendingMatch.SWEEP_ATTEMPTS
    assert row.last_error.startswith("IntegrityError: duplicate key")
    assert pending.pending_sweep() == {"failed runs": 0}  # given up: left for staff to see in admin
