"""Who sees what of calls: drafts only to the organiser and staff; proposals only to the proposer, the need's
enterprise, the organiser and staff (never another institution); needs off the market only to those concerned; the
engine's suggestions without those already proposed, invited or taken out of play."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from calls import selectors, services
from marketplace import services as posting_services
from matching.models import Match
from tests.factories import achievement, need

from .conftest import make_call, member_of, propose, publish

pytestmark = pytest.mark.django_db


def test_drafts_are_seen_by_the_organiser_and_staff_only(world):
    draft = make_call(world["organiser"], publish_it=False, title="草稿征集")
    for user in (AnonymousUser(), world["enterprise"], world["university"]):
        assert draft not in selectors.call_visible_to(user)
        assert world["call"] in selectors.call_visible_to(user)
    for user in (world["organiser"], world["staff"]):
        assert draft in selectors.call_visible_to(user)
    services.call_set_status(call=world["call"], by=world["organiser"], status="closed")
    assert world["call"] in selectors.call_visible_to(AnonymousUser())  # closed calls stay public


def test_proposals_are_confidential(world):
    proposal = propose(world)
    rival = propose(world, user=world["rival"], listing=world["rival_offer"])
    seen = {
        role: set(selectors.proposals_visible_to(world[role]))
        for role in ("university", "rival", "enterprise", "organiser", "staff", "other_enterprise")
    }
    assert seen["university"] == {proposal} and seen["rival"] == {rival}
    assert seen["enterprise"] == seen["organiser"] == seen["staff"] == {proposal, rival}
    assert seen["other_enterprise"] == set()
    assert not selectors.proposals_visible_to(AnonymousUser()).exists()


def test_needs_off_the_market_are_seen_by_those_concerned_only(world):
    entry = world["entry"]
    posting_services.posting_transition(posting=world["need"], to="closed", by=None, reason="已解决")
    for user in (AnonymousUser(), world["university"], world["other_enterprise"]):
        assert entry not in selectors.call_needs_visible_to(user)
    for user in (world["enterprise"], world["organiser"], world["staff"]):
        assert entry in selectors.call_needs_visible_to(user)
    assert selectors.calls_listed(AnonymousUser()).get().need_count == 0


def test_the_engines_suggestions(world):
    entry = world["entry"]
    third = publish(achievement(member_of(name="第三测试大学").organizations.get(), title="第三成果"))
    company = publish(achievement(world["other_enterprise"].organizations.get(), title="企业成果"))
    unpublished = achievement(member_of(name="第四测试大学").organizations.get(), title="未发布")
    weak = publish(achievement(member_of(name="第五测试大学").organizations.get(), title="弱相关成果"))
    for listing, score, status in ((world["offer"], 0.9, "suggested"), (world["rival_offer"], 0.7, "approved"),
                                   (third, 0.8, "rejected"), (company, 0.95, "suggested"),
                                   (unpublished, 0.99, "suggested"), (weak, 0.29, "suggested")):  # fmt: skip
        Match.objects.create(achievement=listing, need=world["need"], score=score, components={}, reasons=[],
                             status=status)  # fmt: skip
    suggested = selectors.suggested_achievements(entry)
    assert [(m.achievement, m.score) for m in suggested] == [(world["offer"], 0.9), (world["rival_offer"], 0.7)]
    propose(world)
    services.invitation_create(call_need=entry, achievement=world["rival_offer"], by=world["organiser"])
    assert selectors.suggested_achievements(entry) == []


def test_the_forms_offer_what_fits(world):
    enterprise = world["enterprise"]
    fitting = publish(need(enterprise.organizations.get(), title="人工智能需求", domains=("ai",)))
    publish(need(enterprise.organizations.get(), title="光伏需求", domains=("photovoltaic",)))
    assert list(selectors.enterable_needs(enterprise, world["call"])) == [fitting]  # not the one entered already
    assert list(selectors.enterable_needs(world["university"], world["call"])) == []
    assert list(selectors.proposable_achievements(world["university"], world["entry"])) == [world["offer"]]
    propose(world)
    assert list(selectors.proposable_achievements(world["university"], world["entry"])) == []
    assert selectors.may_propose(world["rival"]) and not selectors.may_propose(enterprise)
