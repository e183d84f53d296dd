"""The open calls API: the same rules as the pages (the same services), errors naming their field, proposals only for
those concerned, the suggestions only for the reviewers."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from calls.models import Call, CallNeed, Invitation, Proposal
from matching.models import Agreement, Match

from .conftest import NEED_TITLE, PLAN, SECRET, move_window, propose

pytestmark = pytest.mark.django_db


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _proposal_data(world, **fields):
    return {"call_need": world["entry"].pk, "achievement": world["offer"].pk, "plan": PLAN, "months": 6,
            "mode": "license", "budget_wan": "50", **fields}  # fmt: skip


def test_public_reads_show_calls_and_needs_without_contacts(world):
    data = _api().get("/api/v1/calls/").json()
    call = data["results"][0]
    assert (call["id"], call["window"], call["need_count"]) == (world["call"].pk, "open", 1)
    assert call["status"] == "published"
    assert call["provinces"] == ["330000", "340000"] and call["domains"] == ["next_gen_it"]
    needs = _api().get(f"/api/v1/calls/{world['call'].pk}/needs/").json()
    assert [n["need"]["title"] for n in needs] == [NEED_TITLE] and SECRET not in str(needs)
    assert _api().get(f"/api/v1/call-needs/{world['entry'].pk}/").json()["need"]["id"] == world["need"].pk
    assert _api().get("/api/v1/call-proposals/").status_code == 403


def test_the_organiser_runs_a_call_through_the_api(world):
    client = _api(world["organiser"])
    start = timezone.now() + datetime.timedelta(hours=1)
    body = {"organizer": world["organiser"].organizations.get().pk, "title": "API征集", "theme": "主题",
            "provinces": ["310000"], "opens_at": start.isoformat(),
            "closes_at": (start + datetime.timedelta(days=7)).isoformat()}  # fmt: skip
    response = client.post("/api/v1/calls/", body, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["status"] == "draft" and response.json()["window"] == "upcoming"
    assert _api().get(f"/api/v1/calls/{pk}/").status_code == 404
    response = client.patch(f"/api/v1/calls/{pk}/", {"domains": ["nope"]}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["domains"]
    response = client.patch(f"/api/v1/calls/{pk}/", {"title": "API征集（改）"}, format="json")
    assert response.json()["title"] == "API征集（改）"
    assert client.post(f"/api/v1/calls/{pk}/status/", {"status": "published"}, format="json").status_code == 200
    response = client.patch(f"/api/v1/calls/{pk}/", {"title": "发布后"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["status"]
    assert _api(world["enterprise"]).post(f"/api/v1/calls/{pk}/status/", {"status": "closed"},
                                          format="json").status_code == 403  # fmt: skip
    response = _api(world["enterprise"]).post("/api/v1/calls/", body, format="json")
    assert response.status_code == 403 and Call.objects.filter(title="API征集").count() == 0


def test_entering_a_need_and_the_window_error(world):
    client = _api(world["other_enterprise"])
    url = f"/api/v1/calls/{world['call'].pk}/needs/"
    response = client.post(url, {"need": world["need"].pk}, format="json")
    assert response.status_code == 403  # not their need
    response = client.post(url, {"need": 999999}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["need"]
    move_window(world["call"], opens=-5, closes=-1)
    response = client.post(url, {"need": world["other_need"].pk}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["closes_at"]
    move_window(world["call"], opens=-5, closes=5)
    response = client.post(url, {"need": world["other_need"].pk}, format="json")
    assert response.status_code == 201 and response.json()["need"]["id"] == world["other_need"].pk


def test_a_proposal_after_the_window_names_the_field_and_changes_nothing(world):
    call = move_window(world["call"], opens=-5, closes=-1)
    response = _api(world["university"]).post("/api/v1/call-proposals/", _proposal_data(world), format="json")
    assert response.status_code == 400 and list(response.json()) == ["closes_at"]
    closes = f"{timezone.localtime(call.closes_at):%Y-%m-%d %H:%M}"
    assert closes in response.json()["closes_at"][0]
    assert not Proposal.objects.exists()


def test_proposing_reviewing_and_awarding_through_the_api(world):
    proposer = _api(world["university"])
    response = proposer.post("/api/v1/call-proposals/", _proposal_data(world), format="json")
    assert response.status_code == 201, response.json()
    proposal = response.json()
    assert (proposal["status"], proposal["budget_wan"], proposal["need"]["title"]) == ("submitted", "50.00", NEED_TITLE)
    response = proposer.post("/api/v1/call-proposals/", _proposal_data(world), format="json")
    assert response.status_code == 400 and list(response.json()) == ["achievement"]
    pk = proposal["id"]
    assert _api(world["rival"]).get(f"/api/v1/call-proposals/{pk}/").status_code == 404
    assert _api(world["rival"]).get("/api/v1/call-proposals/").json()["count"] == 0
    assert proposer.post(f"/api/v1/call-proposals/{pk}/award/", {}, format="json").status_code == 403
    reviewer = _api(world["enterprise"])
    listed = reviewer.get(f"/api/v1/call-needs/{world['entry'].pk}/proposals/").json()
    assert [p["id"] for p in listed] == [pk]
    response = reviewer.post(f"/api/v1/call-proposals/{pk}/shortlist/", {"note": "入围"}, format="json")
    assert response.json()["status"] == "shortlisted"
    response = reviewer.post(f"/api/v1/call-proposals/{pk}/decline/", {}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reason"]
    response = _api(world["organiser"]).post(f"/api/v1/call-proposals/{pk}/award/", {"note": "签约"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "awarded"
    agreement = Agreement.objects.get()
    assert response.json()["agreement"] == agreement.pk and Match.objects.get().status == "deal"
    response = proposer.post(f"/api/v1/call-proposals/{pk}/withdraw/", format="json")
    assert response.status_code == 400 and list(response.json()) == ["status"]


def test_the_proposer_withdraws_through_the_api(world):
    proposal = propose(world)
    response = _api(world["university"]).post(f"/api/v1/call-proposals/{proposal.pk}/withdraw/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_suggestions_and_invitations_are_for_the_reviewers(world):
    Match.objects.create(achievement=world["rival_offer"], need=world["need"], score=0.66, components={}, reasons=[])
    url = f"/api/v1/call-needs/{world['entry'].pk}/suggestions/"
    assert _api(world["university"]).get(url).status_code == 403
    suggestions = _api(world["organiser"]).get(url).json()
    assert [(s["achievement"]["id"], s["score"]) for s in suggestions] == [(world["rival_offer"].pk, 0.66)]
    body = {"call_need": world["entry"].pk, "achievement": world["rival_offer"].pk}
    assert _api(world["university"]).post("/api/v1/call-invitations/", body, format="json").status_code == 403
    response = _api(world["enterprise"]).post("/api/v1/call-invitations/", body, format="json")
    assert response.status_code == 201 and Invitation.objects.get().achievement == world["rival_offer"]
    assert _api(world["rival"]).get("/api/v1/call-invitations/").json()["count"] == 1
    assert _api(world["organiser"]).get(url).json() == []


def test_the_organiser_removes_a_need_through_the_api(world):
    url = f"/api/v1/call-needs/{world['entry'].pk}/remove/"
    assert _api(world["enterprise"]).post(url, {"reason": "x"}, format="json").status_code == 403
    response = _api(world["organiser"]).post(url, {}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reason"]
    assert _api(world["organiser"]).post(url, {"reason": "与主题不符"}, format="json").status_code == 204
    assert not CallNeed.objects.exists()

