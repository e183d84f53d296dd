"""Capacity raised while people register, on PostgreSQL with real threads and connections: the event row is locked
first, then the waiting registrations, so nobody is overbooked and nobody skips the queue.

Run with DATABASE_URL pointing at PostgreSQL (tests/integration/conftest.py: skipped without it, failed in CI).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from events import services
from events.models import Event, Registration
from tests.factories import MembershipFactory

pytestmark = pytest.mark.integration


def _register(event: Event, member, n: int) -> str:  # type: ignore[no-untyped-def]
    try:
        registration = services.registration_create(
            event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
            person_email=f"p{n}@example.cn", by=member,
        )  # fmt: skip
        return registration.status
    finally:
        connection.close()


def _queue(event: Event) -> list[str]:
    return list(Registration.objects.filter(event=event).order_by("created_at", "pk").values_list("status", flat=True))


@pytest.mark.usefixtures("services")  # PostgreSQL (tests/integration/conftest.py)
def test_capacity_raises_and_registrations_at_once_never_overbook_nor_skip_the_queue(
    make_event, organiser_member
):  # type: ignore[no-untyped-def]
    event = make_event(capacity=5)
    members = [MembershipFactory().user for _ in range(12)]
    for n in range(15):  # 5 confirmed, 10 waiting
        _register(event, members[n % len(members)], n)
    assert _queue(event) == ["confirmed"] * 5 + ["waiting"] * 10
    start = threading.Barrier(13)

    def register(n: int) -> str:
        if n < 12:
            start.wait()
        return _register(event, members[n % len(members)], 100 + n)

    def raise_capacity(capacity: int) -> int:
        start.wait()
        try:
            return services.event_update(event=event, by=organiser_member, capacity=capacity).capacity
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=13) as pool:
        raised = pool.submit(raise_capacity, 12)
        results = list(pool.map(register, range(30)))
        assert raised.result() == 12
    assert len(results) == 30

    event.refresh_from_db()
    queue = _queue(event)
    confirmed = queue.count("confirmed")
    assert confirmed == event.confirmed_count == event.capacity == 12  # never overbooked, every place given
    # First come, first served: the confirmed places are exactly the earliest registrations.
    assert queue == ["confirmed"] * 12 + ["waiting"] * (len(queue) - 12)

    # A second raise and cancellations at once still serve the queue in order.
    confirmed_rows = list(
        Registration.objects.filter(event=event, status="confirmed").select_related("organization")[:4]
    )
    start = threading.Barrier(5)

    def cancel(registration: Registration) -> None:
        start.wait()
        try:
            services.registration_cancel(registration=registration, by=registration.registered_by)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=5) as pool:
        raised = pool.submit(raise_capacity, 16)
        list(pool.map(cancel, confirmed_rows))
        raised.result()
    event.refresh_from_db()
    active = [s for s in _queue(event) if s != "cancelled"]
    assert event.confirmed_count == active.count("confirmed") == 16
    assert active == ["confirmed"] * 16 + ["waiting"] * (len(active) - 16)
