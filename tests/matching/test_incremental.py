"""Incremental matching: the kept fitted state, publications matched without a re-fit, the other side's lists,
batches, the refit rule, the state across processes, and the full rebuild written in blocks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from marketplace import services as posting_services
from marketplace.importers import import_records
from marketplace.models import Achievement, Need, Status
from matching import incremental, runs
from matching.engine import MatchingEngine
from matching.engine.state import Drift, EngineState, refit_reason
from matching.models import Match, MatchingConfig, MatchRun, RecordTokens
from matching.runs import match_postings, match_run_full, match_run_incremental
from tests.factories import OrganizationFactory, achievement, need

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "bench-dev"


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def fits(monkeypatch):  # type: ignore[no-untyped-def]
    """Counts the engine's fits."""
    calls = []
    original = MatchingEngine.fit

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(MatchingEngine, "fit", counting)
    return calls


def top(kind: str, pk: int, k: int = 50) -> list[int]:
    field, other = ("achievement_id", "need_id") if kind == "a" else ("need_id", "achievement_id")
    return list(Match.objects.filter(**{field: pk}).order_by("-score", other).values_list(other, flat=True)[:k])


# --- the engine alone -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    import sys

    sys.path.insert(0, str(BENCH.parents[2] / "bench"))
    from benchdata import geography, load, taxonomy

    achievements, needs, _ = load(BENCH)
    return taxonomy(), geography(), achievements, needs


def test_rank_rows_of_fitted_records_equals_the_full_ranking(bench):
    taxonomy, geography, achievements, needs = bench
    engine = MatchingEngine(taxonomy, geography).fit(achievements, needs)
    full, rows = engine.rank_needs(), engine.rank_rows(needs=np.arange(len(needs)))
    as_set = lambda p: sorted(zip(p.need.tolist(), p.achievement.tolist(), np.round(p.total, 6).tolist(), strict=True))  # noqa: E731
    assert as_set(full) == as_set(rows)
    full, rows = engine.rank_achievements(), engine.rank_rows(achievements=np.arange(len(achievements)))
    assert as_set(full) == as_set(rows)


def test_a_record_added_without_refit_ranks_as_a_refit_would(bench):
    taxonomy, geography, achievements, needs = bench
    refit = MatchingEngine(taxonomy, geography).fit(achievements, needs)
    engine = MatchingEngine(taxonomy, geography).fit(achievements[:-8], needs[:-4])
    state = EngineState(engine, version="v", fingerprint="f", fitted_at=0.0)
    new_achievements, new_needs = state.add(
        achievements=[(r, engine.bag(r), "") for r in achievements[-8:]],
        needs=[(r, engine.bag(r), "") for r in needs[-4:]],
    )
    assert list(new_achievements) == list(range(len(achievements) - 8, len(achievements)))
    differences = []
    for key, rows, own, other in (("needs", new_needs, "need", "achievement"),
                                  ("achievements", new_achievements, "achievement", "need")):  # fmt: skip
        added, fitted = engine.rank_rows(**{key: rows}, limit=10), refit.rank_rows(**{key: rows}, limit=10)
        for row in rows:
            mine, theirs = getattr(added, own) == row, getattr(fitted, own) == row
            best_a = getattr(added, other)[mine][np.argsort(-added.total[mine])]
            best_b = getattr(fitted, other)[theirs][np.argsort(-fitted.total[theirs])]
            assert best_a[0] == best_b[0]  # the same best match
            assert len(set(best_a) & set(best_b)) >= 8  # nearly the same top 10 (the IDF moved a little)
            score = dict(zip(best_b.tolist(), np.sort(fitted.total[theirs])[::-1].tolist(), strict=True))
            mine_sorted = np.sort(added.total[mine])[::-1].tolist()
            differences += [abs(s - score[x]) for x, s in zip(best_a.tolist(), mine_sorted, strict=True) if x in score]
    assert np.mean(differences) < 0.02 and max(differences) < 0.15


