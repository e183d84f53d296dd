"""A full rebuild fanned out in blocks (matching.fanout), run eagerly: the same result as the run in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.importers import import_records
from marketplace.models import Need
from matching import fanout
from matching.models import Match, MatchRun
from matching.runs import match_run_full, run_start
from matching.tasks import full_rebuild_task

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "bench-dev"


@pytest.fixture
def benchmark(settings):  # type: ignore[no-untyped-def]
    settings.MATCHING_ON_PUBLISH = False
    for kind in ("achievements", "needs"):
        path = BENCH / f"{kind}.jsonl"
        result = import_records(kind=kind, data=path.read_bytes(), filename=path.name, create_orgs=True,
                                publish=True)  # fmt: skip
        assert result.ok, result.errors[:3]
    Need.objects.update(deadline=None)  # the benchmark's deadlines are past
    settings.MATCHING_REBUILD_BLOCK = 40  # several blocks of each side
    fanout.forget_block_state()


def snapshot() -> dict[tuple[int, int], tuple]:
    """Every kept pair with what it shows. Scores to 5 decimals: a block's cosines may differ from the one-process
    run's in the 6th (float sums in another order), which the stored 6-decimal score can show as 0.212839/0.21284."""
    return {(m.achievement_id, m.need_id): (round(m.score, 5), m.components, m.broken, m.reasons, m.status)
            for m in Match.objects.all()}  # fmt: skip


def test_fanned_out_rebuild_equals_the_run_in_one_process(benchmark):
    match_run_full()
    single = snapshot()
    Match.objects.all().delete()
    run = MatchRun.objects.get(pk=full_rebuild_task.delay(trigger="test").get())
    assert run.status == MatchRun.Status.DONE, run.error
    assert run.counts["blocks"] == 2 + 4  # 50 needs and 160 achievements in blocks of 40
    assert run.progress_done == run.progress_total
    assert run.counts["pairs"] == len(single)
    assert snapshot() == single  # same pairs, scores, components and reasons


def test_a_rebuild_over_existing_matches_converges_and_removes_what_it_no_longer_keeps(benchmark):
    match_run_full()
    single = snapshot()
    stale = Match.objects.order_by("score").first()
    gone = Need.objects.get(pk=stale.need_id)
    Match.objects.filter(pk=stale.pk).update(score=0.99)  # a changed score is written again
    run = MatchRun.objects.get(pk=full_rebuild_task.delay(trigger="test").get())
    assert run.status == MatchRun.Status.DONE, run.error
    assert snapshot() == single
    gone.status = "closed"
    gone.save(update_fields=["status"])
    run = MatchRun.objects.get(pk=full_rebuild_task.delay(trigger="test").get())
    assert run.counts["removed"] == len([key for key in single if key[1] == gone.pk])
    assert not Match.objects.filter(need=gone).exists()


def test_a_block_run_again_writes_no_duplicate(benchmark):
    run = run_start(kind=MatchRun.Kind.FULL, trigger="test")
    blocks = fanout.rebuild_fit(run_id=run.pk)
    for index in range(blocks):
        fanout.rebuild_block(run_id=run.pk, index=index)
    written = snapshot()
    again = fanout.rebuild_block(run_id=run.pk, index=0)  # a retried block, another process: loads the state again
    fanout.forget_block_state()
    fanout.rebuild_block(run_id=run.pk, index=blocks - 1)
    assert again["created"] == 0
    assert snapshot() == written
    pairs = list(Match.objects.values_list("achievement_id", "need_id"))
    assert len(pairs) == len(set(pairs))
    fanout.rebuild_finish(run_id=run.pk)
    assert MatchRun.objects.get(pk=run.pk).status == MatchRun.Status.DONE


def test_the_finish_runs_once(benchmark, monkeypatch):
    from matching import services

    run = run_start(kind=MatchRun.Kind.FULL, trigger="test")
    for index in range(fanout.rebuild_fit(run_id=run.pk)):
        fanout.rebuild_block(run_id=run.pk, index=index)
    calls = []
    release = services.matches_release
    monkeypatch.setattr(services, "matches_release", lambda **kw: calls.append(kw) or release(**kw))
    first = fanout.rebuild_finish(run_id=run.pk)
    second = fanout.rebuild_finish(run_id=run.pk)  # a redelivered chord callback
    assert first.status == second.status == MatchRun.Status.DONE
    assert len(calls) == 1
    assert first.counts["state"] and second.finished_at == first.finished_at


def test_a_missing_block_fails_the_run_and_never_marks_it_done(benchmark):
    run = run_start(kind=MatchRun.Kind.FULL, trigger="test")
    blocks = fanout.rebuild_fit(run_id=run.pk)
    for index in range(blocks - 1):  # the last block failed
        fanout.rebuild_block(run_id=run.pk, index=index)
    with pytest.raises(RuntimeError, match="blocks not done"):
        fanout.rebuild_finish(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED
    assert "blocks not done" in run.error
    # Run again, the run converges: the missing block, then the finish.
    fanout.rebuild_block(run_id=run.pk, index=blocks - 1)
    assert fanout.rebuild_finish(run_id=run.pk).status == MatchRun.Status.DONE


def test_a_failing_block_fails_the_eager_rebuild(benchmark, monkeypatch):
    def broken(**_kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("disk full")

    monkeypatch.setattr(fanout, "rebuild_block", broken)
    with pytest.raises(ValueError, match="disk full"):
        full_rebuild_task.delay(trigger="test").get()
    run = MatchRun.objects.order_by("-pk").first()
    assert run.status == MatchRun.Status.FAILED
    assert "disk full" in run.error


def test_blocks_cover_each_side_in_ranges():
    assert fanout.plan_blocks({"n": 5, "a": 7}, 3) == [("n", 0, 3), ("n", 3, 5), ("a", 0, 3), ("a", 3, 6),
                                                        ("a", 6, 7)]  # fmt: skip
