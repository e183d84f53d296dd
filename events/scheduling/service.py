"""The scheduler's services: read a docking event into the engine's ``Problem``, solve it into a stored
``SchedulePlan`` (in a Celery task), and apply a previewed plan in one transaction; pins, the published agenda and
the repair plans offered after late changes.

Writes lock the event row first (``Event.objects.select_for_update()``), as every meeting service does, so that a
plan is applied while nobody requests, accepts, cancels or moves a meeting at the same event; the seat and table
constraints hold the line in the database as well. Solving reads without a lock (it may take seconds); what it read
is fingerprinted (``basis``), and applying refuses a plan whose basis no longer holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied
from core.i18n import message
from matching.models import Match
from matching.selectors import released_q

from ..models import (
    AgendaStatus,
    Event,
    Meeting,
    MeetingSeat,
    MeetingSlot,
    MeetingSuggestions,
    Registration,
    SchedulePlan,
    SchedulingMode,
)
from ..services import is_organizer
from . import engine

logger = logging.getLogger(__name__)

#: Seconds the solver may take for one plan (``settings.EVENTS_SCHEDULER_SECONDS`` overrides it).
DEFAULT_SECONDS = 10.0


def _seconds() -> float:
    return float(getattr(settings, "EVENTS_SCHEDULER_SECONDS", DEFAULT_SECONDS))


# --- Reading an event into the engine's problem ----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    problem: engine.Problem
    basis: str
    meetings: dict[int, Meeting]
    registrations: dict[int, Registration]


def pair_scores(event: Event, organization_ids: Iterable[int]) -> dict[frozenset[int], float]:
    """The best match score between each two participating organisations (either direction), among the matches
    the event's "whom to meet" reads: a meeting's weight for the scheduler."""
    ids = set(organization_ids)
    matches = Match.objects.exclude(
        status__in=[Match.Status.REJECTED, Match.Status.DECLINED, Match.Status.WITHDRAWN]
    ).filter(achievement__organization_id__in=ids, need__organization_id__in=ids)
    if event.meeting_suggestions != MeetingSuggestions.ALL:
        matches = matches.filter(released_q())
    best: dict[frozenset[int], float] = {}
    for achiever, needer, score in matches.values_list(
        "achievement__organization_id", "need__organization_id", "score"
    ):
        pair = frozenset((achiever, needer))
        if len(pair) == 2 and score > best.get(pair, -1.0):
            best[pair] = float(score)
    return best


def read_event(event: Event, *, now: datetime | None = None) -> Reading:
    """The event's accepted meetings as the engine's problem, and the fingerprint of what was read."""
    now = now or timezone.now()
    slots = list(event.meeting_slots.order_by("starts_at", "pk").values_list("pk", "starts_at"))
    tables = list(event.meeting_tables.order_by("name", "pk").values_list("pk", flat=True))
    meetings = {
        meeting.pk: meeting
        for meeting in Meeting.objects.filter(event=event, status=Meeting.Status.ACCEPTED)
        .select_related("requester__organization", "invitee__organization")
        .order_by("responded_at", "pk")
    }
    people = {m.requester_id for m in meetings.values()} | {m.invitee_id for m in meetings.values()}
    registrations = {
        registration.pk: registration
        for registration in Registration.objects.filter(pk__in=people).select_related("organization")
    }
    off: dict[int, set[int]] = {pk: set() for pk in registrations}
    through = Registration.unavailable_slots.through
    for registration_id, slot_id in through.objects.filter(registration_id__in=people).values_list(
        "registration_id", "meetingslot_id"
    ):
        off[registration_id].add(slot_id)
    slot_ids = [pk for pk, _ in slots]
    consecutive = event.max_consecutive_meetings or None
    persons = {
        pk: engine.Person(
            pk,
            available=frozenset(set(slot_ids) - off[pk]),
            max_meetings=registration.max_meetings
            if registration.max_meetings is not None
            else event.max_meetings_per_participant,
            max_consecutive=consecutive,
        )
        for pk, registration in registrations.items()
    }
    scores = pair_scores(event, {r.organization_id for r in registrations.values()})
    requests = []
    for meeting in meetings.values():
        pair = frozenset((registrations[meeting.requester_id].organization_id,
                          registrations[meeting.invitee_id].organization_id))  # fmt: skip
        placed = meeting.slot_id is not None and meeting.table_id is not None
        current = engine.Place(meeting.slot_id, meeting.table_id) if placed else None
        request = engine.Request(meeting.pk, meeting.requester_id, meeting.invitee_id, weight=scores.get(pair, 0.0),
                                 current=current, pinned=meeting.pinned)  # fmt: skip
        requests.append(request)
    problem = engine.Problem(
        slots=tuple(slot_ids),
        tables=tuple(tables),
        requests=tuple(requests),
        people=persons,
        closed_slots=frozenset(pk for pk, starts_at in slots if starts_at <= now),
    )
    fingerprint = {
        "meetings": sorted(
            [m.pk, m.requester_id, m.invitee_id, m.slot_id, m.table_id, m.pinned] for m in meetings.values()
        ),
        "slots": slot_ids,
        "tables": tables,
        "people": sorted(
            [pk, sorted(off[pk]), registration.max_meetings, registration.status]
            for pk, registration in registrations.items()
        ),
        "limits": [event.max_meetings_per_participant, consecutive, event.scheduling_mode],
    }
    basis = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()
    return Reading(problem, basis, meetings, registrations)


# --- Plans: start, solve, apply, discard -----------------------------------------------------------------------


def _organiser_only(by: User, event: Event, text: str) -> None:
    if not is_organizer(by, event):
        raise PermissionDenied(text)


def _schedulable(event: Event) -> None:
    if event.kind != Event.Kind.DOCKING:
        raise ApplicationError(_("Only docking events have 1:1 meetings."), field="event")
    if event.scheduling_mode != SchedulingMode.ORGANISER:
        raise ApplicationError(
            _("The scheduler places meetings when the organiser schedules them: switch the event's meeting "
              "scheduling to the organiser first."),
            field="scheduling_mode",
        )  # fmt: skip


def _enqueue_solve(plan: SchedulePlan) -> None:
    from core.tasks import enqueue

    from ..tasks import schedule_plan_solve_task

    transaction.on_commit(lambda: enqueue(schedule_plan_solve_task, plan.pk))


def _new_plan(
    event: Event, kind: str, by: User | None, superseded: str = SchedulePlan.Status.DISCARDED
) -> SchedulePlan:
    """A plan to solve (the caller holds the event's lock): the event's earlier proposals give way to it (discarded
    when the organiser asks again, stale when a change of the meetings made them so)."""
    SchedulePlan.objects.filter(event=event, status=SchedulePlan.Status.PROPOSED).update(status=superseded)
    plan = SchedulePlan.objects.create(event=event, kind=kind, created_by=by)
    _enqueue_solve(plan)
    return plan


@transaction.atomic
def schedule_plan_start(*, event: Event, by: User, kind: str = SchedulePlan.Kind.FULL) -> SchedulePlan:
    """The organiser asks the scheduler for a plan: ``full`` places every accepted meeting for the most meetings,
    then the best scores; ``repair`` moves as few of the placed meetings as it can. Solved by a task after the
    commit; the plan is proposed until the organiser applies or discards it."""
    _organiser_only(by, event, _("Only the organiser runs the scheduler."))
    if kind not in SchedulePlan.Kind.values:
        raise ApplicationError(_("Choose a full schedule or a repair."), field="kind")
    event = Event.objects.select_for_update().get(pk=event.pk)
    _schedulable(event)
    if not event.meeting_slots.exists() or not event.meeting_tables.exists():
        raise ApplicationError(_("Add meeting slots and tables first."), field="event")
    return _new_plan(event, kind, by)


def schedule_repair_offer(event: Event) -> SchedulePlan | None:
    """After a late change (an accepted meeting cancelled, a request accepted) in an event whose organiser has
    published the agenda: a repair plan, solved in the background, for the organiser to preview and apply. The
    caller holds the event's lock."""
    if event.scheduling_mode != SchedulingMode.ORGANISER or event.agenda_status == AgendaStatus.NONE:
        return None
    if not event.meeting_slots.exists() or not event.meeting_tables.exists():
        return None
    return _new_plan(event, SchedulePlan.Kind.REPAIR, None, superseded=SchedulePlan.Status.STALE)


def schedule_plan_solve(*, plan_id: int) -> SchedulePlan | None:
    """Solve a proposed plan (the task's body). Idempotent: a plan already solved, applied, discarded or stale is
    left as it is."""
    plan = SchedulePlan.objects.select_related("event").filter(pk=plan_id).first()
    if plan is None or plan.status != SchedulePlan.Status.PROPOSED or plan.solved_at is not None:
        return plan
    reading = read_event(plan.event)
    options = engine.Options(time_limit=_seconds(), stability=plan.kind == SchedulePlan.Kind.REPAIR)
    try:
        solution = engine.solve(reading.problem, options)
    except engine.ScheduleError as error:
        logger.warning("schedule plan %s not solved: %s", plan.pk, error)
        SchedulePlan.objects.filter(pk=plan.pk, status=SchedulePlan.Status.PROPOSED).update(
            status=SchedulePlan.Status.FAILED, error=str(error), solved_at=timezone.now(), basis=reading.basis
        )
        return SchedulePlan.objects.get(pk=plan.pk)
    placements = [
        {"meeting": meeting, "slot": place.slot, "table": place.table}
        for meeting, place in sorted(solution.placements.items())
    ]
    unplaced = [
        {"meeting": item.request, "reason": item.reason, "people": list(item.people)} for item in solution.unplaced
    ]
    SchedulePlan.objects.filter(pk=plan.pk, status=SchedulePlan.Status.PROPOSED, solved_at__isnull=True).update(
        placements=placements, unplaced=unplaced, requests_count=len(reading.problem.requests),
        placed_count=solution.placed, moved_count=len(solution.moved), bound=solution.bound,
        solver_status=solution.status, solve_seconds=round(solution.seconds, 3), basis=reading.basis,
        solved_at=timezone.now(),
    )  # fmt: skip
    return SchedulePlan.objects.get(pk=plan.pk)


class StalePlan(ApplicationError):
    pass


def schedule_plan_apply(*, plan: SchedulePlan, by: User) -> SchedulePlan:
    """Write a previewed plan, all of it or nothing: every accepted meeting goes where the plan puts it (or waits
    unplaced), its seats rewritten; everyone whose meeting was placed, moved or dropped is told once the agenda is
    published. Refused when the meetings, places, pins, breaks or limits changed since the plan was computed: the
    plan is then stale, and the organiser runs the scheduler again."""
    _organiser_only(by, plan.event, _("Only the organiser applies a schedule."))
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=plan.event_id)
        plan = SchedulePlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != SchedulePlan.Status.PROPOSED:
            raise ApplicationError(
                _("This plan is %(status)s.") % {"status": plan.get_status_display()}, field="status"
            )
        if plan.solved_at is None:
            raise ApplicationError(_("The scheduler is still working on this plan."), field="status")
        _schedulable(event)
        reading = read_event(event)
        stale = reading.basis != plan.basis
        if stale:
            plan.status = SchedulePlan.Status.STALE
            plan.save(update_fields=["status"])
        else:
            changed = _write_placements(event, plan, reading)
            plan.status, plan.applied_at = SchedulePlan.Status.APPLIED, timezone.now()
            plan.save(update_fields=["status", "applied_at"])
            if event.agenda_visible:
                _notify_changed(event, changed)
    if stale:  # the stale mark is kept (committed above); the organiser is told why nothing was written
        raise StalePlan(
            _("The meetings changed since this plan was computed (a request accepted, a meeting cancelled, moved or "
              "pinned, a break or a limit changed): run the scheduler again."),
            field="status",
        )  # fmt: skip
    return plan


