"""Docking events' 1:1 meetings (services): slots and tables, whom to meet, requests, booking without double-booking.

Requests and acceptances lock the event row (as registrations and cancellations do: the event row first, always),
so that two of them at the same event never race; the seat, table and pair constraints hold the line in the
database as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.selectors import is_member
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import message
from marketplace.models import Need
from matching.explaining import ensure_explained
from matching.models import Match
from matching.selectors import released_q

from .models import (
    Event,
    Meeting,
    MeetingSeat,
    MeetingSlot,
    MeetingSuggestions,
    MeetingTable,
    Registration,
    RequestMode,
    SchedulingMode,
)
from .scheduling.service import schedule_repair_offer
from .services import is_organizer

#: How long before the request deadline (else the event's start) participants who booked nothing are reminded.
REMIND_BEFORE = timedelta(hours=48)


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
    _check_deadline(event)
    open_request = Meeting.objects.filter(
        Q(requester=requester, invitee=invitee) | Q(requester=invitee, invitee=requester),
        status__in=[Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED],
    )
    if open_request.exists():
        raise ApplicationError(_("These two already have a meeting or a request."), field="invitee")
    if event.max_open_requests is not None:
        waiting = Meeting.objects.filter(requester=requester, status=Meeting.Status.REQUESTED).count()
        if waiting >= event.max_open_requests:
            raise ApplicationError(
                _("%(name)s already has %(count)d unanswered requests, the most this event allows per participant; "
                  "wait for answers first.") % {"name": requester.person_name, "count": event.max_open_requests},
                field="invitee",
            )  # fmt: skip
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(event=event, requester=requester, invitee=invitee, note=note)
    except IntegrityError as error:  # meeting_one_open_per_pair
        raise ApplicationError(_("These two already have a meeting or a request."), field="invitee") from error
    if event.request_mode == RequestMode.AUTOMATIC:
        meeting = Meeting.objects.select_related("event", "requester", "invitee").get(pk=meeting.pk)
        if event.scheduling_mode == SchedulingMode.ORGANISER:
            return _accept_unplaced(event, meeting)
        try:
            with transaction.atomic():
                return _place(meeting, None)
        except ApplicationError:  # no common free place: the invitee answers it as a request
            meeting.refresh_from_db()
    return meeting


def _check_deadline(event: Event) -> None:
    if event.request_deadline is not None and timezone.now() >= event.request_deadline:
        raise ApplicationError(
            _("Meeting requests closed at %(time)s.")
            % {"time": f"{timezone.localtime(event.request_deadline):%Y-%m-%d %H:%M}"},
            field="event",
        )


def _accept_unplaced(event: Event, meeting: Meeting) -> Meeting:
    """Organiser mode: the meeting is accepted and waits for the organiser's schedule (no slot, no table yet); a
    repair plan is offered when the agenda is already out."""
    meeting.status, meeting.responded_at = Meeting.Status.ACCEPTED, meeting.responded_at or timezone.now()
    meeting.save(update_fields=["status", "responded_at"])
    schedule_repair_offer(event)
    return meeting


def meeting_limit(event: Event, registration: Registration) -> int | None:
    """The most meetings a participant may have: their own limit, else the event's (None: no limit)."""
    return registration.max_meetings if registration.max_meetings is not None else event.max_meetings_per_participant


