"""Outcomes of events (services): agreements signed there, and the event report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import User
from core.exceptions import ApplicationError, PermissionDenied
from marketplace.models import Achievement, Need
from matching.models import Agreement
from matching.services import agreement_create

from .models import Event, EventAgreement, Meeting, Registration
from .selectors import participant_postings
from .services import event_days, is_organizer


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
    """The organiser records an agreement signed at the event, linking the listings (and so the organisations).

    The listings are the participants' (published postings of organisations with a confirmed place). The signing
    date may be one of the event's days even when those are after today, never later than its last day."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser records the event's agreements."))
    achievements, needs = participant_postings(event)
    if not achievements.filter(pk=achievement.pk).exists():
        raise ApplicationError(
            _("%(title)s is not a published achievement of a participant of this event.")
            % {"title": achievement.title},
            field="achievement",
        )
    if need is not None and not needs.filter(pk=need.pk).exists():
        raise ApplicationError(
            _("%(title)s is not a published need of a participant of this event.") % {"title": need.title},
            field="need",
        )
    first, last = event_days(event)
    if signed_on > last:
        raise ApplicationError(
            _("An agreement signed at this event is dated %(last)s at the latest, its last day.")
            % {"last": last.isoformat()},
            field="signed_on",
        )
    agreement = agreement_create(
        achievement=achievement, need=need, mode=mode, amount_wan=amount_wan, signed_on=signed_on, note=note, by=by,
        signed_until=last if signed_on >= first else None,
    )  # fmt: skip
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
