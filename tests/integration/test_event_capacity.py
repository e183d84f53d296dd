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