def _free_place(event: Event, meeting: Meeting, slot: MeetingSlot | None) -> tuple[MeetingSlot, MeetingTable]:
    """The earliest slot (or the given one) where both participants and a table are free, within each one's
    breaks (unavailable slots), most meetings and run of meetings in a row."""
    people = [meeting.requester, meeting.invitee]
    all_slots = list(event.meeting_slots.order_by("starts_at"))
    order = {candidate.pk: n for n, candidate in enumerate(all_slots)}
    busy: dict[int, set[int]] = {person.pk: set() for person in people}
    for person_id, slot_id in MeetingSeat.objects.filter(registration__in=people).values_list(
        "registration_id", "slot_id"
    ):
        busy[person_id].add(slot_id)
    off = set(
        Registration.unavailable_slots.through.objects.filter(registration__in=people).values_list(
            "meetingslot_id", flat=True
        )
    )
    for person in people:
        limit = meeting_limit(event, person)
        if limit is not None and len(busy[person.pk]) >= limit:
            raise ApplicationError(
                _("%(name)s already has the most meetings allowed (%(count)d).")
                % {"name": person.person_name, "count": limit},
                field="slot",
            )
    busy_slots = busy[people[0].pk] | busy[people[1].pk]
    slots = [slot] if slot else all_slots
    tables = list(event.meeting_tables.order_by("name"))
    for candidate in slots:
        if candidate.pk in busy_slots or candidate.pk in off:
            continue
        if any(_breaks_run(event, order, busy[person.pk], candidate.pk) for person in people):
            continue
        taken = set(
            Meeting.objects.filter(slot=candidate, status=Meeting.Status.ACCEPTED).values_list("table_id", flat=True)
        )
        for table in tables:
            if table.pk not in taken:
                return candidate, table
    if slot:
        raise ApplicationError(
            _("That slot is taken for one of you, is a break, or has no free table."), field="slot"
        )
    raise ApplicationError(_("No slot has both of you and a table free; ask the organiser."), field="slot")


def _breaks_run(event: Event, order: dict[int, int], busy: Iterable[int], slot_id: int) -> bool:
    """Whether one more meeting in ``slot_id`` makes a run of meetings in a row longer than the event allows."""
    k = event.max_consecutive_meetings
    if not k:
        return False
    at = order[slot_id]
    mine = {order[s] for s in busy if s in order} | {at}
    return any(sum(1 for n in range(i, i + k + 1) if n in mine) > k for i in range(max(at - k, 0), at + 1))


@transaction.atomic
def meeting_accept(*, meeting: Meeting, by: User, slot: MeetingSlot | None = None) -> Meeting:
    """The invitee accepts; the meeting is placed in the earliest slot (or the chosen one) where both people and a
    table are free. Concurrent acceptances at the same event wait for each other on the event row. When the
    organiser schedules the event's meetings, the meeting is accepted and waits for the schedule instead."""
    event = Event.objects.select_for_update().get(pk=meeting.event_id)
    meeting = Meeting.objects.select_for_update().select_related("invitee", "requester").get(pk=meeting.pk)
    _acting_registration(by, meeting.invitee)
    if meeting.status != Meeting.Status.REQUESTED:
        raise ApplicationError(
            _("This meeting is %(status)s.") % {"status": meeting.get_status_display()}, field="status"
        )
    if any(r.status != Registration.Status.CONFIRMED for r in (meeting.requester, meeting.invitee)):
        # One of the two cancelled since the request (cancelling waits on the same event row).
        raise ApplicationError(_("Only confirmed participants meet."), field="status")
    _check_deadline(event)
    if event.scheduling_mode == SchedulingMode.ORGANISER:
        return _accept_unplaced(event, meeting)
    return _place(meeting, slot)


