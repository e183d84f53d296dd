"""Capacity under concurrent requests, on PostgreSQL with real threads and connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from events import services
from events.models import Event, Registration
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def test_200_simultaneous_registrations_for_50_places(services_ready, make_event):  # type: ignore[no-untyped-def]
    event = make_event(capacity=50)
    members = [MembershipFactory().user for _ in range(20)]
    start = threading.Barrier(20)

    def register(n: int) -> str:
        member = members[n % len(members)]
        if n < len(members):
            start.wait()  # the first wave of threads starts together
        try:
            registration = services.registration_create(
                event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
                person_email=f"p{n}@example.cn", by=member,
            )  # fmt: skip
            return registration.status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(register, range(200)))
    assert statuses.count("confirmed") == 50
    assert statuses.count("waiting") == 150
    event.refresh_from_db()
    assert event.confirmed_count == 50
    assert Registration.objects.filter(event=event, status="confirmed").count() == 50

    # Ten cancellations at once promote the ten earliest on the waiting list, in order.
    waiting = list(Registration.objects.filter(event=event, status="waiting").order_by("created_at", "pk"))
    confirmed = list(Registration.objects.filter(event=event, status="confirmed").select_related("organization")[:10])

    def cancel(registration: Registration) -> None:
        try:
            member = registration.organization.memberships.first().user
            services.registration_cancel(registration=registration, by=member)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(cancel, confirmed))
    promoted = set(Registration.objects.filter(event=event, promoted_at__isnull=False).values_list("pk", flat=True))
    assert promoted == {r.pk for r in waiting[:10]}
    assert Event.objects.get(pk=event.pk).confirmed_count == 50


def _meeting_setup(make_event, organiser_member, people: int, tables: list[str]):  # type: ignore[no-untyped-def]
    import datetime

    from events import meetings

    event = make_event(capacity=100)
    start = event.starts_at
    meetings.meeting_grid_define(event=event, by=organiser_member, tables=tables,
                                 slots=[(start, start + datetime.timedelta(minutes=20))])  # fmt: skip
    registered = []
    for n in range(people):
        member = MembershipFactory().user
        registered.append((member, services.registration_create(
            event=event, organization=member.organizations.get(), person_name=f"人{n}",
            person_email=f"m{n}@example.cn", by=member)))  # fmt: skip
    return event, registered


def _accept_all(requests):  # type: ignore[no-untyped-def]
    from core.exceptions import ApplicationError
    from events import meetings

    start = threading.Barrier(len(requests))

    def accept(item) -> str:  # type: ignore[no-untyped-def]
        meeting, user = item
        start.wait()
        try:
            meetings.meeting_accept(meeting=meeting, by=user)
            return "booked"
        except ApplicationError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(accept, requests))


def test_simultaneous_acceptances_for_one_table_give_one_booking(services_ready, make_event, organiser_member):  # type: ignore[no-untyped-def]
    from events import meetings
    from events.models import Meeting, MeetingSeat

    event, people = _meeting_setup(make_event, organiser_member, people=12, tables=["A1"])
    requests = [
        (meetings.meeting_request(requester=people[i][1], invitee=people[i + 1][1], by=people[i][0]), people[i + 1][0])
        for i in range(0, 12, 2)
    ]  # six different pairs, one slot, one table
    results = _accept_all(requests)
    assert results.count("booked") == 1
    assert Meeting.objects.filter(event=event, status="accepted").count() == 1
    assert MeetingSeat.objects.count() == 2


def test_simultaneous_acceptances_by_one_person_give_one_booking(services_ready, make_event, organiser_member):  # type: ignore[no-untyped-def]
    from events import meetings
    from events.models import Meeting

    event, people = _meeting_setup(make_event, organiser_member, people=6, tables=["A1", "A2", "A3", "A4", "A5"])
    busy_member, busy = people[0]
    requests = [
        (meetings.meeting_request(requester=people[i][1], invitee=busy, by=people[i][0]), busy_member)
        for i in range(1, 6)
    ]  # five people ask the same person for the only slot; five tables are free
    results = _accept_all(requests)
    assert results.count("booked") == 1
    assert Meeting.objects.filter(event=event, status="accepted").count() == 1
