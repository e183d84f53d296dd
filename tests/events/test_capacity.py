"""Capacity changes: raising it gives the new places to the waiting list in order (each told by e-mail), lowering
it below the confirmed places is refused, and a newcomer never takes a place ahead of those waiting."""

from __future__ import annotations

import pytest
from django.core import mail

from core.exceptions import ApplicationError
from events import services
from events.models import Event, Registration
from tests.events.people import register

pytestmark = pytest.mark.django_db


def statuses(event):  # type: ignore[no-untyped-def]
    return list(Registration.objects.filter(event=event).order_by("created_at", "pk").values_list("status", flat=True))


def test_raising_the_capacity_promotes_the_waiting_list_in_order(make_event, organiser_member,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    event = make_event(capacity=2)
    regs = [register(event, n) for n in range(6)]
    assert statuses(event) == ["confirmed"] * 2 + ["waiting"] * 4
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event = services.event_update(event=event, by=organiser_member, capacity=4)
    assert statuses(event) == ["confirmed"] * 4 + ["waiting"] * 2
    assert (event.capacity, event.confirmed_count, event.places_left) == (4, 4, 0)
    promoted = Registration.objects.filter(promoted_at__isnull=False).order_by("created_at", "pk")
    assert [r.pk for r in promoted] == [regs[2].pk, regs[3].pk]
    assert sorted(m.to[0] for m in mail.outbox) == ["p2@example.cn", "p3@example.cn"]
    assert all("A place is yours" in m.subject for m in mail.outbox)


def test_raising_beyond_the_waiting_list_leaves_places_open(make_event, organiser_member):
    event = make_event(capacity=1)
    register(event, 1), register(event, 2)
    event = services.event_update(event=event, by=organiser_member, capacity=10)
    assert statuses(event) == ["confirmed", "confirmed"]
    assert (event.confirmed_count, event.places_left) == (2, 8)
    assert register(event, 3).status == "confirmed"


def test_the_queue_order_is_by_registration_time_not_by_id(make_event, organiser_member):
    import datetime

    event = make_event(capacity=1)
    register(event, 0)
    late, early = register(event, 1), register(event, 2)
    # The later row registered first (as a clock or an import may leave them): the queue follows created_at.
    Registration.objects.filter(pk=early.pk).update(created_at=late.created_at - datetime.timedelta(seconds=5))
    services.event_update(event=event, by=organiser_member, capacity=2)
    assert Registration.objects.get(pk=early.pk).status == "confirmed"
    assert Registration.objects.get(pk=late.pk).status == "waiting"


def test_lowering_below_the_confirmed_places_is_refused_naming_the_count(make_event, organiser_member):
    event = make_event(capacity=5)
    for n in range(3):
        register(event, n)
    with pytest.raises(ApplicationError) as error:
        services.event_update(event=event, by=organiser_member, capacity=2)
    assert error.value.field == "capacity"
    assert "3 confirmed places" in error.value.message
    assert Event.objects.get(pk=event.pk).capacity == 5
    event = services.event_update(event=event, by=organiser_member, capacity=3)  # down to the confirmed: fine
    assert (event.capacity, event.places_left) == (3, 0)
    assert register(event, 9).status == "waiting"


def test_a_newcomer_never_takes_a_place_ahead_of_those_waiting(make_event, member):
    event = make_event(capacity=1)
    register(event, 0)
    first_waiting, second_waiting = register(event, 1), register(event, 2)
    # Places appear without the waiting list being served (as the admin's capacity field once did).
    Event.objects.filter(pk=event.pk).update(capacity=3)
    newcomer = register(event, 3)
    assert Registration.objects.get(pk=first_waiting.pk).status == "confirmed"
    assert Registration.objects.get(pk=second_waiting.pk).status == "confirmed"
    assert newcomer.status == "waiting"
    event.refresh_from_db()
    assert event.confirmed_count == 3
    Event.objects.filter(pk=event.pk).update(capacity=5)
    assert register(event, 4).status == "confirmed"  # the waiting newcomer goes first, one place is left
    assert Registration.objects.get(pk=newcomer.pk).status == "confirmed"


def test_a_cancellation_still_promotes_the_first_waiting(make_event, member):
    event = make_event(capacity=1)
    first = register(event, 0)
    waiting = register(event, 1)
    services.registration_cancel(registration=first, by=first.registered_by)
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"
    assert Event.objects.get(pk=event.pk).confirmed_count == 1
