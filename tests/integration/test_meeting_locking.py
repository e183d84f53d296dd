"""1:1 meetings under concurrent requests and acceptances, on PostgreSQL with real threads and connections: nobody
is in two meetings in one slot, no table holds two meetings in one slot, and two participants have at most one open
request or meeting between them, whichever of them asks and however many times at once.

Run with DATABASE_URL pointing at PostgreSQL (tests/integration/conftest.py: skipped without it, failed in CI).
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import translation

from core.exceptions import ApplicationError
from events import meetings, services
from events.models import Event, Meeting, MeetingSeat, Registration
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def _participants(event: Event, count: int) -> list[tuple[object, Registration]]:
    people = []
    for n in range(count):
        member = MembershipFactory().user
        registration = services.registration_create(
            event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
            person_email=f"m{n}@example.cn", by=member,
        )  # fmt: skip
        people.append((member, registration))
    return people


def _grid(event: Event, organiser_member, slots: int, tables: list[str]) -> None:  # type: ignore[no-untyped-def]
    start = event.starts_at
    meetings.meeting_grid_define(
        event=event, by=organiser_member, tables=tables,
        slots=[(start + datetime.timedelta(minutes=20 * i), start + datetime.timedelta(minutes=20 * (i + 1)))
               for i in range(slots)],
    )  # fmt: skip


def _at_once(calls: list, workers: int) -> list[str]:  # type: ignore[type-arg]
    """Run the calls together (a barrier releases them at once); each result is "ok" or the error's field."""
    start = threading.Barrier(len(calls))

    def run(call) -> str:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            call()
            return "ok"
        except ApplicationError as error:
            return f"refused:{error.field}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def _assert_nobody_double_booked(event: Event) -> None:
    accepted = Meeting.objects.filter(event=event, status=Meeting.Status.ACCEPTED)
    places = Counter(accepted.values_list("slot_id", "table_id"))
    assert all(n == 1 for n in places.values()), "a table holds two meetings in one slot"
    people = Counter()
    for requester, invitee, slot in accepted.values_list("requester_id", "invitee_id", "slot_id"):
        people[(requester, slot)] += 1
        people[(invitee, slot)] += 1
    assert all(n == 1 for n in people.values()), "a participant is in two meetings in one slot"
    seats = set(MeetingSeat.objects.filter(meeting__event=event).values_list("registration_id", "slot_id"))
    assert seats == set(people), "the seats are the accepted meetings' participants and slots"


@pytest.mark.usefixtures("services")  # PostgreSQL (tests/integration/conftest.py)
def test_the_same_two_ask_each_other_at_once_and_get_one_request(make_event, organiser_member):  # type: ignore[no-untyped-def]
    event = make_event(capacity=10)
    (a, ra), (b, rb) = _participants(event, 2)
    calls = [
        (lambda: meetings.meeting_request(requester=ra, invitee=rb, by=a))
        if n % 2 == 0
        else (lambda: meetings.meeting_request(requester=rb, invitee=ra, by=b))
        for n in range(8)
    ]
    results = _at_once(calls, workers=8)
    assert results.count("ok") == 1
    assert results.count("refused:invitee") == 7  # a clear answer, not a database error
    pair = Q(requester=ra, invitee=rb) | Q(requester=rb, invitee=ra)
    assert Meeting.objects.filter(pair, event=event).count() == 1

    # Declined, the two may ask again (the rule is about open requests only).
    meeting = Meeting.objects.get(pair, event=event)
    invitee = a if meeting.invitee_id == ra.pk else b
    meetings.meeting_decline(meeting=meeting, by=invitee)
    again = meetings.meeting_request(requester=ra, invitee=rb, by=a)
    assert again.status == Meeting.Status.REQUESTED


@pytest.mark.usefixtures("services")
def test_acceptances_at_once_fill_the_last_places_and_never_double_book(make_event, organiser_member):  # type: ignore[no-untyped-def]
    event = make_event(capacity=40)
    _grid(event, organiser_member, slots=2, tables=["A1", "A2"])  # four places
    people = _participants(event, 25)
    (hub_member, hub), others = people[0], people[1:]
    # Twelve separate pairs compete for the four places; twelve people ask the same person (the hub), who accepts
    # them all at once: the hub is in at most one meeting per slot.
    pairs = [meetings.meeting_request(requester=others[2 * i][1], invitee=others[2 * i + 1][1], by=others[2 * i][0])
             for i in range(6)]  # fmt: skip
    hub_requests = [meetings.meeting_request(requester=r, invitee=hub, by=m) for m, r in others[12:24]]
    accepts = [
        (lambda meeting=meeting, by=others[2 * i + 1][0]: meetings.meeting_accept(meeting=meeting, by=by))
        for i, meeting in enumerate(pairs)
    ] + [(lambda meeting=meeting: meetings.meeting_accept(meeting=meeting, by=hub_member)) for meeting in hub_requests]
    results = _at_once(accepts, workers=18)
    assert results.count("ok") == 4  # every place given, none twice
    assert results.count("refused:slot") == len(accepts) - 4
    _assert_nobody_double_booked(event)
    hub_meetings = Meeting.objects.filter(invitee=hub, status=Meeting.Status.ACCEPTED)
    assert hub_meetings.count() <= 2  # two slots
    assert Meeting.objects.filter(event=event, status=Meeting.Status.REQUESTED).count() == len(accepts) - 4


@pytest.mark.django_db
def test_a_request_is_not_accepted_once_one_of_the_two_cancelled(make_event, organiser_member):  # type: ignore[no-untyped-def]
    translation.activate("en")  # the messages below are read in English, whatever an earlier test left active
    event = make_event(capacity=10)
    _grid(event, organiser_member, slots=2, tables=["A1"])
    (a, ra), (b, rb), (c, rc) = _participants(event, 3)
    first = meetings.meeting_request(requester=ra, invitee=rb, by=a)
    second = meetings.meeting_request(requester=rc, invitee=rb, by=c)
    services.registration_cancel(registration=ra, by=a)  # cancels A's requests with it
    with pytest.raises(ApplicationError, match="This meeting is cancelled") as refused:
        meetings.meeting_accept(meeting=first, by=b)
    assert refused.value.field == "status"
    assert not MeetingSeat.objects.filter(registration=ra).exists()
    with pytest.raises(ApplicationError, match="Only confirmed participants meet"):
        meetings.meeting_request(requester=rb, invitee=ra, by=b)  # the status is read again under the lock
    assert meetings.meeting_accept(meeting=second, by=b).status == Meeting.Status.ACCEPTED
