"""The brokers' world: a university (``owner``, and a plain ``member``) with two published achievements, an
enterprise with a need, a service agency's member (``broker``) appointed for the first achievement only; a released
(approved) match on each achievement. Matches are written directly (the engine is not what is tested here) and
released through the service."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from brokers import services
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def member_of(kind: str, name: str):
    return MembershipFactory(organization=OrganizationFactory(kind=kind, name=name)).user


@pytest.fixture
def world(db, staff_user):
    owner = MembershipFactory(organization=OrganizationFactory(name="合肥工业大学技术转移中心")).user
    university = owner.organizations.get()
    member = MembershipFactory(organization=university, role=Membership.Role.MEMBER).user
    granted = publish(achievement(university, title="高性能钠离子电池硬碳负极材料"))
    other = publish(achievement(university, title="协作机器人一体化关节模组"))
    enterprise_member = member_of("enterprise", "宁德某新能源企业")
    wanted = publish(need(enterprise_member.organizations.get(), title="低成本硬碳负极材料"))
    broker = member_of("service_agency", "长三角技术经纪服务中心")
    matches = []
    for listing in (granted, other):
        match = Match.objects.create(achievement=listing, need=wanted, score=0.8, reasons=[])
        matches.append(match_services.match_approve(match=match, by=staff_user))
    appointment = services.broker_appoint(
        organization=university, by=owner, broker_email=broker.email, achievement_ids=[granted.pk], note="负责电池材料"
    )
    return {
        "owner": owner, "member": member, "university": university, "granted": granted, "other": other,
        "enterprise": enterprise_member, "need": wanted, "broker": broker, "appointment": appointment,
        "match": matches[0], "other_match": matches[1], "staff": staff_user,
        "outsider": member_of("service_agency", "另一家服务机构"),
    }  # fmt: skip


def fresh(user):
    """The user as a new request would load them (their per-request caches empty)."""
    return type(user).objects.get(pk=user.pk)
