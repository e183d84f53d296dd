"""The rules of open calls, through the services: who creates, publishes and closes a call; which needs enter it and
when; who proposes what and when (the window's edges); who reviews; an award is an accepted match with an agreement
(the engine's match reused when there is one). Every refusal names its field and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from accounts.models import Notification
from calls import services
from calls.models import Call, CallNeed, Invitation, Proposal
from core.exceptions import ApplicationError, PermissionDenied
from marketplace import services as posting_services
from marketplace.models import Need
from matching import services as match_services
from matching.models import Agreement, Match, MatchEvent
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .conftest import PLAN, counts, make_call, member_of, move_window, propose, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _subjects(organization) -> list[str]:
    return list(Notification.objects.filter(organization=organization).values_list("subject", flat=True))


# --- Calls -------------------------------------------------------------------------------------------------------


def test_only_an_organisers_members_create_calls(world):
    before = Call.objects.count()
    with pytest.raises(PermissionDenied):  # a member of an enterprise, for the organiser
        services.call_create(organizer=world["organiser"].organizations.get(), by=world["enterprise"], title="x",
                             theme="y", opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(PermissionDenied):  # an enterprise is no organiser
        services.call_create(organizer=world["enterprise"].organizations.get(), by=world["enterprise"], title="x",
                             theme="y", opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=1))
    assert Call.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"theme": ""}, "theme"),
        ({"opens": 5, "closes": 2}, "closes_at"),
        ({"opens": -5, "closes": -1}, "closes_at"),
        ({"domain_codes": ["no_such_domain"]}, "domains"),
        ({"province_codes": ["999999"]}, "provinces"),
    ],
)
def test_a_call_is_refused_with_the_field_at_fault(world, fields, field):
    before = Call.objects.count()
    with pytest.raises(ApplicationError) as refused:
        make_call(world["organiser"], publish_it=False, **fields)
    assert refused.value.field == field
    assert Call.objects.count() == before


def test_only_a_draft_is_edited_and_the_status_moves_forward(world):
    organiser = world["organiser"]
    draft = make_call(organiser, publish_it=False, title="草稿征集")
    services.call_update(call=draft, by=organiser, title="改名后的征集", domain_codes=["new_energy"], province_codes=[])
    draft.refresh_from_db()
    assert draft.title == "改名后的征集" and [d.code for d in draft.domains.all()] == ["new_energy"]
    assert not draft.provinces.exists()
    with pytest.raises(PermissionDenied):
        services.call_update(call=draft, by=world["enterprise"], title="冒名")
    call = world["call"]
    with pytest.raises(ApplicationError) as refused:
        services.call_update(call=call, by=organiser, title="发布后改名")
    assert refused.value.field == "status"
    assert Call.objects.get(pk=call.pk).title == call.title
    with pytest.raises(ApplicationError):
        services.call_set_status(call=draft, by=organiser, status="closed")
    services.call_set_status(call=call, by=organiser, status="closed")
    with pytest.raises(ApplicationError) as refused:
        services.call_set_status(call=call, by=organiser, status="published")
    assert refused.value.field == "status" and Call.objects.get(pk=call.pk).status == "closed"


def test_an_unverified_organiser_publishes_once_staff_verified_it(world):
    organiser = member_of(kind="organiser", name="未认证联盟", province_id="310000", city_id="310100")
    draft = make_call(organiser, publish_it=False)
    with pytest.raises(ApplicationError, match="not verified") as refused:
        services.call_set_status(call=draft, by=organiser, status="published")
    assert refused.value.field == "status" and Call.objects.get(pk=draft.pk).status == "draft"
    assert services.call_set_status(call=draft, by=world["staff"], status="published").status == "published"


# --- Needs entered -----------------------------------------------------------------------------------------------


def test_entering_a_need_tells_the_organiser_without_mail(world, mailoutbox):
    subjects = _subjects(world["organiser"].organizations.get())
    assert any("A need entered your call" in subject for subject in subjects)
    assert world["entry"].entered_by == world["enterprise"]
    assert not mailoutbox


def test_a_subdomain_fits_a_call_of_its_parent_and_the_region_counts(world):
    enterprise = world["enterprise"].organizations.get()
    child = publish(need(enterprise, title="量子通信需求", domains=("quantum",)))  # next_gen_it's child
    services.call_need_enter(call=world["call"], need=child, by=world["enterprise"])
    before = counts()
    outside_domain = publish(need(enterprise, title="光伏需求", domains=("photovoltaic",)))
    with pytest.raises(ApplicationError, match="outside the call's domains") as refused:
        services.call_need_enter(call=world["call"], need=outside_domain, by=world["enterprise"])
    assert refused.value.field == "need"
    outside_region = publish(need(enterprise, title="上海需求", province_id="310000", city_id="310100"))
    with pytest.raises(ApplicationError, match="outside the call's regions"):
        services.call_need_enter(call=world["call"], need=outside_region, by=world["enterprise"])
    parent_only = publish(need(enterprise, title="只写大类的需求", domains=("new_energy",)))
    with pytest.raises(ApplicationError, match="outside the call's domains"):
        services.call_need_enter(call=world["call"], need=parent_only, by=world["enterprise"])
    assert counts() == before


def test_a_call_of_any_domain_and_region_takes_any_published_need(world):
    call = make_call(world["organiser"], domain_codes=[], province_codes=[])
    enterprise = world["enterprise"].organizations.get()
    anywhere = publish(need(enterprise, title="广东需求", domains=(), province_id="440000", city_id="440100"))
    assert services.call_need_enter(call=call, need=anywhere, by=world["enterprise"]).need == anywhere


def test_needs_that_may_not_enter(world):
    call, enterprise = world["call"], world["enterprise"]
    before = counts()
    with pytest.raises(PermissionDenied):  # another enterprise's member
        services.call_need_enter(call=call, need=world["other_need"], by=enterprise)
    with pytest.raises(ApplicationError, match="in this call already") as refused:
        services.call_need_enter(call=call, need=world["need"], by=enterprise)
    assert refused.value.field == "need"
    draft = need(enterprise.organizations.get(), title="草稿需求")
    with pytest.raises(ApplicationError, match="not on the market"):
        services.call_need_enter(call=call, need=draft, by=enterprise)
    expired = publish(need(enterprise.organizations.get(), title="过期需求"))
    Need.objects.filter(pk=expired.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ApplicationError, match="not on the market"):
        services.call_need_enter(call=call, need=Need.objects.get(pk=expired.pk), by=enterprise)
    university_need = publish(need(world["university"].organizations.get(), title="高校需求"))
    with pytest.raises(ApplicationError, match="needs of enterprises"):
        services.call_need_enter(call=call, need=university_need, by=world["university"])
    assert counts() == before


@pytest.mark.parametrize(
    ("window", "field", "text"),
    [((1, 5), "opens_at", "takes needs from"), ((-5, -1), "closes_at", "closed at")],
)
def test_needs_enter_only_while_the_window_is_open(world, window, field, text):
    call = move_window(world["call"], opens=window[0], closes=window[1])
    before = counts()
    with pytest.raises(ApplicationError, match=text) as refused:
        services.call_need_enter(call=call, need=world["other_need"], by=world["other_enterprise"])
    assert refused.value.field == field
    assert counts() == before


def test_no_needs_enter_a_draft_or_closed_call(world):
    organiser = world["organiser"]
    draft = make_call(organiser, publish_it=False)
    with pytest.raises(ApplicationError, match="not published") as refused:
        services.call_need_enter(call=draft, need=world["other_need"], by=world["other_enterprise"])
    assert refused.value.field == "call"
    services.call_set_status(call=world["call"], by=organiser, status="closed")
    with pytest.raises(ApplicationError, match="closed"):
        services.call_need_enter(call=world["call"], need=world["other_need"], by=world["other_enterprise"])
    assert not CallNeed.objects.filter(need=world["other_need"]).exists()


def test_the_organiser_removes_a_need_saying_why(world):
    entry, organiser = world["entry"], world["organiser"]
    with pytest.raises(PermissionDenied):
        services.call_need_remove(call_need=entry, by=world["enterprise"], reason="自己撤回")
    with pytest.raises(ApplicationError) as refused:
        services.call_need_remove(call_need=entry, by=organiser, reason=" ")
    assert refused.value.field == "reason"
    propose(world)
    with pytest.raises(ApplicationError, match="decline them"):
        services.call_need_remove(call_need=entry, by=organiser, reason="与主题不符")
    assert CallNeed.objects.filter(pk=entry.pk).exists()
    other = services.call_need_enter(call=world["call"], need=world["other_need"], by=world["other_enterprise"])
    services.call_need_remove(call_need=other, by=organiser, reason="与主题不符")
    assert not CallNeed.objects.filter(pk=other.pk).exists()
    told = Notification.objects.filter(organization=world["other_enterprise"].organizations.get(),
                                       subject__contains="was removed from the call").get()  # fmt: skip
    assert told.body == "与主题不符"


# --- Proposals -----------------------------------------------------------------------------------------------------


def test_a_proposal_tells_the_enterprise_and_the_organiser(world):
    proposal = propose(world)
    assert (proposal.status, proposal.organization, proposal.months, proposal.budget_wan) == (
        "submitted", world["offer"].organization, 9, Decimal("80.00"),
    )  # fmt: skip
    for organization in (world["enterprise"].organizations.get(), world["organiser"].organizations.get()):
        assert any("New proposal for" in subject for subject in _subjects(organization))


def test_a_proposal_after_the_window_names_its_close_and_changes_nothing(world):
    call = move_window(world["call"], opens=-5, closes=-1)
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        propose(world)
    closes = f"{timezone.localtime(call.closes_at):%Y-%m-%d %H:%M}"
    assert refused.value.field == "closes_at"
    assert refused.value.message == f"The call's window closed at {closes}: it takes no more proposals."
    assert counts() == before


def test_the_windows_edges(world, monkeypatch):
    call = world["call"]
    opens, closes = call.opens_at, call.closes_at
    monkeypatch.setattr(timezone, "now", lambda: opens - datetime.timedelta(microseconds=1))
    with pytest.raises(ApplicationError, match="takes proposals from") as refused:
        propose(world)
    assert refused.value.field == "opens_at"
    monkeypatch.setattr(timezone, "now", lambda: closes)
    with pytest.raises(ApplicationError, match="closed at") as refused:
        propose(world)
    assert refused.value.field == "closes_at" and not Proposal.objects.exists()
    monkeypatch.setattr(timezone, "now", lambda: opens)  # the first moment of the window
    assert propose(world).submitted_at == opens
    monkeypatch.setattr(timezone, "now", lambda: closes - datetime.timedelta(microseconds=1))  # its last
    assert propose(world, user=world["rival"], listing=world["rival_offer"]).status == "submitted"


def test_proposals_that_are_refused(world):
    before = counts()
    with pytest.raises(PermissionDenied) as refused:  # another university's achievement
        propose(world, user=world["rival"])
    assert refused.value.field == "achievement"
    draft = achievement(world["university"].organizations.get(), title="未发布成果")
    with pytest.raises(ApplicationError, match="not on the market") as refused:
        propose(world, listing=draft)
    assert refused.value.field == "achievement"
    enterprise_offer = publish(achievement(world["enterprise"].organizations.get(), title="企业自有成果"))
    with pytest.raises(ApplicationError, match="Universities and research institutes") as refused:
        propose(world, user=world["enterprise"], listing=enterprise_offer)
    assert refused.value.field == "achievement"
    for fields, field in (({"plan": "  "}, "plan"), ({"months": 0}, "months"), ({"months": "x"}, "months"),
                          ({"budget_wan": "-1"}, "budget_wan"), ({"mode": "gift"}, "mode"),
                          ({"plan": "长" * 5001}, "plan")):  # fmt: skip
        with pytest.raises(ApplicationError) as refused:
            propose(world, **fields)
        assert refused.value.field == field, fields
    assert counts() == before
    propose(world)
    with pytest.raises(ApplicationError, match="already proposed") as refused:
        propose(world, plan="第二次")
    assert refused.value.field == "achievement" and Proposal.objects.count() == 1


def test_no_proposal_for_a_need_that_left_the_market(world):
    posting_services.posting_transition(posting=world["need"], to="closed", by=None, reason="已解决")
    with pytest.raises(ApplicationError, match="no longer on the market") as refused:
        propose(world)
    assert refused.value.field == "need" and not Proposal.objects.exists()


def test_the_proposer_withdraws_before_a_decision(world):
    proposal = propose(world)
    with pytest.raises(PermissionDenied):
        services.proposal_withdraw(proposal=proposal, by=world["enterprise"])
    services.proposal_withdraw(proposal=proposal, by=world["university"])
    assert Proposal.objects.get(pk=proposal.pk).status == "withdrawn"
    with pytest.raises(ApplicationError, match="withdrawn already") as refused:
        services.proposal_award(proposal=proposal, by=world["organiser"])
    assert refused.value.field == "status"
    decided = propose(world, user=world["rival"], listing=world["rival_offer"])
    services.proposal_decline(proposal=decided, by=world["enterprise"], reason="方案不成熟")
    with pytest.raises(ApplicationError, match="declined already"):
        services.proposal_withdraw(proposal=decided, by=world["rival"])


@pytest.mark.parametrize("reviewer", ["enterprise", "organiser", "staff"])
def test_reviewers_shortlist_and_decline_and_the_proposer_is_told(world, reviewer):
    proposal = propose(world)
    services.proposal_shortlist(proposal=proposal, by=world[reviewer], note="进入答辩")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == ("shortlisted", world[reviewer])
    with pytest.raises(ApplicationError) as refused:
        services.proposal_decline(proposal=proposal, by=world[reviewer], reason="")
    assert refused.value.field == "reason" and Proposal.objects.get(pk=proposal.pk).status == "shortlisted"
    services.proposal_decline(proposal=proposal, by=world[reviewer], reason="预算超出")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == ("declined", "预算超出")
    subjects = _subjects(world["offer"].organization)
    assert any("is shortlisted" in s for s in subjects) and any("was declined" in s for s in subjects)


@pytest.mark.parametrize("outsider", ["rival", "university", "other_enterprise"])
def test_others_do_not_review(world, outsider):
    proposal = propose(world)
    for action in (services.proposal_shortlist, services.proposal_award):
        with pytest.raises(PermissionDenied):
            action(proposal=proposal, by=world[outsider])
    with pytest.raises(PermissionDenied):
        services.proposal_decline(proposal=proposal, by=world[outsider], reason="x")
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted" and not Match.objects.exists()


def test_an_award_is_a_deal_with_an_agreement_and_both_sides_are_told(world):
    proposal = propose(world, mode="co_development", budget_wan=Decimal("120"))
    services.proposal_award(proposal=proposal, by=world["enterprise"], note="签约")
    proposal.refresh_from_db()
    match = Match.objects.get(achievement=world["offer"], need=world["need"])
    assert (match.status, match.achievement_decision, match.need_decision) == ("deal", "accepted", "accepted")
    assert match.contact_revealed_at is not None and match.score == 0 and match.components == {}
    agreement = Agreement.objects.get()
    assert proposal.status == "awarded" and proposal.agreement == agreement and agreement.match == match
    assert (agreement.mode, agreement.amount_wan, agreement.signed_on) == (
        "co_development", Decimal("120.00"), timezone.localdate(),
    )  # fmt: skip
    event = MatchEvent.objects.get(match=match)
    assert (event.action, event.from_status, event.to_status, event.side) == ("award", "suggested", "deal", "need")
    for organization in (world["offer"].organization, world["need"].organization):
        assert any(s.startswith("Awarded:") for s in _subjects(organization))
    assert any("is awarded" in s for s in _subjects(world["offer"].organization))


def test_an_award_takes_the_engines_match_and_several_proposals_may_win(world):
    suggested = Match.objects.create(achievement=world["offer"], need=world["need"], score=0.82,
                                     components={"text": 0.9, "domain": 1.0}, reasons=[])  # fmt: skip
    services.proposal_award(proposal=propose(world), by=world["organiser"])
    match = Match.objects.get()
    assert match.pk == suggested.pk and match.score == 0.82 and match.components == {"text": 0.9, "domain": 1.0}
    assert match.status == "deal"
    services.proposal_award(proposal=propose(world, user=world["rival"], listing=world["rival_offer"]),
                            by=world["organiser"])  # fmt: skip
    assert Agreement.objects.count() == 2 and Match.objects.filter(status="deal").count() == 2
    assert MatchEvent.objects.filter(match=suggested).get().side == "organiser"


def test_a_match_staff_rejected_may_still_be_awarded(world):
    rejected = Match.objects.create(achievement=world["offer"], need=world["need"], score=0.4, components={},
                                    reasons=[])  # fmt: skip
    match_services.match_reject(match=rejected, by=world["staff"], reason="领域不符")
    services.proposal_award(proposal=propose(world), by=world["enterprise"])
    rejected.refresh_from_db()
    assert rejected.status == "deal" and rejected.agreements.count() == 1


def test_an_award_with_bad_terms_changes_nothing(world, monkeypatch):
    proposal = propose(world)
    Proposal.objects.filter(pk=proposal.pk).update(mode="gift")  # as no service would write it
    with pytest.raises(ApplicationError) as refused:
        services.proposal_award(proposal=proposal, by=world["enterprise"])
    assert refused.value.field == "mode"
    assert not Match.objects.exists() and not Agreement.objects.exists()
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted"


def test_a_decided_proposal_is_not_awarded(world):
    proposal = propose(world)
    services.proposal_decline(proposal=proposal, by=world["organiser"], reason="不符")
    with pytest.raises(ApplicationError, match="declined already"):
        services.proposal_award(proposal=proposal, by=world["organiser"])
    assert not Agreement.objects.exists()


def test_reviews_go_on_after_the_call_closes(world):
    proposal = propose(world)
    services.call_set_status(call=world["call"], by=world["organiser"], status="closed")
    assert services.proposal_award(proposal=proposal, by=world["enterprise"]).status == "awarded"


# --- Invitations -------------------------------------------------------------------------------------------------


def test_reviewers_invite_and_the_invited_organisation_is_told(world):
    invitation = services.invitation_create(call_need=world["entry"], achievement=world["rival_offer"],
                                            by=world["organiser"])  # fmt: skip
    assert invitation.invited_by == world["organiser"]
    assert any("You are invited to propose" in s for s in _subjects(world["rival_offer"].organization))
    before = counts()
    with pytest.raises(ApplicationError, match="invited already"):
        services.invitation_create(call_need=world["entry"], achievement=world["rival_offer"], by=world["enterprise"])
    with pytest.raises(PermissionDenied):
        services.invitation_create(call_need=world["entry"], achievement=world["offer"], by=world["rival"])
    propose(world)
    with pytest.raises(ApplicationError, match="already proposed"):
        services.invitation_create(call_need=world["entry"], achievement=world["offer"], by=world["enterprise"])
    move_window(world["call"], opens=-5, closes=-1)
    other = publish(achievement(MembershipFactory(organization=OrganizationFactory()).organization, title="新成果"))
    with pytest.raises(ApplicationError) as refused:
        services.invitation_create(call_need=world["entry"], achievement=other, by=world["enterprise"])
    assert refused.value.field == "closes_at"
    assert counts() == (before[0], before[1] + 1, before[2]) and Invitation.objects.count() == 1


def test_the_plan_is_kept_as_written(world):
    assert propose(world).plan == PLAN
