"""Matching through real Celery worker processes, Redis and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.importers import import_records
from marketplace.models import Achievement, Need
from matching import services
from matching.models import Match, MatchRun
from matching.runs import match_run_full
from matching.tasks import full_rebuild_task

from .conftest import wait_for

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "bench-dev"


def load_benchmark(publish: bool = True) -> None:
    for kind in ("achievements", "needs"):
        path = BENCH / f"{kind}.jsonl"
        result = import_records(kind=kind, data=path.read_bytes(), filename=path.name, create_orgs=True,
                                publish=publish)  # fmt: skip
        assert result.ok, result.errors[:3]
    Need.objects.update(deadline=None)  # the benchmark's deadlines are past: a need past its deadline is not matched


def snapshot() -> dict[tuple[int, int], float]:
    return {(m.achievement_id, m.need_id): round(m.score, 4) for m in Match.objects.all()}


def test_publishing_a_record_produces_its_matches_through_the_worker(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    workers.start(1)
    settings.MATCHING_ON_PUBLISH = True
    from marketplace import services as posting_services

    need = Need.objects.get(external_ref="N010")
    posting_services.posting_transition(posting=need, to="closed", by=None)
    posting_services.posting_transition(posting=need, to="draft", by=None)
    posting_services.posting_transition(posting=need, to="published", by=None)  # commits: enqueues the task
    wait_for(lambda: MatchRun.objects.filter(trigger="publish", status="done").exists(), what="the publish run")
    kept = Match.objects.filter(need=need).order_by("-score")
    assert kept.count() > 0
    assert kept.first().achievement.external_ref in {"A0044", "A0095"}  # the benchmark's strong fits


def test_full_rebuild_on_two_workers_equals_an_eager_run(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()  # in this process
    eager = snapshot()
    Match.objects.all().delete()
    workers.start(2)
    run_id = full_rebuild_task.delay(trigger="test").get(timeout=60)
    run = wait_for(lambda: MatchRun.objects.filter(pk=run_id, status__in=["done", "failed"]).first(), what="the run")
    assert run.status == "done", run.error
    assert run.progress_done == run.progress_total > 2
    assert snapshot() == eager


def test_a_worker_killed_mid_rebuild_loses_nothing_and_duplicates_nothing(workers, settings, staff_user):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()
    reviewed = Match.objects.order_by("-score").first()
    services.match_approve(match=reviewed, by=staff_user)
    workers.start(1)
    run_id = full_rebuild_task.delay(trigger="test").get(timeout=60)
    wait_for(lambda: MatchRun.objects.filter(pk=run_id, status="running").exists(), what="the rebuild to start")
    workers.kill()
    assert MatchRun.objects.get(pk=run_id).status != "done"

    workers.start(1)
    again = full_rebuild_task.delay(trigger="test").get(timeout=60)
    run = wait_for(lambda: MatchRun.objects.filter(pk=again, status__in=["done", "failed"]).first(), what="rerun")
    assert run.status == "done", run.error
    reviewed.refresh_from_db()
    assert reviewed.status == Match.Status.APPROVED
    pairs = list(Match.objects.values_list("achievement_id", "need_id"))
    assert len(pairs) == len(set(pairs))
    assert Achievement.objects.count() == 160
