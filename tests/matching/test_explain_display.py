"""Saved reasons are shown in the reader's language only: the admin's component bars and export_matches --language
(the API, the match pages and the event pages are covered with their own tests)."""

import io
import json

import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.utils import translation

from marketplace import services as posting_services
from marketplace.models import Status
from matching.admin import MatchAdmin
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db


def publish(posting):  # type: ignore[no-untyped-def]
    return posting_services.posting_transition(posting=posting, to=Status.PUBLISHED, by=None)


@pytest.fixture
def match() -> Match:
    university, enterprise = OrganizationFactory(), OrganizationFactory(kind="enterprise")
    publish(achievement(university, title="Closed-pore hard carbon for sodium-ion battery anodes",
                        summary="Coconut-shell hard carbon anodes for sodium-ion batteries, 345 mAh/g.",
                        domains=("battery_materials",), external_ref="A1"))  # fmt: skip
    publish(need(enterprise, title="钠离子电池硬碳负极材料", description="钠离子电池产线需要低成本硬碳负极材料。",
                 domains=("battery_materials",), external_ref="N1"))  # fmt: skip
    match_run_full()
    return Match.objects.get(need__external_ref="N1", achievement__external_ref="A1")


def test_saved_reasons_name_the_shared_terms_in_each_language(match):
    text = next(reason for reason in match.reasons if reason["component"] == "text")
    assert "硬碳" in text["zh"] and "钠离子电池" in text["zh"]
    assert "hard carbon" in text["en"] and "硬碳" not in text["en"]


@pytest.mark.parametrize(("language", "key", "other"), [("zh-hans", "zh", "en"), ("en", "en", "zh")])
def test_admin_component_bars_show_the_active_language_only(match, language, key, other):
    reasons = {reason["component"]: reason for reason in match.reasons}
    with translation.override(language):
        html = str(MatchAdmin(Match, site).component_bars(match))
    assert reasons["text"][key] in html
    assert reasons["text"][other] not in html


@pytest.mark.parametrize("language", ["zh", "en"])
def test_export_in_one_language(match, language):
    out = io.StringIO()
    call_command("export_matches", "--language", language, stdout=out)
    line = next(json.loads(row) for row in out.getvalue().splitlines() if json.loads(row)["need_ref"] == "N1")
    stored = {reason["component"]: reason for reason in match.reasons}
    assert line["reasons"]
    for reason in line["reasons"]:
        assert set(reason) == {"component", "value", "text", "broken"}
        assert reason["text"] == stored[reason["component"]][language] or reason["component"] == "region"


def test_export_keeps_both_languages_by_default(match):
    out = io.StringIO()
    call_command("export_matches", stdout=out)
    line = next(json.loads(row) for row in out.getvalue().splitlines() if json.loads(row)["need_ref"] == "N1")
    assert all(reason["zh"] and reason["en"] for reason in line["reasons"])
