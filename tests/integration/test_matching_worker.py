"""Matching through real Celery worker processes, Redis and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.importers import import_records
from marketplace.models import Achievement, Need
from matching import explaining, services
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


def test_a_large_rebuild_leaves_the_rest_to_the_workers_who_explain_it_as_the_run_would(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()  # in this process: every pair explained as it runs
    eager = {(m.achievement_id, m.need_id): m.reasons for m in Match.objects.all()}
    Match.objects.all().delete()
    workers.env.update(MATCHING_EXPLAIN_ALL_BELOW="0", MATCHING_EXPLAIN_FIRST="2")
    workers.start(1)
    run_id = full_rebuild_task.delay(trigger="test").get(timeout=60)
    run = wait_for(lambda: MatchRun.objects.filter(pk=run_id, status__in=["done", "failed"]).first(), what="the run")
    assert run.status == "done", run.error
    assert 0 < run.counts["explained later"] < run.counts["pairs"]
    wait_for(lambda: not Match.objects.filter(reasons__isnull=True).exists(), what="the rest explained")
    assert {(m.achievement_id, m.need_id): m.reasons for m in Match.objects.all()} == eager


def test_a_match_read_before_the_workers_reach_it_is_explained_by_a_worker_at_once(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()
    workers.start(1)
    shown = list(Match.objects.order_by("-score")[:5])
    expected = {m.pk: m.reasons for m in shown}
    Match.objects.filter(pk__in=list(expected)).update(reasons=None)
    for match in shown:
        match.reasons = None
    settings.MATCHING_EXPLAIN_WAIT = 30.0  # the worker loads the kept state first
    explaining.ensure_explained(shown)
    assert {m.pk: m.reasons for m in shown} == expected
