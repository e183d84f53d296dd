"""A full rebuild whose scoring is spread over real Celery worker processes (matching.fanout), on PostgreSQL and
Redis: it completes, uses both processes, and writes what the run in one process writes."""

from __future__ import annotations

import shutil
import time
import uuid

import pytest

from matching import fanout
from matching.models import Match, MatchRun
from matching.runs import match_run_full
from matching.tasks import full_rebuild_task, rebuild_side_task

from .conftest import wait_for
from .test_matching_worker import load_benchmark

pytestmark = pytest.mark.integration


def snapshot() -> dict[tuple[int, int], tuple]:
    return {(m.achievement_id, m.need_id): (m.score, m.components, m.broken, m.reasons, m.status)
            for m in Match.objects.all()}  # fmt: skip


def test_rebuild_blocks_on_two_worker_processes_equal_the_run_in_one_process(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    match_run_full()  # in this process
    eager = snapshot()
    Match.objects.all().delete()
    workers.env.update(MATCHING_REBUILD_BLOCK="20")  # 3 blocks of needs, 8 of achievements
    workers.start(2)
    run_id = full_rebuild_task.delay(trigger="test").get(timeout=60)
    run = wait_for(lambda: MatchRun.objects.filter(pk=run_id, status__in=["done", "failed"]).first(), what="the run",
                   timeout=180)  # fmt: skip
    assert run.status == "done", run.error
    assert run.counts["blocks"] == 3 + 8
    assert run.counts["worker processes"] == 2
    assert run.progress_done == run.progress_total
    assert snapshot() == eager
    pairs = list(Match.objects.values_list("achievement_id", "need_id"))
    assert len(pairs) == len(set(pairs))


def test_a_block_that_fails_fails_the_run_which_is_never_done(workers, settings):
    settings.MATCHING_ON_PUBLISH = False
    load_benchmark()
    elsewhere = settings.MATCHING_STATE_DIR / f"elsewhere-{uuid.uuid4().hex[:6]}"
    workers.env.update(MATCHING_REBUILD_BLOCK="40", MATCHING_STATE_DIR=str(elsewhere))
    workers.start(1)
    run = MatchRun.objects.create(kind=MatchRun.Kind.FULL, trigger="test")
    fanout.rebuild_fit(run_id=run.pk)
    # The workers find the plan but not the fitted state (a store they do not share): every block fails.
    (elsewhere / fanout.run_dir(run.pk).name).mkdir(parents=True)
    shutil.copy(fanout.run_dir(run.pk) / "plan.json", elsewhere / fanout.run_dir(run.pk).name / "plan.json")
    rebuild_side_task.delay(run_id=run.pk, side="n")
    run = wait_for(lambda: MatchRun.objects.filter(pk=run.pk, status="failed").first(), what="the failure",
                   timeout=120)  # fmt: skip
    assert "block failed" in run.error
    assert not Match.objects.exists()
    time.sleep(2)  # nothing after the failure marks it done
    assert MatchRun.objects.get(pk=run.pk).status == "failed"
