"""Outcomes of events (services): agreements signed there, and the event report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import PermissionDenied
from marketplace.models import Achievement, Need
from matching.models import Agreement
from matching.services import agreement_create

from .models import Event, EventAgreement, Meeting, Registration
from .services import is_organizer


@transaction.atomic
def event_agreement_record(
    *,
    event: Event,
    by: User,
    achievement: Achievement,
    need: Need | None,
    mode: str,
    signed_on: date,
    amount_wan: Decimal | None = None,
    note: str = "",
) -> Agreement:
    """The organiser records an agreement signed at the event, linking the listings (and so the organisations)."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser records the event's agreements."))
    agreement = agreement_create(
        achievement=achievement, need=need, mode=mode, amount_wan=amount_wan, signed_on=signed_on, note=note, by=by
    )
    EventAgreement.objects.create(event=event, agreement=agreement)
    return agreement


@dataclass(frozen=True)
class EventReport:
    registrations: int
    confirmed: int
    waiting: int
    cancelled: int
    attended: int
    meetings_held: int
    agreements: int
    agreements_total_wan: Decimal


def event_report(*, event: Event) -> EventReport:
    registrations = event.registrations.all()
    agreements = Agreement.objects.filter(event_outcome__event=event)
    return EventReport(
        registrations=registrations.count(),
        confirmed=registrations.filter(status=Registration.Status.CONFIRMED).count(),
        waiting=registrations.filter(status=Registration.Status.WAITING).count(),
        cancelled=registrations.filter(status=Registration.Status.CANCELLED).count(),
        attended=registrations.filter(checked_in_at__isnull=False).count(),
        meetings_held=event.meetings.filter(status=Meeting.Status.ACCEPTED).count(),
        agreements=agreements.count(),
        agreements_total_wan=agreements.aggregate(total=Sum("amount_wan"))["total"] or Decimal("0"),
    )