def test_the_refit_rule():
    drift = Drift(fitted=1000, added=50, added_weight=100.0, unseen_weight=2.0)
    assert refit_reason(drift, added_share=0.1, unseen_share=0.1, minimum=20) is None
    assert "added 150" in refit_reason(Drift(1000, 150, 100.0, 2.0), added_share=0.1, unseen_share=0.1, minimum=20)
    assert "unseen" in refit_reason(Drift(1000, 50, 100.0, 30.0), added_share=0.1, unseen_share=0.1, minimum=20)
    assert refit_reason(Drift(3, 2, 10.0, 9.0), added_share=0.1, unseen_share=0.1, minimum=20) is None  # too few


def test_unseen_tokens_count_when_they_recur(bench, tmp_path):
    taxonomy, geography, achievements, needs = bench
    engine = MatchingEngine(taxonomy, geography).fit(achievements[:-2], needs)
    state = EngineState(engine, version="v", fingerprint="f", fitted_at=0.0)
    once = {"zzqx": 5.0, **engine.bag(achievements[-2])}
    state.add(achievements=[(achievements[-2], once, "m")])
    assert state.drift().unseen_weight == 0.0  # a token in one record cannot make a pair similar
    twice = {"zzqx": 5.0, **engine.bag(achievements[-1])}
    state.add(achievements=[(achievements[-1], twice, "m")])
    assert state.drift().unseen_weight >= 10.0


def test_a_saved_state_loads_into_a_new_engine_and_ranks_the_same(bench, tmp_path):
    taxonomy, geography, achievements, needs = bench
    engine = MatchingEngine(taxonomy, geography).fit(achievements, needs)
    state = EngineState(engine, version="v1", fingerprint="f", fitted_at=1.0)
    state.save(tmp_path)
    assert EngineState.load(tmp_path, "v1", MatchingEngine(taxonomy, geography), fingerprint="other") is None
    loaded = EngineState.load(tmp_path, "v1", MatchingEngine(taxonomy, geography), fingerprint="f")
    assert loaded is not None
    loaded.engine.achievements, loaded.engine.needs = list(achievements), list(needs)
    rows = np.arange(len(needs))
    a, b = engine.rank_rows(needs=rows), loaded.engine.rank_rows(needs=rows)
    assert np.array_equal(a.achievement, b.achievement) and np.allclose(a.total, b.total)
    assert [r.en for r in loaded.engine.explain_many(b.subset(np.arange(3)))[0]] == [
        r.en for r in engine.explain_many(a.subset(np.arange(3)))[0]
    ]


# --- through Django ---------------------------------------------------------------------------------------------
pytestmark = pytest.mark.django_db


@pytest.fixture
def market():  # type: ignore[no-untyped-def]
    university, enterprise = OrganizationFactory(), OrganizationFactory(kind="enterprise")
    made = {
        "A1": publish(achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极，比容量335 mAh/g。",
                                  domains=("battery_materials",), external_ref="A1")),
        "A2": publish(achievement(university, title="耐盐碱水稻新品种", summary="分子育种，亩产提高15%。",
                                  domains=("seed_industry",), external_ref="A2")),
        "N1": publish(need(enterprise, title="低成本硬碳负极材料", description="钠离子电池产线需要硬碳负极。",
                           domains=("battery_materials",), external_ref="N1")),
        "N2": publish(need(enterprise, title="耐盐碱水稻品种", description="盐碱地种植需要耐盐碱水稻新品种。",
                           domains=("seed_industry",), external_ref="N2")),
    }  # fmt: skip
    incremental.forget()
    return made