def _place(meeting: Meeting, slot: MeetingSlot | None, table: MeetingTable | None = None) -> Meeting:
    if table is None:
        slot, table = _free_place(meeting.event, meeting, slot)
    try:
        with transaction.atomic():
            MeetingSeat.objects.create(meeting=meeting, registration_id=meeting.requester_id, slot=slot)
            MeetingSeat.objects.create(meeting=meeting, registration_id=meeting.invitee_id, slot=slot)
            if meeting.status == Meeting.Status.ACCEPTED:  # a move: calendar clients take the new version
                meeting.sequence += 1
            meeting.status, meeting.slot, meeting.table = Meeting.Status.ACCEPTED, slot, table
            meeting.responded_at = meeting.responded_at or timezone.now()
            meeting.placed_at = timezone.now()
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
    """A participant's accepted meetings, in time order (those waiting for the organiser's schedule last)."""
    return list(
        Meeting.objects.filter(Q(requester=registration) | Q(invitee=registration), status=Meeting.Status.ACCEPTED)
        .select_related("event", "slot", "table", "requester__organization", "invitee__organization")
        .order_by(F("slot__starts_at").asc(nulls_last=True), "pk")
    )


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: User) -> Meeting:
    """A participant cancels an accepted meeting (either side, or the organiser), or the requester withdraws an
    unanswered request. An accepted meeting's seats are freed (the record keeps where it was) and the other side is
    told; when the organiser has published the agenda, a repair plan is offered."""
    event = Event.objects.select_for_update().get(pk=meeting.event_id)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("requester__organization", "invitee__organization", "slot", "table")
        .get(pk=meeting.pk)
    )
    sides = [meeting.requester] if meeting.status == Meeting.Status.REQUESTED else [meeting.requester, meeting.invitee]
    acting = next((side for side in sides if is_member(by, side.organization_id)), None)
    if acting is None and not is_organizer(by, event):
        raise PermissionDenied(_("Only the two participants' organisations and the organiser cancel a meeting."))
    if meeting.status not in (Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED):
        raise ApplicationError(
            _("This meeting is %(status)s.") % {"status": meeting.get_status_display()}, field="status"
        )
    was_accepted = meeting.status == Meeting.Status.ACCEPTED
    meeting.seats.all().delete()
    meeting.status, meeting.responded_at = Meeting.Status.CANCELLED, timezone.now()
    meeting.save(update_fields=["status", "responded_at"])
    if not was_accepted:
        return meeting
    told = [side for side in (meeting.requester, meeting.invitee) if side is not acting]
    when = (
        timezone.localtime(meeting.slot.starts_at).strftime("%m-%d %H:%M")
        if meeting.slot_id and event.agenda_visible else "-"
    )  # fmt: skip
    for side in told:
        other = meeting.invitee if side.pk == meeting.requester_id else meeting.requester
        organization_notify(
            organization=side.organization,
            subject=message(gettext_noop("A meeting at %(event)s is cancelled"), event=event.title),
            body=message(
                gettext_noop("Your meeting with %(name)s of %(organization)s at %(event)s (%(time)s) is cancelled."),
                name=other.person_name, organization=other.organization.name, event=event.title, time=when,
            ),
            link=reverse("events:meet", args=[event.pk]),
        )  # fmt: skip
    schedule_repair_offer(event)
    return meeting


@transaction.atomic
def registration_breaks_set(*, registration: Registration, by: User, slots: Iterable[MeetingSlot]) -> Registration:
    """The participant's breaks: the slots they take off (their organisation's members, or the organiser). When
    participants pick slots themselves, a slot holding one of their meetings cannot be taken off; when the
    organiser schedules, the scheduler moves such a meeting on its next run."""
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    if not (is_member(by, registration.organization_id) or is_organizer(by, event)):
        raise PermissionDenied(_("Only the participant's organisation and the organiser set their breaks."))
    slots = list(slots)
    if any(slot.event_id != event.pk for slot in slots):
        raise ApplicationError(_("The slots belong to this event."), field="slots")
    if event.scheduling_mode != SchedulingMode.ORGANISER:
        taken = MeetingSeat.objects.filter(registration=registration, slot__in=slots).select_related("slot").first()
        if taken is not None:
            raise ApplicationError(
                _("%(name)s has a meeting at %(time)s: cancel it before taking that slot off.")
                % {"name": registration.person_name,
                   "time": f"{timezone.localtime(taken.slot.starts_at):%m-%d %H:%M}"},
                field="slots",
            )  # fmt: skip
    registration.unavailable_slots.set(slots)
    return registration


@transaction.atomic
def registration_limits_set(
    *, registration: Registration, by: User, slots: Iterable[MeetingSlot], max_meetings: int | None
) -> Registration:
    """The organiser sets one participant's breaks and own maximum of meetings together: both or neither."""
    registration_breaks_set(registration=registration, by=by, slots=slots)
    return registration_limit_set(registration=registration, by=by, max_meetings=max_meetings)


@transaction.atomic
def registration_limit_set(*, registration: Registration, by: User, max_meetings: int | None) -> Registration:
    """The organiser gives one participant a maximum of meetings of their own (a speaker, a judge; empty: the
    event's). Meetings already accepted stay; the scheduler and later acceptances keep to the new maximum."""
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    if not is_organizer(by, event):
        raise PermissionDenied(_("Only the organiser sets a participant's maximum of meetings."))
    if max_meetings is not None and not 0 <= max_meetings <= 1000:
        raise ApplicationError(_("A maximum of meetings is from 0 to 1000."), field="max_meetings")
    registration.max_meetings = max_meetings
    registration.save(update_fields=["max_meetings"])
    return registration


