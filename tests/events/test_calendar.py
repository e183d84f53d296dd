"""iCalendar output of events (``events.calendar``): UID, UTC times, location, status, reuse by other components."""

from __future__ import annotations

import datetime

import icalendar
import pytest

from events import services
from events.calendar import calendar_for, event_location, event_vevent

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def parse(data: bytes) -> icalendar.Calendar:
    assert isinstance(data, bytes)
    return icalendar.Calendar.from_ical(data)


def test_event_vevent_has_uid_utc_times_summary_location_description_and_url(make_event):
    event = make_event(description="新材料成果路演与企业对接。")
    vevent = event_vevent(event, base_url="https://techmatch.example.cn/")
    assert vevent["uid"] == f"event-{event.pk}@techmatch"
    start, end = vevent.decoded("dtstart"), vevent.decoded("dtend")
    assert (start, end) == (event.starts_at.replace(microsecond=0), event.ends_at.replace(microsecond=0))
    assert start.utcoffset() == datetime.timedelta(0)
    assert "DTSTART:" in vevent.to_ical().decode() and vevent.to_ical().decode().count("Z\r\n") >= 2
    assert str(vevent["summary"]) == "长三角新材料成果对接会"
    assert "松江G60科创云廊" in str(vevent["location"])
    assert "上海" in str(vevent["location"]) or "Shanghai" in str(vevent["location"])
    assert "新材料成果路演与企业对接。" in str(vevent["description"])
    assert "G60科创走廊技术交易中心" in str(vevent["description"])
    assert str(vevent["url"]) == f"https://techmatch.example.cn/events/{event.pk}/"
    assert str(vevent["status"]) == "CONFIRMED"


def test_times_are_written_in_utc_whatever_the_zone_they_were_given_in(make_event):
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    start = datetime.datetime(2031, 5, 20, 9, 30, tzinfo=shanghai)
    event = make_event(publish=False)
    event.starts_at, event.ends_at = start, start + datetime.timedelta(hours=3)
    text = event_vevent(event).to_ical().decode()
    assert "DTSTART:20310520T013000Z" in text
    assert "DTEND:20310520T043000Z" in text


def test_without_a_base_url_the_url_is_left_out_and_online_events_are_located_by_their_link(make_event):
    event = make_event(publish=False, online_url="https://meeting.example.cn/room/42")
    event.venue, event.city = "", None
    assert event_location(event) == "https://meeting.example.cn/room/42"
    vevent = event_vevent(event)
    assert "url" not in vevent
    assert str(vevent["location"]) == "https://meeting.example.cn/room/42"
    assert str(vevent["status"]) == "TENTATIVE"  # a draft


def test_a_cancelled_event_is_cancelled_in_the_calendar(make_event, organiser_member):
    event = services.event_set_status(event=make_event(), by=organiser_member, status="cancelled")
    assert str(event_vevent(event)["status"]) == "CANCELLED"


def test_calendar_for_holds_one_vevent_per_event_and_further_components(make_event):
    first, second = make_event(), make_event(capacity=5)
    slot = icalendar.Event()
    slot.add("uid", "meeting-1@techmatch")
    slot.add("summary", "1:1")
    slot.add("dtstart", datetime.datetime(2031, 5, 20, 2, 0, tzinfo=UTC))
    slot.add("dtend", datetime.datetime(2031, 5, 20, 2, 20, tzinfo=UTC))
    calendar = parse(calendar_for([first, second], "我的日程", components=[slot]))
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["x-wr-calname"]) == "我的日程"
    uids = [str(component["uid"]) for component in calendar.walk("VEVENT")]
    assert uids == [f"event-{first.pk}@techmatch", f"event-{second.pk}@techmatch", "meeting-1@techmatch"]
    assert all("dtstamp" in component for component in calendar.walk("VEVENT")[:2])  # required by RFC 5545


def test_an_empty_calendar_is_still_a_valid_calendar():
    calendar = parse(calendar_for([], "empty"))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["prodid"]).startswith("-//Tech Match")