def test_publishing_after_a_full_run_adds_the_record_without_a_refit(market, fits, settings):
    match_run_full()
    assert len(fits) == 1
    late = publish(achievement(OrganizationFactory(), title="椰壳硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                               domains=("battery_materials",), external_ref="A3"))  # fmt: skip
    run = match_postings(achievement_ids=[late.pk])
    assert len(fits) == 1  # no re-fit
    assert (run.kind, run.status) == ("incremental", "done")
    assert run.counts["added"] == 1 and run.counts["drift"]["added"] == 1
    assert top("a", late.pk)[0] == market["N1"].pk
    incremental_top = top("a", late.pk)
    saved = Match.objects.get(achievement=late, need=market["N1"])
    assert {r["component"] for r in saved.reasons} >= {"text", "domain"} and saved.run == run
    # A full refit ranks it the same (scores move with the IDF, which in a corpus of five records moves a lot).
    match_run_full()
    assert top("a", late.pk) == incremental_top


def test_the_newcomer_enters_the_other_sides_lists_and_pushes_out_what_neither_side_keeps(market, settings):
    config = MatchingConfig.get_solo()
    config.top_k = 1
    config.save()
    Achievement.objects.filter(pk=market["A1"].pk).update(trl=2)  # below N1's minimum: a fit, demoted
    match_run_full()
    a1, n1, n2 = market["A1"], market["N1"], market["N2"]
    assert top("n", n1.pk) == [a1.pk]
    # A1 keeps a better pair elsewhere: its pair with N1 is now kept by N1 alone.
    Match.objects.filter(achievement=a1, need=n2).delete()
    Match.objects.create(achievement=a1, need=n2, score=0.99, components={}, reasons=[])
    # A newcomer that fits N1 exactly beats A1 in N1's list: (A1, N1) is kept by neither side and goes.
    exact = publish(achievement(OrganizationFactory(), title=n1.title, summary=n1.description,
                                domains=("battery_materials",), external_ref="A4"))  # fmt: skip
    run = match_postings(achievement_ids=[exact.pk])
    assert top("n", n1.pk) == [exact.pk]
    assert not Match.objects.filter(achievement=a1, need=n1).exists()
    assert run.counts["removed"] >= 1


def test_a_match_someone_acted_on_is_never_pushed_out(market, settings):
    config = MatchingConfig.get_solo()
    config.top_k = 1
    config.save()
    match_run_full()
    a1, n1, n2 = market["A1"], market["N1"], market["N2"]
    Match.objects.filter(achievement=a1, need=n2).delete()
    Match.objects.create(achievement=a1, need=n2, score=0.99, components={}, reasons=[])
    Match.objects.filter(achievement=a1, need=n1).update(status=Match.Status.APPROVED)
    exact = publish(achievement(OrganizationFactory(), title=n1.title, summary=n1.description,
                                domains=("battery_materials",), external_ref="A4"))  # fmt: skip
    match_postings(achievement_ids=[exact.pk])
    assert Match.objects.get(achievement=a1, need=n1).status == Match.Status.APPROVED


def test_a_new_need_updates_the_achievements_lists(market):
    match_run_full()
    wanted = publish(need(OrganizationFactory(kind="enterprise"), title="钠离子电池硬碳负极", external_ref="N3",
                          domains=("battery_materials",), description="硬碳负极材料，比容量高。"))  # fmt: skip
    run = match_postings(need_ids=[wanted.pk])
    assert run.kind == "incremental"
    assert market["A1"].pk in top("n", wanted.pk)
    assert wanted.pk in top("a", market["A1"].pk)


def test_an_import_with_publish_is_matched_in_one_batched_run(market, settings, django_capture_on_commit_callbacks):
    match_run_full()
    settings.MATCHING_ON_PUBLISH = True
    before = MatchRun.objects.count()
    lines = [json.loads(line) for line in (BENCH / "achievements.jsonl").read_text(encoding="utf-8").splitlines()[:5]]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode("utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        result = import_records(kind="achievements", data=data, filename="a.jsonl", create_orgs=True, publish=True)
    assert result.ok and result.published == 5
    runs_ = list(MatchRun.objects.order_by("pk")[before:])
    assert len(runs_) == 1  # one run for the whole import, not one per record
    assert (runs_[0].kind, runs_[0].trigger, runs_[0].status) == ("incremental", "publish", "done")
    assert runs_[0].counts["achievements"] >= 5  # (and the market's, whose test transaction never committed)
    imported = Achievement.objects.filter(external_ref__in=[line["ref"] for line in lines])
    assert all(incremental._kept.row("a", str(a.pk)) is not None for a in imported)  # added to the kept state
    assert Match.objects.filter(achievement__in=imported).exists() and runs_[0].counts["pairs"] > 0


def test_a_batch_too_large_for_the_state_is_matched_by_a_full_run(market, settings, fits):
    match_run_full()
    settings.MATCHING_REFIT_MIN = 2
    new = [publish(achievement(OrganizationFactory(), title=f"硬碳负极材料{i}", summary="硬碳负极。",
                               external_ref=f"B{i}")) for i in range(3)]  # fmt: skip
    run = match_postings(achievement_ids=[a.pk for a in new])
    assert run.kind == "full" and len(fits) == 2
    assert all(Match.objects.filter(achievement=a).exists() for a in new)


def test_without_a_state_a_publication_is_matched_by_a_full_run(market, fits):
    run = match_postings(need_ids=[market["N1"].pk])
    assert (run.kind, run.trigger, run.status) == ("full", "publish", "done")
    assert run.counts["state"]
    assert top("n", market["N1"].pk)[0] == market["A1"].pk


def test_another_process_loads_the_saved_state_and_catches_up(market, fits):
    match_run_full()
    first = publish(achievement(OrganizationFactory(), title="椰壳硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                                domains=("battery_materials",), external_ref="A5"))  # fmt: skip
    match_postings(achievement_ids=[first.pk])
    kept = incremental._kept
    assert kept is not None and kept.row("a", str(first.pk)) is not None
    incremental.forget()  # as in another worker process: nothing kept yet
    second = publish(need(OrganizationFactory(kind="enterprise"), title="硬碳负极", description="钠离子电池硬碳负极。",
                          domains=("battery_materials",), external_ref="N4"))  # fmt: skip
    match_postings(need_ids=[second.pk])
    loaded = incremental._kept
    assert loaded is not None and loaded is not kept and loaded.version == kept.version
    assert loaded.row("a", str(first.pk)) is not None  # caught up with what the other process added
    assert first.pk in top("n", second.pk)
    assert len(fits) == 1


def test_a_worker_without_the_state_files_fits_one_without_ranking_everything(market, fits, settings):
    import shutil

    full = match_run_full()
    shutil.rmtree(incremental.state_dir() / f"state-{full.counts['state']}")  # as on a machine that lacks them
    incremental.forget()
    late = publish(achievement(OrganizationFactory(), title="椰壳硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                               domains=("battery_materials",), external_ref="A8"))  # fmt: skip
    run = match_postings(achievement_ids=[late.pk])
    assert run.kind == "incremental" and len(fits) == 2  # fitted here, not a full run
    assert (incremental.state_dir() / f"state-{full.counts['state']}").exists()
    assert top("a", late.pk)[0] == market["N1"].pk


def test_a_closed_posting_is_no_longer_suggested_to_newcomers(market):
    match_run_full()
    posting_services.posting_transition(posting=market["A1"], to=Status.CLOSED, by=None)
    Match.objects.filter(achievement=market["A1"]).delete()
    wanted = publish(need(OrganizationFactory(kind="enterprise"), title="硬碳负极材料", domains=("battery_materials",),
                          description="钠离子电池硬碳负极。", external_ref="N5"))  # fmt: skip
    match_postings(need_ids=[wanted.pk])
    assert market["A1"].pk not in top("n", wanted.pk)


def test_the_incremental_command_matches_what_the_state_lacks(market, fits):
    match_run_full()
    late = publish(achievement(OrganizationFactory(), title="生物质硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                               domains=("battery_materials",), external_ref="A6"))  # fmt: skip
    run = match_run_incremental()
    assert run.kind == "incremental" and len(fits) == 1
    assert Match.objects.filter(achievement=late, need=market["N1"]).exists()


def test_the_full_rebuild_writes_in_blocks_and_keeps_what_was_acted_on(market, monkeypatch):
    match_run_full()
    reviewed = Match.objects.order_by("-score").first()
    reviewed.status, reviewed.score = Match.Status.APPROVED, 0.5
    reviewed.save()
    stale = Match.objects.create(achievement=market["A2"], need=market["N1"], score=0.01, components={}, reasons=[])
    stale.updated_at = stale.updated_at.replace(year=2020)
    Match.objects.filter(pk=stale.pk).update(updated_at=stale.updated_at)
    blocks = []
    original = runs.MatchWriter.write

    def spy(self, rows):  # type: ignore[no-untyped-def]
        blocks.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(runs, "WRITE_BLOCK", 1)
    monkeypatch.setattr(runs.MatchWriter, "write", spy)
    run = match_run_full()
    assert len(blocks) >= 2 and max(blocks) == 1 and sum(blocks) == run.counts["pairs"]
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.score) == (Match.Status.APPROVED, 0.5)  # left as it was
    assert not Match.objects.filter(pk=stale.pk).exists()  # no longer made: removed
    pairs = list(Match.objects.values_list("achievement_id", "need_id"))
    assert len(pairs) == len(set(pairs))


def test_a_repeated_full_run_writes_the_same_rows(market):
    match_run_full()
    first = {(m.achievement_id, m.need_id): (m.score, m.components, m.reasons) for m in Match.objects.all()}
    stamps = dict(Match.objects.values_list("pk", "updated_at"))
    run = match_run_full()
    assert {(m.achievement_id, m.need_id): (m.score, m.components, m.reasons) for m in Match.objects.all()} == first
    assert run.counts["created"] == 0 and run.counts["removed"] == 0
    assert dict(Match.objects.values_list("pk", "updated_at")) == stamps  # nothing unchanged was written again
    if connection.vendor == "postgresql":  # counted from the rows the upsert returns
        assert run.counts["updated"] == 0 and run.counts["unchanged"] == run.counts["pairs"]


def test_a_drifted_state_enqueues_one_refit(market, settings, django_capture_on_commit_callbacks):
    from matching import tasks

    match_run_full()  # 4 records fitted
    settings.MATCHING_REFIT_MIN, settings.MATCHING_REFIT_ADDED = 1, 0.3
    first = publish(
        achievement(OrganizationFactory(), title="椰壳硬碳负极", summary="椰壳硬碳负极。", external_ref="A7")
    )
    run = MatchRun.objects.get(pk=tasks.match_postings_task.delay([first.pk], []).get())
    assert run.kind == "incremental" and "refit" not in run.counts  # 1 added of 4: 25 %
    second = publish(need(OrganizationFactory(kind="enterprise"), title="硬碳负极", description="硬碳负极。",
                          external_ref="N6"))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run = MatchRun.objects.get(pk=tasks.match_postings_task.delay([], [second.pk]).get())
    assert run.kind == "incremental" and "50%" in run.counts["refit"]  # 2 added of 4: a refit is due
    refit = MatchRun.objects.filter(trigger="drift").get()
    assert (refit.kind, refit.status) == ("full", "done")
    assert incremental._kept is not None and incremental._kept.added == 0  # the refitted state, kept


def test_a_second_refit_is_not_enqueued_while_one_is_on_its_way(market):
    from matching import tasks

    pending = runs.run_start(kind=MatchRun.Kind.FULL, trigger="drift")
    assert tasks.refit_enqueue() is None
    assert MatchRun.objects.filter(kind="full").count() == 1
    assert incremental.full_run_in_progress() == pending


def test_a_run_left_running_by_a_dead_worker_is_marked_failed(market, settings):
    from datetime import timedelta

    from django.utils import timezone

    dead = runs.run_start(kind=MatchRun.Kind.FULL, trigger="admin")
    MatchRun.objects.filter(pk=dead.pk).update(status="running", created_at=timezone.now() - timedelta(hours=5))
    runs.run_start(kind=MatchRun.Kind.INCREMENTAL, trigger="publish")
    dead.refresh_from_db()
    assert dead.status == "failed" and "timed out" in dead.error


def test_tokens_are_read_back_so_fits_agree_whatever_the_bags_source(market):
    RecordTokens.objects.all().delete()
    match_run_full()
    cold = {(m.achievement_id, m.need_id): m.score for m in Match.objects.all()}
    Match.objects.all().delete()
    match_run_full()
    assert {(m.achievement_id, m.need_id): m.score for m in Match.objects.all()} == cold
    assert Need.objects.count() == 2
