"""A small market with known figures: three universities' achievements, one enterprise's needs, matches taken
through the real services to every stage, an event of the organiser's and one of another organiser's."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from events import outcomes
from events import services as event_services
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching import services as match_services
from matching.models import Match, MatchEvent
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need


@pytest.fixture(autouse=True)
def fresh_cache():
    """The statistics are cached for minutes: every test computes its own."""
    cache.clear()
    yield
    cache.clear()


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def previous_month_noon() -> datetime.datetime:
    first = timezone.localdate().replace(day=1)
    return timezone.make_aware(datetime.datetime.combine(first - datetime.timedelta(days=5), datetime.time(12)))


@pytest.fixture
def market(staff_user):
    """Beijing university (jjj) and Hefei university (yrd, g60, yangtze_belt) offer; a Shenzhen enterprise (gba) asks.

    m1 a1→n1: released last month, both accept this month, agreement (deal)
    m2 a3→n1: released, both accept (in contact)
    m3 a2→n2: rejected by staff, "领域不符"
    m4 a3→n2: released, declined "预算不足。"
    m5 a1→n2: suggested only
    m6 a2→n1: released, declined " 预算不足 "
    """
    beijing = MembershipFactory(
        organization=OrganizationFactory(name="北京某大学", province_id="110000", city_id="110100")
    ).user
    hefei = MembershipFactory(organization=OrganizationFactory(name="合肥某大学")).user
    shenzhen = MembershipFactory(
        organization=OrganizationFactory(name="深圳某企业", kind="enterprise", province_id="440000", city_id="440300")
    ).user
    bj, hf, sz = (u.organizations.get() for u in (beijing, hefei, shenzhen))
    a1 = publish(achievement(bj, by=beijing, title="北京AI成果", domains=("ai",)))
    a2 = publish(achievement(hf, by=hefei, title="合肥机器人成果", domains=("robotics",)))
    a3 = publish(achievement(hf, by=hefei, title="合肥视觉成果", domains=("ai",)))
    n1 = publish(need(sz, by=shenzhen, title="深圳视觉需求", domains=("ai",)))
    n2 = publish(need(sz, by=shenzhen, title="深圳电池需求", domains=("battery_materials",)))
    draft = achievement(hf, by=hefei, title="合肥草稿成果")  # not published: in no statistics

    def make(a, n, score):
        return Match.objects.create(achievement=a, need=n, score=score, components={"text": score}, reasons=[])

    m1, m2, m3, m4, m5, m6 = (
        make(a1, n1, 0.9),
        make(a3, n1, 0.8),
        make(a2, n2, 0.5),
        make(a3, n2, 0.6),
        make(a1, n2, 0.4),
        make(a2, n1, 0.7),
    )
    for m in (m1, m2, m4, m6):
        match_services.match_approve(match=m, by=staff_user)
    MatchEvent.objects.filter(match=m1, to_status="approved").update(at=previous_month_noon())
    for m in (m1, m2):
        match_services.match_accept(match=m, by=beijing if m.achievement == a1 else hefei)
        match_services.match_accept(match=m, by=shenzhen)
    m1.refresh_from_db()
    match_services.agreement_record(
        match=m1, by=shenzhen, mode="license", signed_on=timezone.localdate(), amount_wan=Decimal("50")
    )
    match_services.match_reject(match=m3, by=staff_user, reason="领域不符")
    match_services.match_decline(match=m4, by=shenzhen, reason="预算不足。")
    match_services.match_decline(match=m6, by=hefei, reason=" 预算不足 ")
    return {
        "beijing": beijing, "hefei": hefei, "shenzhen": shenzhen, "a1": a1, "a2": a2, "a3": a3, "n1": n1, "n2": n2,
        "draft": draft, "m1": m1, "m2": m2, "m3": m3, "m4": m4, "m5": m5, "m6": m6,
    }  # fmt: skip


@pytest.fixture
def events_world(market, make_event, organiser_member):
    """The organiser's event (3 places): Hefei registers two people (one checked in), Shenzhen one, Beijing one who
    waits; one agreement recorded there. Another organiser's event with one registration."""
    event = make_event(capacity=3)
    hefei, shenzhen, beijing = market["hefei"], market["shenzhen"], market["beijing"]
    first = event_services.registration_create(
        event=event, organization=hefei.organizations.get(), person_name="王一", person_email="w1@hf.cn", by=hefei
    )
    event_services.registration_create(
        event=event, organization=hefei.organizations.get(), person_name="王二", person_email="w2@hf.cn", by=hefei
    )
    event_services.registration_create(
        event=event, organization=shenzhen.organizations.get(), person_name="李", person_email="l@sz.cn", by=shenzhen
    )
    event_services.registration_create(
        event=event, organization=beijing.organizations.get(), person_name="赵", person_email="z@bj.cn", by=beijing
    )
    with mock.patch("django.utils.timezone.now", return_value=event.starts_at):  # check-in opens on the event's day
        event_services.registration_check_in(event=event, code=first.check_in_code, by=organiser_member)
    outcomes.event_agreement_record(
        event=event, by=organiser_member, achievement=market["a2"], need=market["n2"], mode="transfer",
        signed_on=timezone.localdate(),
    )  # fmt: skip
    other_organiser = MembershipFactory(
        organization=OrganizationFactory(kind="organiser", name="黄河流域技术转移联盟", province_id="370000",
                                         city_id="370100", verified=True, verified_at=timezone.now())
    ).user  # fmt: skip
    start = timezone.now() + datetime.timedelta(days=20)
    other = event_services.event_create(
        organizer=other_organiser.organizations.get(), by=other_organiser, kind="roadshow", title="黄河流域路演",
        starts_at=start, ends_at=start + datetime.timedelta(hours=3), capacity=10, city_id="370100",
    )  # fmt: skip
    other = event_services.event_set_status(event=other, by=other_organiser, status="published")
    event_services.registration_create(
        event=other, organization=hefei.organizations.get(), person_name="王三", person_email="w3@hf.cn", by=hefei
    )
    return {"event": event, "other": other, "other_organiser": other_organiser}