def _write_placements(event: Event, plan: SchedulePlan, reading: Reading) -> list[Meeting]:
    target = {item["meeting"]: engine.Place(item["slot"], item["table"]) for item in plan.placements}
    problems = engine.check(reading.problem, target, limits=False)
    if problems:  # the basis held, so this cannot happen; never write a schedule that breaks a rule
        raise ApplicationError(_("This plan breaks a rule of the schedule: %(problem)s.") % {"problem": problems[0]})
    meetings = list(
        Meeting.objects.select_for_update(of=("self",)).filter(event=event, status=Meeting.Status.ACCEPTED)
        .select_related("requester__organization", "invitee__organization")
    )  # fmt: skip
    changed = []
    for meeting in meetings:
        place = target.get(meeting.pk)
        new = (place.slot, place.table) if place else (None, None)
        if (meeting.slot_id, meeting.table_id) != new:
            changed.append((meeting, new))
    if not changed:
        return []
    now = timezone.now()
    ids = [meeting.pk for meeting, _new in changed]
    try:
        with transaction.atomic():
            MeetingSeat.objects.filter(meeting_id__in=ids).delete()
            Meeting.objects.filter(pk__in=ids).update(slot=None, table=None)  # free every place first
            seats = []
            for meeting, (slot_id, table_id) in changed:
                meeting.slot_id, meeting.table_id = slot_id, table_id
                meeting.sequence += 1
                meeting.placed_at = now if slot_id else None
                meeting.save(update_fields=["slot", "table", "sequence", "placed_at"])
                if slot_id:
                    seats += [MeetingSeat(meeting=meeting, registration_id=person, slot_id=slot_id)
                              for person in (meeting.requester_id, meeting.invitee_id)]  # fmt: skip
            MeetingSeat.objects.bulk_create(seats)
    except IntegrityError as error:
        raise ApplicationError(_("The schedule could not be written: a place was taken meanwhile.")) from error
    return [meeting for meeting, _new in changed]


