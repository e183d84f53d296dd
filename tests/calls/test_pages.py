"""The call pages: who sees and does what; forms post and redirect; a refusal is shown with its field (or at the top
of the form for the window's) and changes nothing; a need's contact is never shown; proposals stay with those
concerned.

Roles: ``anonymous``; ``organiser``; ``enterprise`` (the entered need's); ``university`` (the proposer) and ``rival``
(another university); ``other_enterprise``; ``staff``.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from calls import services
from calls.models import Call, CallNeed, Invitation, Proposal
from matching.models import Agreement, Match

from .conftest import NEED_TITLE, PLAN, SECRET, make_call, move_window, propose

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "organiser", "enterprise", "university", "rival", "other_enterprise", "staff"]


def _client(client, world, role):
    if role != "anonymous":
        client.force_login(world[role])
    return client


def _need_url(world, name="calls:need"):
    return reverse(name, kwargs={"pk": world["call"].pk, "need_id": world["need"].pk})


@pytest.mark.parametrize("role", ROLES)
def test_the_public_pages_show_the_call_and_its_needs_never_a_contact(client, world, role):
    propose(world)
    client = _client(client, world, role)
    for url in (reverse("calls:list"), reverse("calls:detail", kwargs={"pk": world["call"].pk}), _need_url(world)):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        assert SECRET not in text
    assert NEED_TITLE in text
    reviewer = role in ("organiser", "enterprise", "staff")
    assert (PLAN in text) is (reviewer or role == "university")  # proposals: confidential
    assert ("Suggested achievements" in text) is reviewer


def test_drafts_are_404_for_everyone_but_the_organiser(client, world):
    draft = make_call(world["organiser"], publish_it=False, title="草稿征集")
    url = reverse("calls:detail", kwargs={"pk": draft.pk})
    assert client.get(url).status_code == 404
    assert _client(client, world, "enterprise").get(url).status_code == 404
    assert "草稿征集" not in client.get(reverse("calls:list")).content.decode()
    client.force_login(world["organiser"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("calls:edit", kwargs={"pk": draft.pk})).status_code == 200


def test_the_window_shows_open_upcoming_and_closed(client, world):
    """(A visitor's page is kept up to a minute while time alone moves the window: a member's is read each time.)"""
    client.force_login(world["rival"])
    url = reverse("calls:detail", kwargs={"pk": world["call"].pk})
    assert "open now" in client.get(url).content.decode()
    move_window(world["call"], opens=2, closes=5)
    assert "opens at" in client.get(url).content.decode()
    move_window(world["call"], opens=-5, closes=-1)
    assert "closed" in client.get(url).content.decode()


def test_the_organiser_creates_edits_and_publishes_a_call(client, world):
    client = _client(client, world, "organiser")
    assert client.get(reverse("calls:create")).status_code == 200
    start = timezone.localtime() + datetime.timedelta(hours=1)
    data = {"title": "黄河流域技术需求征集", "theme": "沿黄九省区企业技术需求", "domains": ["new_energy"],
            "provinces": ["410000"], "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (start - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    response = client.post(reverse("calls:create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["closes_at"] == ["The window must close after it opens."]
    data["closes_at"] = (start + datetime.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("calls:create"), data)
    call = Call.objects.get(title="黄河流域技术需求征集")
    assert response.status_code == 302 and response["Location"] == reverse("calls:detail", kwargs={"pk": call.pk})
    assert call.status == "draft" and [p.code for p in call.provinces.all()] == ["410000"]
    edit = reverse("calls:edit", kwargs={"pk": call.pk})
    assert client.post(edit, {**data, "title": "黄河流域技术需求征集（第二批）"}).status_code == 302
    status = reverse("calls:status", kwargs={"pk": call.pk})
    assert client.post(status, {"status": "published"}).status_code == 302
    call.refresh_from_db()
    assert call.status == "published" and call.title.endswith("（第二批）")
    assert client.get(edit).status_code == 302  # a published call is not edited
    assert client.post(status, {"status": "closed"}).status_code == 302
    assert Call.objects.get(pk=call.pk).status == "closed"


@pytest.mark.parametrize("role", ["anonymous", "enterprise", "university"])
def test_organiser_pages_are_refused_to_others(client, world, role):
    client = _client(client, world, role)
    pk = world["call"].pk
    expected = 302 if role == "anonymous" else 403
    assert client.get(reverse("calls:create")).status_code == expected
    assert client.post(reverse("calls:status", kwargs={"pk": pk}), {"status": "closed"}).status_code == expected
    assert client.post(_need_url(world, "calls:remove-need"), {"reason": "x"}).status_code == expected
    assert Call.objects.get(pk=pk).status == "published" and CallNeed.objects.filter(pk=world["entry"].pk).exists()


def test_an_enterprise_enters_its_need_and_sees_why_one_does_not_fit(client, world):
    client = _client(client, world, "other_enterprise")
    detail = reverse("calls:detail", kwargs={"pk": world["call"].pk})
    assert "Enter one of your needs" in client.get(detail).content.decode()
    enter = reverse("calls:enter", kwargs={"pk": world["call"].pk})
    assert client.post(enter, {"need": world["other_need"].pk}).status_code == 302
    assert CallNeed.objects.filter(call=world["call"], need=world["other_need"]).exists()
    response = client.post(enter, {"need": world["other_need"].pk})
    assert response.status_code == 400
    assert response.context["enter_form"].errors["need"][0].endswith("is in this call already.")
    move_window(world["call"], opens=-5, closes=-1)
    assert "Enter one of your needs" not in client.get(detail).content.decode()


def test_an_institution_proposes_from_the_need_page(client, world):
    client = _client(client, world, "university")
    url = _need_url(world)
    assert "Submit a proposal" in client.get(url).content.decode()
    data = {"achievement": world["offer"].pk, "plan": PLAN, "budget_wan": "60", "months": "6", "mode": "license"}
    response = client.post(_need_url(world, "calls:propose"), data)
    assert response.status_code == 302 and response["Location"] == url
    assert Proposal.objects.get().months == 6
    response = client.post(_need_url(world, "calls:propose"), data)
    assert response.status_code == 400
    assert "already proposed" in response.context["proposal_form"].errors["achievement"][0]
    assert Proposal.objects.count() == 1


def test_a_proposal_after_the_window_is_told_so_and_changes_nothing(client, world):
    call = move_window(world["call"], opens=-5, closes=-1)
    data = {"achievement": world["offer"].pk, "plan": PLAN, "months": "6", "mode": "license"}
    response = _client(client, world, "university").post(_need_url(world, "calls:propose"), data)
    assert response.status_code == 400
    closes = f"{timezone.localtime(call.closes_at):%Y-%m-%d %H:%M}"
    assert f"The call&#x27;s window closed at {closes}" in response.content.decode()
    assert not Proposal.objects.exists()


def test_reviewers_shortlist_decline_and_award_on_the_page(client, world):
    first = propose(world)
    second = propose(world, user=world["rival"], listing=world["rival_offer"])
    client = _client(client, world, "enterprise")
    decide = reverse("calls:decide", kwargs={"pk": first.pk})
    assert client.post(decide, {"decision": "shortlist"}).status_code == 302
    assert Proposal.objects.get(pk=first.pk).status == "shortlisted"
    assert client.post(decide, {"decision": "award", "note": "签约"}).status_code == 302
    assert Proposal.objects.get(pk=first.pk).status == "awarded" and Agreement.objects.count() == 1
    assert Match.objects.get().status == "deal"
    other = reverse("calls:decide", kwargs={"pk": second.pk})
    response = client.post(other, {"decision": "decline", "note": ""}, follow=True)
    assert "Say why the proposal is declined" in response.content.decode()
    assert Proposal.objects.get(pk=second.pk).status == "submitted"
    assert client.post(other, {"decision": "decline", "note": "方案不符"}).status_code == 302
    assert Proposal.objects.get(pk=second.pk).status == "declined"


def test_others_may_not_decide_and_do_not_see_others_proposals(client, world):
    proposal = propose(world)
    decide = reverse("calls:decide", kwargs={"pk": proposal.pk})
    assert _client(client, world, "university").post(decide, {"decision": "award"}).status_code == 403
    client.force_login(world["rival"])
    assert client.post(decide, {"decision": "award"}).status_code == 404  # not theirs to see
    assert client.post(reverse("calls:withdraw", kwargs={"pk": proposal.pk})).status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted"


def test_the_proposer_withdraws_and_sees_its_proposals(client, world):
    proposal = propose(world)
    client = _client(client, world, "university")
    page = client.get(reverse("calls:proposals")).content.decode()
    assert NEED_TITLE in page
    assert client.post(reverse("calls:withdraw", kwargs={"pk": proposal.pk})).status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == "withdrawn"
    client.force_login(world["organiser"])
    assert "Proposals to review" in client.get(reverse("calls:proposals")).content.decode()
    assert client.get(reverse("calls:proposals")).status_code == 200


def test_reviewers_invite_suggested_achievements(client, world):
    Match.objects.create(achievement=world["rival_offer"], need=world["need"], score=0.77, components={}, reasons=[])
    client = _client(client, world, "organiser")
    page = client.get(_need_url(world)).content.decode()
    assert "0.77" in page and "Invite" in page
    assert client.post(_need_url(world, "calls:invite"), {"achievement": world["rival_offer"].pk}).status_code == 302
    assert Invitation.objects.get().achievement == world["rival_offer"]
    assert "0.77" not in client.get(_need_url(world)).content.decode()  # invited: no longer suggested
    client.force_login(world["rival"])
    assert "You are invited to propose" in client.get(_need_url(world)).content.decode()
    assert client.post(_need_url(world, "calls:invite"), {"achievement": world["offer"].pk}).status_code == 403


def test_the_organiser_removes_a_need_saying_why(client, world):
    client = _client(client, world, "organiser")
    url = _need_url(world, "calls:remove-need")
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["remove_form"].errors
    assert client.post(url, {"reason": "与征集主题不符"}).status_code == 302
    assert not CallNeed.objects.exists()
    assert client.get(_need_url(world)).status_code == 404


def test_the_pages_speak_chinese(client, world):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(_need_url(world), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'lang="zh-hans"' in page.content.decode()


def test_a_hidden_need_is_404(client, world):
    services.call_need_remove(call_need=world["entry"], by=world["organiser"], reason="移除")
    assert client.get(_need_url(world)).status_code == 404
    assert client.get(reverse("calls:need", kwargs={"pk": world["call"].pk, "need_id": 999999})).status_code == 404
