"""The printable per-table meeting schedule of a docking event (/events/<pk>/grid/print/): each table with its
slots and the two parties of each meeting (organisations, posting titles); one printed page per table; for the
organiser's members and staff only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from events import meetings
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .test_meeting_pages import aligned_event, define_grid, publish, register

pytestmark = pytest.mark.django_db
CSS = Path(__file__).resolve().parents[2] / "static/css/events.css"


@pytest.fixture
def world(organiser_member, staff_user):
    university = MembershipFactory(organization=OrganizationFactory(name="某大学")).user
    enterprise = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="某企业")).user
    farm = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="盐碱地农场")).user
    publish(achievement(university.organizations.get(), title="钠离子电池硬碳负极材料"))
    publish(need(enterprise.organizations.get(), title="低成本硬碳负极材料"))
    event = aligned_event(organiser_member)
    who = [("张三", university), ("李四", enterprise), ("王五", farm)]
    people = {name: register(event, user, name, f"{n}@example.cn") for n, (name, user) in enumerate(who)}
    define_grid(event, organiser_member, slots=2, tables=("A1", "B2"))
    meetings.meeting_accept(meeting=meetings.meeting_request(requester=people["张三"], invitee=people["李四"],
                                                             by=university), by=enterprise)  # fmt: skip
    return {"event": event, "organiser": organiser_member, "staff": staff_user, "participant": university,
            "outsider": MembershipFactory().user,
            "roadshow": aligned_event(organiser_member, kind="roadshow", title="路演"),
            "draft": aligned_event(organiser_member, title="草稿对接会", publish=False)}  # fmt: skip


def url(event) -> str:  # type: ignore[no-untyped-def]
    return reverse("events:table-schedule", kwargs={"pk": event.pk})


def test_each_table_with_its_slots_and_the_two_parties(client, world):
    client.force_login(world["organiser"])
    page = client.get(url(world["event"])).content.decode()
    sections = page.split('<section class="table-schedule">')[1:]
    assert len(sections) == 2
    a1, b2 = sections
    assert "Table A1" in a1 and "Table B2" in b2
    assert len(re.findall(r'<th scope="row">', a1)) == 2  # both slots, the free one included
    assert "某大学" in a1 and "张三" in a1 and "某企业" in a1 and "李四" in a1
    assert "钠离子电池硬碳负极材料" in a1 and "低成本硬碳负极材料" in a1  # the postings of each party
    assert "某大学" not in b2 and b2.count("free") == 2
    assert "@example.cn" not in page  # no contacts


def test_print_css_a_page_per_table_and_a_print_button(client, world):
    client.force_login(world["organiser"])
    page = client.get(url(world["event"])).content.decode()
    assert "/static/css/events.css" in page and "/static/js/events-print.js" in page
    assert re.search(r"<button type=\"button\" data-print hidden>Print</button>", page)
    css = CSS.read_text()
    printing = css.split("@media print", 1)[1]
    assert "page-break-after: always" in printing and ".table-schedule" in printing
    assert ".site-header" in printing and "display: none" in printing


@pytest.mark.parametrize(("who", "status"), [("participant", 403), ("outsider", 403), ("staff", 200)])
def test_only_the_organiser_and_staff(client, world, who, status):
    client.force_login(world[who])
    assert client.get(url(world["event"])).status_code == status


def test_anonymous_drafts_and_roadshows(client, world):
    response = client.get(url(world["event"]))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(world["outsider"])
    assert client.get(url(world["draft"])).status_code == 404
    client.force_login(world["organiser"])
    assert client.get(url(world["roadshow"])).status_code == 404  # only docking events have meetings


def test_the_event_page_links_to_the_schedule_for_the_organiser(client, world):
    detail = reverse("events:detail", kwargs={"pk": world["event"].pk})
    client.force_login(world["organiser"])
    assert url(world["event"]) in client.get(detail).content.decode()
    client.force_login(world["participant"])
    assert url(world["event"]) not in client.get(detail).content.decode()


@pytest.mark.parametrize(("language", "words"), [("en", ["Schedule by table", "Table A1"]),
                                                 ("zh-hans", ["按桌打印日程", "洽谈桌 A1"])])  # fmt: skip
def test_the_schedule_in_both_languages(client, world, language, words):
    """zh-hans waits for the merged catalogue (new msgids)."""
    client.force_login(world["organiser"])
    client.cookies.load({"django_language": language})
    with translation.override(language):
        page = client.get(url(world["event"]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for word in words:
        assert word in page


def test_the_postings_are_those_of_the_released_match_between_the_two(client, organiser_member, staff_user):
    from matching import services as match_services
    from matching.models import Match
    from matching.runs import match_run_full

    university = MembershipFactory(organization=OrganizationFactory(name="某大学")).user
    enterprise = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="某企业")).user
    publish(achievement(university.organizations.get(), title="钠离子电池硬碳负极材料",
                        summary="硬碳负极，钠离子电池。", domains=("battery_materials",)))  # fmt: skip
    publish(achievement(university.organizations.get(), title="协作机器人关节模组", domains=("robotics",)))
    publish(need(enterprise.organizations.get(), title="低成本硬碳负极材料", description="钠离子电池需要硬碳负极。",
                 domains=("battery_materials",)))  # fmt: skip
    match_run_full()
    event = aligned_event(organiser_member)
    mine = register(event, university, "张三", "z@example.cn")
    theirs = register(event, enterprise, "李四", "l@example.cn")
    define_grid(event, organiser_member, slots=1, tables=("A1",))
    meetings.meeting_accept(meeting=meetings.meeting_request(requester=mine, invitee=theirs, by=university),
                            by=enterprise)  # fmt: skip
    client.force_login(organiser_member)
    page = client.get(url(event)).content.decode()
    assert "协作机器人关节模组" in page  # no released match yet: the parties' published postings
    match = Match.objects.get(achievement__title="钠离子电池硬碳负极材料", need__title="低成本硬碳负极材料")
    match_services.match_approve(match=match, by=staff_user)
    page = client.get(url(event)).content.decode()
    assert "钠离子电池硬碳负极材料" in page and "低成本硬碳负极材料" in page
    assert "协作机器人关节模组" not in page  # the meeting is about the matched pair
