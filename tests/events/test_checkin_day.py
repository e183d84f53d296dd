"""Check-in opens on the event's day: from the start of its first day to the end of its last day, in the project's
time zone (Asia/Shanghai); before or after, it is refused, and the report counts no attendance from it."""

from __future__ import annotations

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from events import outcomes, services
from events.models import Registration
from tests.factories import MembershipFactory

from .clock import run_today, shift

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(moment: datetime.datetime):  # type: ignore[no-untyped-def]
    return mock.patch("django.utils.timezone.now", return_value=moment)


def confirmed(event):  # type: ignore[no-untyped-def]
    member = MembershipFactory().user
    return services.registration_create(
        event=event, organization=member.organizations.get(), person_name="张三", person_email="z@example.cn",
        by=member,
    )  # fmt: skip


def two_day_event(make_event, organiser_member):  # type: ignore[no-untyped-def]
    """An event from 9:00 on its first day to 17:00 the next day (Shanghai time), registered for now."""
    event = make_event(capacity=5)
    registration = confirmed(event)
    first = timezone.localdate() + datetime.timedelta(days=10)
    starts = datetime.datetime.combine(first, datetime.time(9), tzinfo=SHANGHAI)
    event = shift(event, starts - event.starts_at)
    event = services.event_update(event=event, by=organiser_member, ends_at=starts + datetime.timedelta(hours=32))
    return event, registration


def test_check_in_a_month_before_is_refused_and_not_counted(make_event, organiser_member):
    event = make_event(capacity=5)
    registration = confirmed(event)
    with pytest.raises(ApplicationError) as error:
        services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)
    assert error.value.field == "code"
    day = timezone.localtime(event.starts_at).date().isoformat()
    assert error.value.message == f"Check-in opens on the event's first day, {day}."
    assert Registration.objects.get(pk=registration.pk).checked_in_at is None
    assert outcomes.event_report(event=event).attended == 0


def test_check_in_from_the_start_of_the_first_day_to_the_end_of_the_last(make_event, organiser_member):
    event, registration = two_day_event(make_event, organiser_member)
    first = timezone.localtime(event.starts_at, SHANGHAI).date()
    midnight = datetime.datetime.combine(first, datetime.time(0), tzinfo=SHANGHAI)
    with at(midnight - datetime.timedelta(seconds=1)), pytest.raises(ApplicationError, match="first day"):
        services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)
    with at(midnight):  # before the doors open at 9:00, but on the day: the queue at the desk starts early
        checked = services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)
    assert checked.checked_in_at == midnight
    assert outcomes.event_report(event=event).attended == 1


def test_check_in_on_the_last_day_and_not_after(make_event, organiser_member):
    event, registration = two_day_event(make_event, organiser_member)
    last = timezone.localtime(event.ends_at, SHANGHAI).date()
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(0), tzinfo=SHANGHAI)
    with at(end), pytest.raises(ApplicationError, match="last day"):
        services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)
    with at(end - datetime.timedelta(seconds=1)):  # 23:59:59 on the last day, after the event ended at 17:00
        services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)
    assert Registration.objects.get(pk=registration.pk).checked_in_at is not None


def test_the_day_is_the_projects_time_zone_not_utc(make_event, organiser_member):
    """An event at 07:00 Shanghai time starts on the previous day in UTC; check-in opens at Shanghai midnight."""
    event = make_event(capacity=5)
    registration = confirmed(event)
    day = timezone.localdate() + datetime.timedelta(days=10)
    starts = datetime.datetime.combine(day, datetime.time(7), tzinfo=SHANGHAI)
    event = shift(event, starts - event.starts_at)
    late_evening_utc_before = datetime.datetime.combine(day, datetime.time(0), tzinfo=SHANGHAI) - datetime.timedelta(
        minutes=30
    )  # 23:30 the evening before in Shanghai, 15:30 UTC
    with at(late_evening_utc_before), pytest.raises(ApplicationError):
        services.registration_check_in(event=event, code=registration.check_in_code, by=organiser_member)


def test_the_registrations_page_shows_the_refusal(client, make_event, organiser_member):
    from django.urls import reverse

    event = make_event(capacity=5)
    registration = confirmed(event)
    client.force_login(organiser_member)
    target = reverse("events:registrations", kwargs={"pk": event.pk})
    response = client.post(target, {"code": registration.check_in_code})
    assert response.status_code == 400 and "Check-in opens on the event&#x27;s first day" in response.content.decode()
    event = run_today(event)
    assert client.post(target, {"code": registration.check_in_code}).status_code == 302
