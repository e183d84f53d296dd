"""Participants for events' tests: ``register`` signs up the n-th person of a new organisation."""

from __future__ import annotations

from events import services
from events.models import Event, Registration
from tests.factories import MembershipFactory


def register(event: Event, n: int) -> Registration:
    member = MembershipFactory().user
    return services.registration_create(
        event=event, organization=member.organizations.get(), person_name=f"参会者{n}",
        person_email=f"p{n}@example.cn", by=member,
    )  # fmt: skip
