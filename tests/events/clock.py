"""Moving an event in time for tests: check-in opens on the event's day only, and the tests' events start in ten
days. ``run_today`` shifts an event (its registration window, meeting slots and presentation slots with it) so
that it started an hour ago, without touching the clock."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.utils import timezone

from events.models import Event, MeetingSlot, PresentationApplication


def shift(event: Event, delta: datetime.timedelta) -> Event:
    Event.objects.filter(pk=event.pk).update(
        starts_at=F("starts_at") + delta, ends_at=F("ends_at") + delta,
        registration_opens_at=F("registration_opens_at") + delta,
        registration_closes_at=F("registration_closes_at") + delta,
    )  # fmt: skip
    MeetingSlot.objects.filter(event=event).update(starts_at=F("starts_at") + delta, ends_at=F("ends_at") + delta)
    PresentationApplication.objects.filter(event=event).update(
        slot_starts_at=F("slot_starts_at") + delta, slot_ends_at=F("slot_ends_at") + delta
    )
    event.refresh_from_db()
    return event


def run_today(event: Event) -> Event:
    """The event, shifted to have started an hour ago (its length kept)."""
    return shift(event, timezone.now() - datetime.timedelta(hours=1) - event.starts_at)
