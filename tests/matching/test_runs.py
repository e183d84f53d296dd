import io
import json

import pytest
from django.core.management import call_command

from marketplace import services as posting_services
from marketplace.models import Status
from matching.models import Match, MatchingConfig, MatchRun
from matching.runs import match_run_full, match_run_incremental
from tests.factories import OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def market():
    university, enterprise = OrganizationFactory(), OrganizationFactory(kind="enterprise")
    fit = publish(achievement(university, title="钠离子电池硬碳负极材料", summary="硬碳负极，比容量335 mAh/g。",
                              domains=("battery_materials",), external_ref="A1"))  # fmt: skip
    other = publish(achievement(university, title="耐盐碱水稻新品种", summary="分子育种，亩产提高15%。",
                                domains=("seed_industry",), external_ref="A2"))  # fmt: skip
    wanted = publish(need(enterprise, title="低成本硬碳负极材料", description="钠离子电池产线需要硬碳负极。",
                          domains=("battery_materials",), external_ref="N1"))  # fmt: skip
    return {"fit": fit, "other": other, "need": wanted}


def test_full_run_saves_ranked_explained_matches(market):
    run = match_run_full()
    assert run.status == MatchRun.Status.DONE
    assert run.progress_done == run.progress_total > 0
    best = Match.objects.filter(need=market["need"]).order_by("-score").first()
    assert best.achievement == market["fit"]
    assert set(best.components) == {"text", "domain", "region", "readiness", "price", "mode"}
    assert {r["component"] for r in best.reasons} >= {"text", "domain"}
    assert all(r["zh"] and r["en"] for r in best.reasons)


def test_rerun_keeps_pairs_unique_and_acted_on_matches(market):
    match_run_full()
    count = Match.objects.count()
    reviewed = Match.objects.get(need=market["need"], achievement=market["fit"])
    reviewed.status = Match.Status.APPROVED
    reviewed.save()
    match_run_full()
    assert Match.objects.count() == count
    reviewed.refresh_from_db()
    assert reviewed.status == Match.Status.APPROVED


def test_incremental_run_matches_what_was_published_since(market):
    match_run_full()
    before = Match.objects.count()
    late = publish(achievement(OrganizationFactory(), title="生物质硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                               domains=("battery_materials",), external_ref="A3"))  # fmt: skip
    run = match_run_incremental()
    assert run.kind == MatchRun.Kind.INCREMENTAL
    assert run.progress_total == 1
    assert Match.objects.filter(achievement=late, need=market["need"]).exists()
    assert Match.objects.count() > before


def test_settings_from_admin_reach_the_engine(market):
    config = MatchingConfig.get_solo()
    config.top_k = 1
    config.save()
    assert config.engine_config().top_k == 1
    match_run_full()
    assert Match.objects.filter(need=market["need"]).count() >= 1


def test_export_matches_writes_one_line_per_pair(market):
    call_command("run_matching", "--full", stdout=io.StringIO())
    out = io.StringIO()
    call_command("export_matches", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == Match.objects.count()
    first = next(line for line in lines if line["need_ref"] == "N1")
    assert first["achievement_ref"] == "A1"
    assert {"score", "components", "reasons"} <= set(first)


def test_publishing_matches_the_posting_through_the_task(market, settings, django_capture_on_commit_callbacks):
    settings.MATCHING_ON_PUBLISH = True
    match_run_full()
    late = achievement(OrganizationFactory(), title="椰壳硬碳负极", summary="椰壳硬碳用于钠离子电池负极。",
                       domains=("battery_materials",), external_ref="A9")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        publish(late)
    assert Match.objects.filter(achievement=late, need=market["need"]).exists()
    run = MatchRun.objects.order_by("-pk").first()
    assert (run.kind, run.status, run.trigger) == ("incremental", "done", "publish")


def test_full_rebuild_task_fans_out_and_records_progress(market):
    from matching.tasks import full_rebuild_task

    run_id = full_rebuild_task.delay(trigger="admin").get()
    run = MatchRun.objects.get(pk=run_id)
    assert run.status == MatchRun.Status.DONE
    # two chunks (achievements, needs), the fit, two scoring blocks (needs, achievements) and the finish
    assert run.progress_done == run.progress_total == 6
    assert Match.objects.filter(need=market["need"], achievement=market["fit"]).exists()
    assert full_rebuild_task.delay(run_id).get() == run_id  # a finished run is not run again


def test_token_bags_are_cached_and_refreshed_when_the_text_changes(market):
    from marketplace import services as posting_services
    from matching.models import RecordTokens
    from matching.runs import tokens_refresh

    match_run_full()
    assert RecordTokens.objects.filter(kind="a").count() == 2
    assert tokens_refresh(kind="a", posting_ids=[market["fit"].pk]) == 0
    posting_services.posting_update(posting=market["fit"], by=None, title="生物质硬碳负极材料")
    assert tokens_refresh(kind="a", posting_ids=[market["fit"].pk]) == 1


@pytest.mark.parametrize(("flag", "scheduled"), [("true", True), ("false", False)])
def test_nightly_rebuild_is_scheduled_by_the_setting(flag, scheduled):
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
        "from config.celery import app; print(sorted(t['task'] for t in app.conf.beat_schedule.values()))"
    )
    env = {**os.environ, "MATCHING_NIGHTLY_REBUILD": flag}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert ("matching.tasks.full_rebuild_task" in result.stdout) is scheduled


@pytest.mark.django_db
def test_records_read_as_values_are_the_records_of_the_model_instances():
    from decimal import Decimal

    from marketplace import services as posting_services
    from marketplace.models import Achievement, Need, Status
    from matching import adapters
    from tests.factories import OrganizationFactory, achievement, need

    org = OrganizationFactory()
    live = [
        achievement(org, title="钠离子电池", summary="硬碳", domains=("battery_materials", "ai"), keywords=["硬碳"],
                    price_min_wan=Decimal("12.50"), trl=6),
        need(org, title="固态电池", description="硫化物", domains=("battery_materials",), budget_wan=Decimal("300")),
        need(org, title="No domain", description="text", domains=()),
    ]  # fmt: skip
    for posting in live:
        posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)
    draft = achievement(org, title="Draft", summary="not live")
    for model in (Achievement, Need):
        ids = [p.pk for p in [*live, draft] if isinstance(p, model)]
        expected = [(p.pk, adapters.records([p])[0]) for p in adapters.published(model).filter(pk__in=ids)]
        assert adapters.live_records(model, ids) == expected
        assert expected and (model is Need or draft.pk not in dict(expected))
