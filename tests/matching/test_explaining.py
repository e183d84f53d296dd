"""Reasons written later: a large full rebuild explains each record's first matches, the rest are explained by the
workers afterwards or when first shown, and come out the same as if the run had explained them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership
from marketplace import services as posting_services
from marketplace.models import Status
from matching import explaining, incremental
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import OrganizationFactory, UserFactory, achievement, need

pytestmark = pytest.mark.django_db


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def market():  # type: ignore[no-untyped-def]
    university, enterprise = OrganizationFactory(), OrganizationFactory(kind="enterprise")
    for ref, title, summary, domain in [
        ("A1", "钠离子电池硬碳负极材料", "硬碳负极，比容量335 mAh/g，用于钠离子电池。", "battery_materials"),
        ("A2", "椰壳硬碳负极", "椰壳硬碳用于钠离子电池负极，首效高。", "battery_materials"),
        ("A3", "耐盐碱水稻新品种", "分子育种，亩产提高15%。", "seed_industry"),
        ("A4", "Solid-state lithium battery electrolyte", "Sulfide electrolyte for solid-state batteries.",
         "battery_materials"),
    ]:  # fmt: skip
        publish(achievement(university, title=title, summary=summary, domains=(domain,), external_ref=ref))
    for ref, title, description, domain in [
        ("N1", "低成本硬碳负极材料", "钠离子电池产线需要硬碳负极。", "battery_materials"),
        ("N2", "耐盐碱水稻品种", "盐碱地种植需要耐盐碱水稻新品种。", "seed_industry"),
        ("N3", "固态电池电解质", "需要用于固态电池的硫化物电解质。", "battery_materials"),
    ]:
        publish(need(enterprise, title=title, description=description, domains=(domain,), external_ref=ref))
    incremental.forget()
    return university, enterprise


def reasons_by_pair() -> dict[tuple[int, int], list | None]:
    return {(m.achievement_id, m.need_id): m.reasons for m in Match.objects.all()}


def test_a_large_rebuild_explains_each_records_first_matches_and_the_rest_later_the_same(market, settings, monkeypatch):
    match_run_full()
    everything = reasons_by_pair()
    assert all(reasons for reasons in everything.values())

    settings.MATCHING_EXPLAIN_ALL_BELOW = 0
    settings.MATCHING_EXPLAIN_FIRST = 1
    Match.objects.update(reasons=None, score=0.0)  # as if new: nothing kept from before
    run = match_run_full()
    lazy = reasons_by_pair()
    explained = {pair for pair, reasons in lazy.items() if reasons is not None}
    firsts = set()
    for field in ("need_id", "achievement_id"):
        for own in set(Match.objects.values_list(field, flat=True)):
            best = Match.objects.filter(**{field: own}).order_by("-score", "achievement_id", "need_id").first()
            firsts.add((best.achievement_id, best.need_id))
    assert explained == firsts  # each record's first match, no more
    assert run.counts["explained later"] == len(lazy) - len(explained) > 0

    monkeypatch.setattr(explaining, "BLOCK", 2)
    written, last = explaining.explain_pending(blocks=1)
    assert written == 2 and last > 0  # one block, and where the next one starts
    assert explaining.explain_pending(after=last) == (run.counts["explained later"] - 2, 0)
    assert reasons_by_pair() == everything  # as the run would have explained them
    assert explaining.explain_pending() == (0, 0)  # nothing left: repeating does nothing


def test_without_workers_the_rest_waits_for_readers_or_the_command(
    market, settings, django_capture_on_commit_callbacks
):
    settings.MATCHING_EXPLAIN_ALL_BELOW = 0
    settings.MATCHING_EXPLAIN_FIRST = 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = match_run_full()
    assert run.counts["explained later"] > 0 and not callbacks  # tasks run eagerly: nothing queued
    assert Match.objects.filter(reasons__isnull=True).count() == run.counts["explained later"]
    out = StringIO()
    call_command("run_matching", "--explain", stdout=out)
    assert out.getvalue().startswith(f"{run.counts['explained later']} matches explained")
    assert not Match.objects.filter(reasons__isnull=True).exists()


def test_a_nightly_rebuild_keeps_the_reasons_of_pairs_whose_score_did_not_change(market, settings):
    match_run_full()
    before = reasons_by_pair()
    settings.MATCHING_EXPLAIN_ALL_BELOW = 0
    settings.MATCHING_EXPLAIN_FIRST = 1
    Match.objects.update(reasons=[{"component": "text", "value": 0.5, "zh": "旧", "en": "kept"}])
    match_run_full()
    after = reasons_by_pair()
    kept = [pair for pair, reasons in after.items() if reasons and reasons[0].get("en") == "kept"]
    rewritten = [pair for pair, reasons in after.items() if reasons != before[pair] and pair not in kept]
    assert kept and not rewritten and None not in after.values()


def test_a_match_shown_before_the_workers_reach_it_is_explained_on_the_page(market, settings, client):
    university, _enterprise = market
    match_run_full()
    Match.objects.update(status=Match.Status.APPROVED)
    Match.objects.update(reasons=None)
    user = UserFactory()
    Membership.objects.create(user=user, organization=university, role=Membership.Role.OWNER)
    client.force_login(user)
    response = client.get(reverse("matching:list"))
    assert response.status_code == 200
    assert not Match.objects.filter(reasons__isnull=True).exists()
    best = Match.objects.order_by("-score").first()
    shown = next(r for r in best.reasons if r["component"] == "text")
    assert shown["en"].split(":")[0] in response.content.decode() or shown["zh"][:6] in response.content.decode()


def test_the_api_and_the_detail_page_explain_what_they_show(market, client):
    university, _enterprise = market
    match_run_full()
    Match.objects.update(status=Match.Status.APPROVED, reasons=None)
    user = UserFactory()
    Membership.objects.create(user=user, organization=university, role=Membership.Role.OWNER)
    client.force_login(user)
    listed = client.get("/api/v1/matches/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert listed["results"] and all(row["reasons"] for row in listed["results"])
    Match.objects.update(reasons=None)
    one = Match.objects.order_by("-score").first()
    assert client.get(reverse("matching:detail", args=[one.pk])).status_code == 200
    one.refresh_from_db()
    assert one.reasons and {r["component"] for r in one.reasons} >= {"text", "domain", "region"}


def test_a_record_the_kept_state_no_longer_holds_is_explained_as_it_is_now(market):
    match_run_full()
    everything = reasons_by_pair()
    state = incremental.current_state(incremental.fingerprint_now())
    match = Match.objects.order_by("-score").first()
    state.retire("a", [str(match.achievement_id)])
    Match.objects.filter(pk=match.pk).update(reasons=None)
    assert explaining.explain_pending([match.pk]) == (1, 0)
    match.refresh_from_db()
    assert json.dumps(match.reasons, sort_keys=True) == json.dumps(
        everything[(match.achievement_id, match.need_id)], sort_keys=True
    )


def test_reasons_are_not_written_over_a_score_that_changed_meanwhile(market):
    match_run_full()
    match = Match.objects.order_by("-score").first()
    Match.objects.filter(pk=match.pk).update(reasons=None)
    rows = list(
        Match.objects.filter(pk=match.pk).values_list(
            "pk", "achievement_id", "need_id", "score", "components", "broken"
        )
    )
    state = incremental.current_state(incremental.fingerprint_now())
    explained = explaining._explain_block(state, rows)
    Match.objects.filter(pk=match.pk).update(score=0.01)  # a run rescored it after it was read
    explaining._save(explained)
    match.refresh_from_db()
    assert match.reasons is None