def _notify_changed(event: Event, meetings: list[Meeting]) -> None:
    """Each organisation with a participant whose meeting was placed, moved or dropped: told once."""
    organizations: dict[int, Organization] = {}
    for meeting in meetings:
        for registration in (meeting.requester, meeting.invitee):
            organizations[registration.organization_id] = registration.organization
    for organization in organizations.values():
        organization_notify(
            organization=organization,
            subject=message(gettext_noop("Your meetings at %(event)s changed"), event=event.title[:150]),
            body=message(
                gettext_noop("The organiser's schedule placed, moved or dropped meetings of your participants at "
                             "%(event)s. Your agenda and calendar (.ics) show the new times and tables."),
                event=event.title,
            ),
            link=reverse("events:meet", args=[event.pk]),
        )  # fmt: skip


@transaction.atomic
def schedule_plan_discard(*, plan: SchedulePlan, by: User) -> SchedulePlan:
    _organiser_only(by, plan.event, _("Only the organiser discards a schedule."))
    Event.objects.select_for_update().get(pk=plan.event_id)
    plan = SchedulePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != SchedulePlan.Status.PROPOSED:
        raise ApplicationError(_("This plan is %(status)s.") % {"status": plan.get_status_display()}, field="status")
    plan.status = SchedulePlan.Status.DISCARDED
    plan.save(update_fields=["status"])
    return plan