# --- The request life cycle: expiry and reminders (a periodic task) ---------------------------------------------


def meeting_requests_expire(*, now: datetime | None = None) -> int:
    """Requests unanswered by their event's deadline expire; both sides are told. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    due = Event.objects.filter(
        kind=Event.Kind.DOCKING, request_deadline__lte=now, meetings__status=Meeting.Status.REQUESTED
    ).distinct()
    for event_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            event = Event.objects.select_for_update().get(pk=event_id)
            meetings = list(
                Meeting.objects.select_for_update(of=("self",))
                .filter(event=event, status=Meeting.Status.REQUESTED)
                .select_related("requester__organization", "invitee__organization")
            )
            Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(status=Meeting.Status.EXPIRED)
            for meeting in meetings:
                for side in {meeting.requester.organization_id: meeting.requester.organization,
                             meeting.invitee.organization_id: meeting.invitee.organization}.values():  # fmt: skip
                    organization_notify(
                        organization=side,
                        subject=message(gettext_noop("A meeting request at %(event)s expired"), event=event.title),
                        body=message(
                            gettext_noop("The request of %(requester)s to meet %(invitee)s at %(event)s was not "
                                         "answered by the deadline, %(deadline)s, and has expired."),
                            requester=meeting.requester.person_name, invitee=meeting.invitee.person_name,
                            event=event.title,
                            deadline=f"{timezone.localtime(event.request_deadline):%Y-%m-%d %H:%M}",
                        ),
                        link=reverse("events:meet", args=[event.pk]),
                    )  # fmt: skip
            expired += len(meetings)
    return expired


def meeting_reminders_send(*, now: datetime | None = None) -> int:
    """One reminder to each confirmed participant of a published docking event who has neither requested nor
    accepted a meeting, within ``REMIND_BEFORE`` of the request deadline (else of the event's start). The time it
    was sent is recorded first, so that it goes once. Returns how many were sent."""
    now = now or timezone.now()
    window = getattr(settings, "EVENTS_MEETING_REMINDER_HOURS", None)
    before = timedelta(hours=window) if window is not None else REMIND_BEFORE
    booked = Meeting.objects.filter(
        Q(requester=OuterRef("pk")) | Q(invitee=OuterRef("pk"), status=Meeting.Status.ACCEPTED)
    )
    due = (
        Registration.objects.filter(
            event__kind=Event.Kind.DOCKING, event__status=Event.Status.PUBLISHED,
            status=Registration.Status.CONFIRMED, meeting_reminder_sent_at__isnull=True,
        )
        .filter(
            Q(event__request_deadline__isnull=False, event__request_deadline__gt=now,
              event__request_deadline__lte=now + before)
            | Q(event__request_deadline__isnull=True, event__starts_at__gt=now, event__starts_at__lte=now + before)
        )
        .exclude(Exists(booked))
        .select_related("event", "organization")
    )  # fmt: skip
    sent = 0
    for registration in due:
        with transaction.atomic():
            if not Registration.objects.filter(pk=registration.pk, meeting_reminder_sent_at__isnull=True).update(
                meeting_reminder_sent_at=now
            ):
                continue  # another run sent it
            event = registration.event
            closes = event.request_deadline or event.starts_at
            organization_notify(
                organization=registration.organization,
                subject=message(gettext_noop("Book your 1:1 meetings at %(event)s"), event=event.title[:150]),
                body=message(
                    gettext_noop("%(name)s has no meeting at %(event)s yet. Requests close at %(time)s: see whom "
                                 "to meet and ask for meetings."),
                    name=registration.person_name, event=event.title,
                    time=f"{timezone.localtime(closes):%Y-%m-%d %H:%M}",
                ),
                link=reverse("events:meet", args=[event.pk]),
            )  # fmt: skip
            sent += 1
    return sent
