"""Docking events' 1:1 meetings (services): slots and tables, whom to meet, requests, booking without double-booking.

Requests and acceptances lock the event row (as registrations and cancellations do: the event row first, always),
so that two of them at the same event never race; the seat, table and pair constraints hold the line in the
database as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import is_member
from core.exceptions import ApplicationError, PermissionDenied
from marketplace.models import Need
from matching.explaining import ensure_explained
from matching.models import Match
from matching.selectors import released_q

from .models import Event, Meeting, MeetingSeat, MeetingSlot, MeetingSuggestions, MeetingTable, Registration
from .services import is_organizer


@transaction.atomic
def meeting_grid_define(*, event: Event, by: User, slots: list[tuple[datetime, datetime]], tables: list[str]) -> None:
    """The organiser defines the meeting slots (times) and tables of a docking event (adding to what exists)."""
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser defines the meeting grid."))
    if event.kind != Event.Kind.DOCKING:
        raise ApplicationError(_("Only docking events have 1:1 meetings."), field="event")
    for starts_at, ends_at in slots:
        if ends_at <= starts_at or starts_at < event.starts_at or ends_at > event.ends_at:
            raise ApplicationError(_("Each slot lies within the event and ends after it starts."), field="slots")
        MeetingSlot.objects.get_or_create(event=event, starts_at=starts_at, defaults={"ends_at": ends_at})
    for name in tables:
        if name.strip():
            MeetingTable.objects.get_or_create(event=event, name=name.strip())


def _acting_registration(user: User, registration: Registration) -> None:
    if not is_member(user, registration.organization_id):
        raise PermissionDenied(_("You act only for your own organisation's participants."))


@dataclass(frozen=True)
class Suggestion:
    registration: Registration
    score: float
    reasons: list[dict[str, Any]]


def whom_to_meet(*, registration: Registration, limit: int = 20) -> list[Suggestion]:
    """The other confirmed participants, ranked by the best matching score between the two organisations'
    achievements and needs (either direction), with that match's reasons.

    Which matches count is the event's choice (``Event.meeting_suggestions``): by default those the platform
    released to both sides (``matching.selectors.released_q``: approved by staff or by the release rule), so the
    page shows the participants no more than their match pages do; or, when the organiser chooses, every suggestion
    among the registered participants, reviewed or not. Either way, matches rejected, declined or withdrawn do not
    count, nor open ones of a need past its deadline."""
    event = registration.event
    mine = registration.organization_id
    others = list(
        event.registrations.filter(status=Registration.Status.CONFIRMED)
        .exclude(organization_id=mine)
        .select_related("organization")
    )
    organizations = {r.organization_id for r in others}
    matches = Match.objects.exclude(
        status__in=[Match.Status.REJECTED, Match.Status.DECLINED, Match.Status.WITHDRAWN]
    ).exclude(
        # Open matches of a need past its deadline are as good as withdrawn, before the daily task withdraws them.
        Q(status__in=Match.OPEN) & Need.expired_q(prefix="need__")
    ).filter(
        Q(achievement__organization_id=mine, need__organization_id__in=organizations)
        | Q(need__organization_id=mine, achievement__organization_id__in=organizations)
    ).select_related("achievement", "need")  # fmt: skip
    if event.meeting_suggestions != MeetingSuggestions.ALL:
        matches = matches.filter(released_q())
    best: dict[int, Match] = {}
    for match in matches:
        other = (
            match.need.organization_id
            if match.achievement.organization_id == mine
            else match.achievement.organization_id
        )
        if other not in best or match.score > best[other].score:
            best[other] = match
    ensure_explained(best.values())
    ranked = [
        Suggestion(r, best[r.organization_id].score if r.organization_id in best else 0.0,
                   (best[r.organization_id].reasons or []) if r.organization_id in best else [])
        for r in others
    ]  # fmt: skip
    ranked.sort(key=lambda s: (-s.score, s.registration.pk))
    return ranked[:limit]


@transaction.atomic
def meeting_request(*, requester: Registration, invitee: Registration, by: User, note: str = "") -> Meeting:
    """The requester asks the invitee for a meeting. Requests, acceptances and cancellations at one event wait for
    each other on the event row, so the two are still confirmed and have no open request between them (whoever
    asked) when the request is written; the pair constraint holds the line in the database as well."""
    _acting_registration(by, requester)
    if requester.event_id != invitee.event_id:
        raise ApplicationError(_("Both participants must be at the same event."), field="invitee")
    if requester.pk == invitee.pk or requester.organization_id == invitee.organization_id:
        raise ApplicationError(_("Meetings are between two organisations."), field="invitee")
    event = Event.objects.select_for_update().get(pk=requester.event_id)
    statuses = dict(Registration.objects.filter(pk__in=[requester.pk, invitee.pk]).values_list("pk", "status"))
    if any(statuses.get(r.pk) != Registration.Status.CONFIRMED for r in (requester, invitee)):
        raise ApplicationError(_("Only confirmed participants meet."), field="invitee")
    open_request = Meeting.objects.filter(
        Q(requester=requester, invitee=invitee) | Q(requester=invitee, invitee=requester),
        status__in=[Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED],
    )
    if open_request.exists():
        raise ApplicationError(_("These two already have a meeting or a request."), field="invitee")
    try:
        with transaction.atomic():
            return Meeting.objects.create(event=event, requester=requester, invitee=invitee, note=note)
    except IntegrityError as error:  # meeting_one_open_per_pair
        raise ApplicationError(_("These two already have a meeting or a request."), field="invitee") from error


def _free_place(event: Event, meeting: Meeting, slot: MeetingSlot | None) -> tuple[MeetingSlot, MeetingTable]:
    """The earliest slot (or the given one) where both participants and a table are free."""
    people = [meeting.requester_id, meeting.invitee_id]
    busy_slots = set(MeetingSeat.objects.filter(registration_id__in=people).values_list("slot_id", flat=True))
    slots = [slot] if slot else list(event.meeting_slots.order_by("starts_at"))
    tables = list(event.meeting_tables.order_by("name"))
    for candidate in slots:
        if candidate.pk in busy_slots:
            continue
        taken = set(
            Meeting.objects.filter(slot=candidate, status=Meeting.Status.ACCEPTED).values_list("table_id", flat=True)
        )
        for table in tables:
            if table.pk not in taken:
                return candidate, table
    if slot:
        raise ApplicationError(_("That slot is taken for one of you, or has no free table."), field="slot")
    raise ApplicationError(_("No slot has both of you and a table free; ask the organiser."), field="slot")


@transaction.atomic
def meeting_accept(*, meeting: Meeting, by: User, slot: MeetingSlot | None = None) -> Meeting:
    """The invitee accepts; the meeting is placed in the earliest slot (or the chosen one) where both people and a
    table are free. Concurrent acceptances at the same event wait for each other on the event row."""
    Event.objects.select_for_update().get(pk=meeting.event_id)
    meeting = Meeting.objects.select_for_update().select_related("invitee", "requester").get(pk=meeting.pk)
    _acting_registration(by, meeting.invitee)
    if meeting.status != Meeting.Status.REQUESTED:
        raise ApplicationError(
            _("This meeting is %(status)s.") % {"status": meeting.get_status_display()}, field="status"
        )
    if any(r.status != Registration.Status.CONFIRMED for r in (meeting.requester, meeting.invitee)):
        # One of the two cancelled since the request (cancelling waits on the same event row).
        raise ApplicationError(_("Only confirmed participants meet."), field="status")
    return _place(meeting, slot)


def _place(meeting: Meeting, slot: MeetingSlot | None, table: MeetingTable | None = None) -> Meeting:
    if table is None:
        slot, table = _free_place(meeting.event, meeting, slot)
    try:
        with transaction.atomic():
            MeetingSeat.objects.create(meeting=meeting, registration_id=meeting.requester_id, slot=slot)
            MeetingSeat.objects.create(meeting=meeting, registration_id=meeting.invitee_id, slot=slot)
            meeting.status, meeting.slot, meeting.table = Meeting.Status.ACCEPTED, slot, table
            meeting.responded_at = meeting.responded_at or timezone.now()
            meeting.save()
    except IntegrityError as error:
        raise ApplicationError(_("That place was just taken; try another slot."), field="slot") from error
    return meeting


@transaction.atomic
def meeting_decline(*, meeting: Meeting, by: User) -> Meeting:
    meeting = Meeting.objects.select_for_update().select_related("invitee").get(pk=meeting.pk)
    _acting_registration(by, meeting.invitee)
    if meeting.status != Meeting.Status.REQUESTED:
        raise ApplicationError(
            _("This meeting is %(status)s.") % {"status": meeting.get_status_display()}, field="status"
        )
    meeting.status, meeting.responded_at = Meeting.Status.DECLINED, timezone.now()
    meeting.save(update_fields=["status", "responded_at"])
    return meeting


@transaction.atomic
def meeting_move(*, meeting: Meeting, by: User, slot: MeetingSlot, table: MeetingTable) -> Meeting:
    """The organiser moves an accepted meeting to another slot and table, if both people and the table are free."""
    Event.objects.select_for_update().get(pk=meeting.event_id)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not is_organizer(by, meeting.event):
        raise PermissionDenied(_("Only the organiser moves meetings."))
    if meeting.status != Meeting.Status.ACCEPTED:
        raise ApplicationError(_("Only accepted meetings are moved."), field="status")
    if slot.event_id != meeting.event_id or table.event_id != meeting.event_id:
        raise ApplicationError(_("The slot and table belong to this event."), field="slot")
    if Meeting.objects.filter(slot=slot, table=table, status=Meeting.Status.ACCEPTED).exclude(pk=meeting.pk).exists():
        raise ApplicationError(_("That table is taken in that slot."), field="table")
    busy = MeetingSeat.objects.filter(registration_id__in=[meeting.requester_id, meeting.invitee_id], slot=slot)
    if busy.exclude(meeting=meeting).exists():
        raise ApplicationError(_("One of the two already meets someone in that slot."), field="slot")
    meeting.seats.all().delete()
    return _place(meeting, slot, table)


def agenda(*, registration: Registration) -> list[Meeting]:
    """A participant's accepted meetings, in time order."""
    return list(
        Meeting.objects.filter(Q(requester=registration) | Q(invitee=registration), status=Meeting.Status.ACCEPTED)
        .select_related("slot", "table", "requester__organization", "invitee__organization")
        .order_by("slot__starts_at")
    )
