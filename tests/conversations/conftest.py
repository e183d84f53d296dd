"""A small world for conversations: a university (achievement side, two members), an enterprise (need side), a third
organisation (outsiders) and staff; one published pair matched by the engine and approved by staff."""

from __future__ import annotations

import pytest
from django.utils import timezone

from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from matching.runs import match_run_full
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need


def verified(**fields):
    return OrganizationFactory(verified=True, verified_at=timezone.now(), **fields)


@pytest.fixture
def world(staff_user):
    university = verified(name="合肥工业大学测试")
    enterprise = verified(kind="enterprise", name="江淮汽车测试")
    third = verified(kind="enterprise", name="第三方机构")
    uni_member = MembershipFactory(organization=university).user
    uni_colleague = MembershipFactory(organization=university, role="member").user
    ent_member = MembershipFactory(organization=enterprise).user
    outsider = MembershipFactory(organization=third).user
    offer = achievement(university, by=uni_member)
    wanted = need(enterprise, by=ent_member)
    for posting in (offer, wanted):
        posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)
    match_run_full()
    match = Match.objects.get(achievement=offer, need=wanted)
    match = match_services.match_approve(match=match, by=staff_user)
    return {
        "match": match,
        "achievement": offer,
        "need": wanted,
        "university": university,
        "enterprise": enterprise,
        "third": third,
        "users": {
            "achievement": uni_member,
            "colleague": uni_colleague,
            "need": ent_member,
            "outsider": outsider,
            "staff": staff_user,
        },
    }


def both_accept(world) -> Match:
    match_services.match_accept(match=world["match"], by=world["users"]["need"])
    return match_services.match_accept(match=world["match"], by=world["users"]["achievement"])


@pytest.fixture
def in_contact(world):
    world["match"] = both_accept(world)
    return world
