"""Agreements at an event: dated on the event's days (even after today, never after its last day), between the
participants' published postings only; the report's form offers those postings, narrowed by a title search."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from events import outcomes, services
from matching import services as match_services
from tests.factories import MembershipFactory, OrganizationFactory, achievement, need

from .clock import shift
from .test_meeting_pages import publish, register

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(make_event, organiser_member):
    university = MembershipFactory(organization=OrganizationFactory(name="某大学")).user
    enterprise = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="某企业")).user
    waiting = MembershipFactory(organization=OrganizationFactory(name="候补高校")).user
    stranger = MembershipFactory(organization=OrganizationFactory(kind="enterprise", name="局外企业")).user
    event = make_event(capacity=2)
    register(event, university, "张三", "zhang@u.example.cn")
    register(event, enterprise, "李四", "li@e.example.cn")
    register(event, waiting, "王五", "wang@w.example.cn")  # on the waiting list: not a participant
    # A two-day event, ten days from now: its days are after today.
    first = timezone.localdate() + datetime.timedelta(days=10)
    event = shift(event, datetime.datetime.combine(first, datetime.time(9), tzinfo=SHANGHAI) - event.starts_at)
    event = services.event_update(event=event, by=organiser_member, ends_at=event.starts_at + datetime.timedelta(
        hours=32))  # fmt: skip
    return {
        "event": event, "organiser": organiser_member, "first": first, "last": first + datetime.timedelta(days=1),
        "battery": publish(achievement(university.organizations.get(), title="钠离子电池硬碳负极")),
        "robot": publish(achievement(university.organizations.get(), title="协作机器人关节模组")),
        "draft": achievement(university.organizations.get(), title="草稿成果"),
        "need": publish(need(enterprise.organizations.get(), title="低成本负极材料")),
        "waiting_listing": publish(achievement(waiting.organizations.get(), title="候补者的成果")),
        "stranger_listing": publish(achievement(stranger.organizations.get(), title="局外人的成果")),
        "stranger_need": publish(need(stranger.organizations.get(), title="局外人的需求")),
    }  # fmt: skip


def record(world, **changes):  # type: ignore[no-untyped-def]
    values = {"event": world["event"], "by": world["organiser"], "achievement": world["battery"],
              "need": world["need"], "mode": "license", "signed_on": timezone.localdate()}  # fmt: skip
    values.update(changes)
    return outcomes.event_agreement_record(**values)


@pytest.mark.parametrize("day", ["first", "last"])
def test_an_agreement_may_be_dated_on_the_events_days_after_today(world, day):
    agreement = record(world, signed_on=world[day])
    assert agreement.signed_on == world[day]
    assert agreement.event_outcome.event == world["event"]


def test_never_after_the_last_day_nor_in_the_future_before_the_event(world):
    with pytest.raises(ApplicationError) as error:
        record(world, signed_on=world["last"] + datetime.timedelta(days=1))
    assert error.value.field == "signed_on" and world["last"].isoformat() in error.value.message
    with pytest.raises(ApplicationError) as error:
        record(world, signed_on=world["first"] - datetime.timedelta(days=1))  # after today, before the event
    assert (error.value.field, error.value.message) == ("signed_on", "The signing date is in the future.")
    assert record(world, signed_on=timezone.localdate() - datetime.timedelta(days=3)).pk  # the past stays fine


def test_agreements_not_tied_to_an_event_keep_todays_limit(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ApplicationError, match="in the future"):
        match_services.agreement_terms_check(mode="license", amount_wan=None, signed_on=world["first"])
    match_services.agreement_terms_check(mode="license", amount_wan=None, signed_on=tomorrow,
                                         signed_until=world["first"])  # fmt: skip


@pytest.mark.parametrize(
    ("achievement_key", "need_key", "field"),
    [("stranger_listing", "need", "achievement"), ("waiting_listing", "need", "achievement"),
     ("draft", "need", "achievement"), ("battery", "stranger_need", "need")],
)  # fmt: skip
def test_only_the_participants_published_postings(world, achievement_key, need_key, field):
    with pytest.raises(ApplicationError) as error:
        record(world, achievement=world[achievement_key], need=world[need_key])
    assert error.value.field == field
    assert "participant" in error.value.message


def test_the_form_offers_the_participants_postings_and_searches_them(client, world):
    client.force_login(world["organiser"])
    target = reverse("events:report", kwargs={"pk": world["event"].pk})
    page = client.get(target).content.decode()
    for key in ("battery", "robot", "need"):
        assert f'value="{world[key].pk}"' in page and world[key].title in page
    for key in ("stranger_listing", "waiting_listing", "draft", "stranger_need"):
        assert world[key].title not in page
    page = client.get(target, {"q": "电池"}).content.decode()
    assert world["battery"].title in page and world["robot"].title not in page
    assert 'name="q" value="电池"' in page


def test_the_page_records_an_agreement_dated_on_the_event_day(client, world):
    client.force_login(world["organiser"])
    target = reverse("events:report", kwargs={"pk": world["event"].pk})
    data = {"achievement": world["battery"].pk, "need": world["need"].pk, "mode": "license",
            "signed_on": world["first"].isoformat()}  # fmt: skip
    assert client.post(target, data).status_code == 302
    data["achievement"] = world["stranger_listing"].pk
    response = client.post(target, data)
    assert response.status_code == 400  # not a choice of the form


def test_the_api_refuses_a_non_participants_posting(world):
    client = APIClient()
    client.force_authenticate(world["organiser"])
    url = f"/api/v1/events/{world['event'].pk}/agreements/"
    data = {"achievement": world["stranger_listing"].pk, "mode": "license", "signed_on": world["first"].isoformat()}
    response = client.post(url, data, format="json")
    assert (response.status_code, list(response.json())) == (400, ["achievement"])
    data["achievement"] = world["battery"].pk
    assert client.post(url, data, format="json").status_code == 201
