"""Needs past their deadline and matching: out of the engine's input at once, their open matches withdrawn (recorded)
when the daily task closes them, matches in contact kept, and everything suggested again when the owner extends."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification
from core.exceptions import ApplicationError
from marketplace import services as posting_services
from marketplace.models import Need
from marketplace.models import Status as PostingStatus
from matching import adapters, services
from matching.models import Match, MatchEvent
from matching.runs import match_run_full
from matching.selectors import match_visible_to
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


@pytest.fixture
def world(staff_user):
    """One enterprise need matched by three achievements of one university: ``suggested`` stays a suggestion,
    ``approved`` is approved by staff, ``contact`` is accepted by both sides."""
    university_member = MembershipFactory().user
    enterprise_member = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    university = university_member.organizations.get()
    wanted = publish(need(enterprise_member.organizations.get(), title="钠离子电池低成本硬碳负极材料",
                          description="钠离子电池需要低成本硬碳负极，比容量≥330 mAh/g。",
                          domains=("battery_materials",)))  # fmt: skip
    offers = {
        name: publish(achievement(university, title=title, summary=summary, domains=("battery_materials",)))
        for name, title, summary in (
            ("suggested", "生物质硬碳负极材料", "椰壳基硬碳负极，钠离子电池比容量340 mAh/g。"),
            ("approved", "沥青基硬碳负极材料", "沥青基硬碳负极材料，钠离子电池首效90%。"),
            ("contact", "无烟煤基钠电硬碳负极", "无烟煤制备钠离子电池硬碳负极，低成本。"),
        )
    }
    match_run_full()
    matches = {name: Match.objects.get(achievement=offer, need=wanted) for name, offer in offers.items()}
    for name in ("approved", "contact"):
        matches[name] = services.match_approve(match=matches[name], by=staff_user)
    services.match_accept(match=matches["contact"], by=enterprise_member)
    matches["contact"] = services.match_accept(match=matches["contact"], by=university_member)
    assert [m.status for m in matches.values()] == ["suggested", "approved", "in_contact"]
    return {"need": wanted, "matches": matches, "university": university_member, "enterprise": enterprise_member,
            "staff": staff_user}  # fmt: skip


def pass_deadline(posting: Need) -> Need:
    Need.objects.filter(pk=posting.pk).update(deadline=timezone.localdate() - DAY)
    return Need.objects.get(pk=posting.pk)


def statuses(world) -> dict[str, str]:
    return {name: Match.objects.get(pk=m.pk).status for name, m in world["matches"].items()}


def test_the_engine_input_leaves_expired_needs_out_before_the_task_runs(world):
    assert world["need"] in adapters.published(Need)
    pass_deadline(world["need"])
    assert world["need"] not in adapters.published(Need)
    other = publish(need(OrganizationFactory(kind="enterprise"), title="未过期需求",
                         deadline=timezone.localdate()))  # fmt: skip
    assert other in adapters.published(Need)


def test_a_rebuild_suggests_nothing_new_for_an_expired_need(world):
    pass_deadline(world["need"])
    university = world["university"].organizations.get()
    title, summary = "硬碳负极连续碳化工艺", "钠离子电池硬碳负极千吨级连续碳化。"
    fresh = publish(achievement(university, title=title, summary=summary, domains=("battery_materials",)))
    run = match_run_full()
    assert run.counts["needs"] == 0
    assert not Match.objects.filter(achievement=fresh).exists()


def test_closing_at_the_deadline_withdraws_open_matches_and_keeps_those_in_contact(world):
    pass_deadline(world["need"])
    posting_services.need_expire_overdue()
    assert statuses(world) == {"suggested": "withdrawn", "approved": "withdrawn", "contact": "in_contact"}
    events = MatchEvent.objects.filter(action="withdraw").order_by("match_id")
    assert {(e.match_id, e.from_status, e.to_status, e.side, e.by, e.note) for e in events} == {
        (world["matches"]["suggested"].pk, "suggested", "withdrawn", "system", None, "system: deadline passed"),
        (world["matches"]["approved"].pk, "approved", "withdrawn", "system", None, "system: deadline passed"),
    }
    # The university had seen the approved match: it is told, and still finds it, as withdrawn.
    university = world["university"].organizations.get()
    assert Notification.objects.filter(organization=university, link=f"/matches/{world['matches']['approved'].pk}/",
                                       subject__contains="沥青基硬碳负极材料").exists()  # fmt: skip
    seen = set(match_visible_to(user=world["university"]).values_list("pk", "status"))
    assert seen == {(world["matches"]["approved"].pk, "withdrawn"), (world["matches"]["contact"].pk, "in_contact")}


def test_withdrawing_is_idempotent(world):
    pass_deadline(world["need"])
    posting_services.need_expire_overdue()
    posting_services.need_expire_overdue()
    services.matches_withdraw_for_needs(need_ids=[world["need"].pk])
    assert MatchEvent.objects.filter(action="withdraw").count() == 2


def test_matches_of_a_need_closed_by_its_owner_are_not_withdrawn(world):
    posting_services.posting_close(posting=world["need"], by=world["enterprise"])
    posting_services.need_expire_overdue()
    assert statuses(world) == {"suggested": "suggested", "approved": "approved", "contact": "in_contact"}


def test_staff_cannot_approve_nor_sides_accept_a_match_of_an_expired_need(world):
    pass_deadline(world["need"])
    with pytest.raises(ApplicationError) as error:
        services.match_approve(match=world["matches"]["suggested"], by=world["staff"])
    assert error.value.field == "need"
    with pytest.raises(ApplicationError):
        services.match_accept(match=world["matches"]["approved"], by=world["enterprise"])
    assert statuses(world)["suggested"] == "suggested"


def test_extending_the_deadline_suggests_the_matches_again(world, settings, django_capture_on_commit_callbacks):
    pass_deadline(world["need"])
    (closed,) = posting_services.need_expire_overdue()
    settings.MATCHING_ON_PUBLISH = True
    with django_capture_on_commit_callbacks(execute=True):
        posting_services.need_extend_deadline(need=closed, new_deadline=timezone.localdate() + DAY,
                                              by=world["enterprise"])  # fmt: skip
    after = statuses(world)
    assert after == {"suggested": "suggested", "approved": "suggested", "contact": "in_contact"}
    restored = Match.objects.get(pk=world["matches"]["approved"].pk)
    assert (restored.reviewed_at, restored.need_decision, restored.run.trigger) == (None, "pending", "publish")
    assert list(restored.events.values_list("action", flat=True)) == ["approve", "withdraw", "restore"]
    assert world["need"] in adapters.published(Need)


def test_lists_and_the_api_show_withdrawn_matches(world):
    pass_deadline(world["need"])
    posting_services.need_expire_overdue()
    approved = world["matches"]["approved"]
    client = APIClient()
    client.force_authenticate(world["enterprise"])
    listed = client.get(reverse("api:match-list"), {"status": "withdrawn"})
    assert listed.status_code == 200
    assert [(row["id"], row["status"]) for row in listed.json()["results"]] == [(approved.pk, "withdrawn")]
    client.force_authenticate(world["staff"])
    assert client.get(reverse("api:match-list"), {"status": "withdrawn"}).json()["count"] == 2

    from django.test import Client

    browser = Client()
    browser.force_login(world["enterprise"])
    page = browser.get(reverse("matching:list"), {"status": "withdrawn"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "已撤回" in page.content.decode()
    assert browser.get(reverse("matching:detail", args=[approved.pk])).status_code == 200
    browser.force_login(world["staff"])
    admin = browser.get(reverse("admin:matching_match_changelist"), {"status__exact": "withdrawn"})
    assert admin.status_code == 200