# --- What the preview shows ------------------------------------------------------------------------------------

REASON_TEXT = {
    engine.NO_COMMON_SLOT: gettext_noop("%(names)s have no slot in which both are available."),
    engine.MAX_MEETINGS: gettext_noop("Already at the most meetings allowed: %(names)s."),
    engine.BUSY: gettext_noop("In every slot both are available, one of them already meets someone else: %(names)s."),
    engine.BREAK_RULE: gettext_noop("Every slot left would break the rule of breaks for %(names)s."),
    engine.TABLE_SHORTAGE: gettext_noop(
        "Both are free in some slots, but every table there is taken by meetings that weigh more."
    ),
    engine.TIME_LIMIT: gettext_noop("The solver reached its time limit before finding a place for it."),
}


def person_label(registration: Registration) -> str:
    return f"{registration.person_name} ({registration.organization.name})"


def reason_text(reason: str, names: list[str]) -> str:
    """The reason a meeting is left unplaced, in the active language, naming the participants it is about."""
    text = REASON_TEXT.get(reason, REASON_TEXT[engine.TIME_LIMIT])
    return _(text) % {"names": _(" and ").join(names) if names else "-"}


@dataclass(frozen=True)
class UnplacedRow:
    meeting: Meeting | None
    reason: str
    text: str


@dataclass(frozen=True)
class PlanCell:
    meeting: Meeting | None
    moved: bool


@dataclass(frozen=True)
class PlanRow:
    slot: MeetingSlot
    cells: list[PlanCell]


@dataclass(frozen=True)
class PlanPreview:
    plan: SchedulePlan
    unplaced: list[UnplacedRow]
    rows: list[PlanRow]
    tables: list[Any]
    newly_placed: int


