"""The call world: an organiser (``organiser``, a member of the verified organiser of the ``organiser_member``
fixture) with one published call about next-generation IT in Zhejiang and Anhui, its window open (opened a day ago,
closing in ten); an enterprise in Jiaxing (``enterprise``) whose published AI need (``need``) is entered; a second
enterprise in Hefei (``other_enterprise``) with a need not entered (``other_need``); two universities, each with a
published achievement (``university`` with ``offer``, ``rival`` with ``rival_offer``); and staff. Everything is made
through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from calls import services
from calls.models import Call, CallNeed, Proposal
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

NEED_TITLE = "嘉兴新材料企业的视觉检测需求"
OFFER_TITLE = "小样本工业视觉缺陷检测系统"
RIVAL_TITLE = "高速线阵相机表面检测算法"
PLAN = "三个月完成方案设计，六个月完成产线样机验证，九个月交付。"
SECRET = "li@secret.example.cn"  # the need factory's contact


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def member_of(**fields):
    return MembershipFactory(organization=OrganizationFactory(**fields)).user


def make_call(organiser, *, publish_it: bool = True, opens: float = -1, closes: float = 10, **fields) -> Call:
    now = timezone.now()
    values = {
        "title": "长三角测试技术需求征集", "theme": "面向新一代信息技术企业征集技术需求。",
        "opens_at": now + datetime.timedelta(days=opens), "closes_at": now + datetime.timedelta(days=closes),
        "domain_codes": ["next_gen_it"], "province_codes": ["330000", "340000"], **fields,
    }  # fmt: skip
    call = services.call_create(organizer=organiser.organizations.get(), by=organiser, **values)
    if publish_it:
        call = services.call_set_status(call=call, by=organiser, status=Call.Status.PUBLISHED)
    return call


def move_window(call: Call, *, opens: float, closes: float) -> Call:
    """Move the call's window (as time passing would)."""
    now = timezone.now()
    Call.objects.filter(pk=call.pk).update(opens_at=now + datetime.timedelta(days=opens),
                                           closes_at=now + datetime.timedelta(days=closes))  # fmt: skip
    call.refresh_from_db()
    return call


def propose(world, *, user=None, listing=None, entry=None, **fields) -> Proposal:
    values = {"plan": PLAN, "months": 9, "mode": "license", "budget_wan": Decimal("80"), **fields}
    return services.proposal_submit(
        call_need=entry or world["entry"], achievement=listing or world["offer"], by=user or world["university"],
        **values,
    )  # fmt: skip


@pytest.fixture
def world(organiser_member, staff_user):
    enterprise = member_of(kind="enterprise", name="嘉兴测试新材料公司", province_id="330000", city_id="330400")
    other_enterprise = member_of(kind="enterprise", name="合肥测试电子公司")
    university = member_of(name="浙江测试大学", province_id="330000", city_id="330100")
    rival = member_of(name="安徽测试大学")
    wanted = publish(need(enterprise.organizations.get(), title=NEED_TITLE, domains=("ai",)))
    other_wanted = publish(need(other_enterprise.organizations.get(), title="合肥电子企业的芯片测试需求",
                                domains=("integrated_circuits",)))  # fmt: skip
    offer = publish(achievement(university.organizations.get(), title=OFFER_TITLE))
    rival_offer = publish(achievement(rival.organizations.get(), title=RIVAL_TITLE))
    call = make_call(organiser_member)
    entry = services.call_need_enter(call=call, need=wanted, by=enterprise)
    return {
        "organiser": organiser_member, "staff": staff_user, "enterprise": enterprise,
        "other_enterprise": other_enterprise, "university": university, "rival": rival, "need": wanted,
        "other_need": other_wanted, "offer": offer, "rival_offer": rival_offer, "call": call, "entry": entry,
    }  # fmt: skip


def counts() -> tuple[int, int, int]:
    from calls.models import Invitation

    return CallNeed.objects.count(), Proposal.objects.count(), Invitation.objects.count()