def plan_preview(plan: SchedulePlan) -> PlanPreview:
    """The plan as the organiser previews it: the proposed grid (moved and newly placed meetings marked) and each
    meeting left out with its reason."""
    event = plan.event
    ids = {item["meeting"] for item in plan.placements} | {item["meeting"] for item in plan.unplaced}
    meetings = {
        meeting.pk: meeting
        for meeting in Meeting.objects.filter(pk__in=ids).select_related(
            "requester__organization", "invitee__organization"
        )
    }
    people = {person for item in plan.unplaced for person in item.get("people", [])}
    registrations = {r.pk: r for r in Registration.objects.filter(pk__in=people).select_related("organization")}
    unplaced = []
    for item in plan.unplaced:
        names = [person_label(registrations[pk]) for pk in item.get("people", []) if pk in registrations]
        unplaced.append(UnplacedRow(meetings.get(item["meeting"]), item["reason"], reason_text(item["reason"], names)))
    tables = list(event.meeting_tables.order_by("name", "pk"))
    slots = list(event.meeting_slots.order_by("starts_at", "pk"))
    at: dict[tuple[int, int], PlanCell] = {}
    newly = 0
    for item in plan.placements:
        meeting = meetings.get(item["meeting"])
        moved = meeting is not None and (meeting.slot_id, meeting.table_id) != (item["slot"], item["table"])
        newly += int(meeting is not None and meeting.slot_id is None)
        at[(item["slot"], item["table"])] = PlanCell(meeting, moved)
    empty = PlanCell(None, False)
    rows = [PlanRow(slot, [at.get((slot.pk, table.pk), empty) for table in tables]) for slot in slots]
    return PlanPreview(plan, unplaced, rows, tables, newly)


# --- Pins and the agenda -----------------------------------------------------------------------------------------


@transaction.atomic
def meeting_pin(*, meeting: Meeting, by: User, pinned: bool = True) -> Meeting:
    """The organiser pins a placed meeting (the scheduler keeps it in its slot at its table) or unpins it."""
    _organiser_only(by, meeting.event, _("Only the organiser pins meetings."))
    Event.objects.select_for_update().get(pk=meeting.event_id)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if pinned and (meeting.status != Meeting.Status.ACCEPTED or meeting.slot_id is None):
        raise ApplicationError(_("Only a placed meeting is pinned."), field="meeting")
    if meeting.pinned != pinned:
        meeting.pinned = pinned
        meeting.save(update_fields=["pinned"])
    return meeting


@transaction.atomic
def agenda_publish(*, event: Event, by: User, status: str) -> Event:
    """The organiser publishes the preliminary or the final agenda: participants then see their meetings' times
    and tables, and every participating organisation is told. The final agenda is published once; later changes
    reach the people they concern as repairs are applied."""
    _organiser_only(by, event, _("Only the organiser publishes the agenda."))
    event = Event.objects.select_for_update().get(pk=event.pk)
    _schedulable(event)
    if status not in (AgendaStatus.PRELIMINARY, AgendaStatus.FINAL):
        raise ApplicationError(_("Publish a preliminary or a final agenda."), field="status")
    if event.agenda_status == AgendaStatus.FINAL:
        raise ApplicationError(
            _("The final agenda is already published; changes reach the people they concern as you apply them."),
            field="status",
        )
    event.agenda_status = status
    event.save(update_fields=["agenda_status", "updated_at"])
    final = status == AgendaStatus.FINAL
    organizations = Organization.objects.filter(
        pk__in=event.registrations.filter(status=Registration.Status.CONFIRMED).values("organization_id")
    ).order_by("pk")
    for organization in organizations:
        organization_notify(
            organization=organization,
            subject=message(
                gettext_noop("Final agenda: %(event)s") if final else gettext_noop("Preliminary agenda: %(event)s"),
                event=event.title[:150],
            ),
            body=message(
                gettext_noop("The final agenda of %(event)s is published: your meetings' times and tables are on "
                             "your meetings page and in your calendar (.ics).")
                if final else
                gettext_noop("The preliminary agenda of %(event)s is published: your meetings' times and tables may "
                             "still change until the final agenda."),
                event=event.title,
            ),
            link=reverse("events:meet", args=[event.pk]),
        )  # fmt: skip
    return event


def latest_plans(event: Event, limit: int = 5) -> list[SchedulePlan]:
    return list(SchedulePlan.objects.filter(event=event).order_by("-created_at", "-pk")[:limit])


def unplaced_accepted(event: Event) -> int:
    return Meeting.objects.filter(event=event, status=Meeting.Status.ACCEPTED, slot__isnull=True).count()
