"""Pages of docking events' 1:1 meetings: the organiser's grid (slots, tables, moving meetings), the participant's
page (whom to meet, requests, the personal agenda) and the user's agenda as iCalendar, meetings included.

Who may do what (after the 404 for events the user may not see; only docking events have meetings, a 404 too):

* grid, adding slots and tables, moving meetings, the printable per-table schedule: the organiser's members and
  staff (others: 403); the scheduler's pages are in ``views_schedule``;
* meet page, requesting, accepting and declining: members whose organisation has a confirmed registration at the
  event, acting for it (others: 403); a meeting the user may not see is a 404;
* my agenda .ics: logged-in users.

Another participant's e-mail is never on these pages: people are shown by name and organisation.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.downloads import file_response
from core.exceptions import ApplicationError, PermissionDenied
from core.forms import add_application_error

from . import meetings
from .calendar import calendar_for, meeting_vevent
from .forms import (
    BreaksForm,
    MeetingAcceptForm,
    MeetingGridForm,
    MeetingMoveForm,
    MeetingRequestForm,
    ParticipantLimitsForm,
    SchedulingSettingsForm,
    slot_label,
)
from .models import AgendaStatus, Event, Meeting, Registration, SchedulingMode
from .scheduling import service as scheduling
from .selectors import (
    acting_registrations,
    agenda_events_for,
    agenda_meetings_for,
    meeting_grid,
    meetings_of,
    meetings_visible_to,
    table_schedules,
)
from .serializers import suggestion_reasons
from .views import _base_url, _event, _organizer_event


def _docking(event: Event) -> Event:
    if event.kind != Event.Kind.DOCKING:
        raise Http404
    return event


# --- The organiser's grid --------------------------------------------------------------------------------------


def _grid_page(
    request: HttpRequest,
    event: Event,
    grid_form: MeetingGridForm | None = None,
    move_form: MeetingMoveForm | None = None,
    settings_form: SchedulingSettingsForm | None = None,
    participant_form: ParticipantLimitsForm | None = None,
) -> HttpResponse:
    grid = meeting_grid(event)
    failed = any(form is not None and form.errors for form in (grid_form, move_form, settings_form, participant_form))
    organiser_mode = event.scheduling_mode == SchedulingMode.ORGANISER
    context = {
        "event": event,
        "grid": grid,
        "grid_form": grid_form or MeetingGridForm(),
        "move_form": move_form or MeetingMoveForm(event=event, meetings=grid.accepted),
        "settings_form": settings_form or SchedulingSettingsForm(event=event),
        "participant_form": participant_form or ParticipantLimitsForm(event=event),
        "organiser_mode": organiser_mode,
        "unplaced": [meeting for meeting in grid.accepted if meeting.slot_id is None],
        "placed_count": sum(1 for meeting in grid.accepted if meeting.slot_id is not None),
        "plans": scheduling.latest_plans(event),
        "agenda_final": event.agenda_status == AgendaStatus.FINAL,
        "participants": event.registrations.filter(status=Registration.Status.CONFIRMED).order_by("person_name", "pk"),
    }
    return render(request, "events/meeting_grid.html", context, status=400 if failed else 200)


@login_required
def grid_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _docking(_organizer_event(request, pk))
    if request.method != "POST":
        return _grid_page(request, event)
    form = MeetingGridForm(request.POST)
    if form.is_valid():
        slots, tables = form.slots(), form.table_names()
        try:
            meetings.meeting_grid_define(event=event, by=request.user, slots=slots, tables=tables)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("Added %(slots)d slots and %(tables)d tables (those already there are kept).")
                % {"slots": len(slots), "tables": len(tables)},
            )
            return redirect("events:grid", pk=event.pk)
    return _grid_page(request, event, grid_form=form)


@login_required
@require_POST
def meeting_move(request: HttpRequest, pk: int) -> HttpResponse:
    event = _docking(_organizer_event(request, pk))
    form = MeetingMoveForm(request.POST, event=event, meetings=meeting_grid(event).accepted)
    if form.is_valid():
        try:
            meeting = meetings.meeting_move(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("The meeting is moved to %(slot)s at table %(table)s.")
                % {"slot": slot_label(meeting.slot), "table": meeting.table.name},
            )
            return redirect("events:grid", pk=event.pk)
    return _grid_page(request, event, move_form=form)


@login_required
def table_schedule_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable schedule of each table: its slots and the two parties of each meeting (one page per table)."""
    event = _docking(_organizer_event(request, pk))
    return render(request, "events/table_schedule.html", {"event": event, "schedules": table_schedules(event)})


# --- The participant's page ------------------------------------------------------------------------------------


def _acting(request: HttpRequest, event: Event) -> tuple[list[Registration], Registration]:
    """The user's organisations' confirmed registrations at the event (403 without one) and the one chosen by
    ``?registration=`` (the first by default; 404 for one that is not theirs)."""
    registrations = list(acting_registrations(request.user, event))
    if not registrations:
        raise DjangoPermissionDenied(_("Your organisation has no confirmed place at this event."))
    chosen = request.GET.get("registration")
    if not chosen:
        return registrations, registrations[0]
    for registration in registrations:
        if str(registration.pk) == chosen:
            return registrations, registration
    raise Http404


def _other(meeting: Meeting, registration: Registration) -> Registration:
    return meeting.invitee if meeting.requester_id == registration.pk else meeting.requester


@login_required
def meet_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _docking(_event(request, pk))
    registrations, registration = _acting(request, event)
    mine = list(meetings_of(registration))
    by_person: dict[int, Meeting] = {}
    for meeting in mine:
        if meeting.status in (Meeting.Status.REQUESTED, Meeting.Status.ACCEPTED):
            by_person[_other(meeting, registration).pk] = meeting
    suggestions = [
        {
            "registration": suggestion.registration,
            "score": suggestion.score,
            "reasons": suggestion_reasons(suggestion.reasons),
            "meeting": by_person.get(suggestion.registration.pk),
        }
        for suggestion in meetings.whom_to_meet(registration=registration, limit=50)
    ]
    agenda = [(meeting, _other(meeting, registration)) for meeting in meetings.agenda(registration=registration)]
    context = {
        "event": event,
        "registrations": registrations,
        "registration": registration,
        "suggestions": suggestions,
        "incoming": [m for m in mine if m.invitee_id == registration.pk and m.status == Meeting.Status.REQUESTED],
        "outgoing": [
            m
            for m in mine
            if m.requester_id == registration.pk
            and m.status in (Meeting.Status.REQUESTED, Meeting.Status.DECLINED, Meeting.Status.EXPIRED)
        ],
        "agenda": agenda,
        "accept_form": MeetingAcceptForm(event=event),
        "has_slots": event.meeting_slots.exists(),
        "organiser_mode": event.scheduling_mode == SchedulingMode.ORGANISER,
        "breaks_form": BreaksForm(registration=registration),
    }
    return render(request, "events/meet.html", context)


def _back_to_meet(event: Event, registration: Registration | None) -> HttpResponse:
    target = reverse("events:meet", kwargs={"pk": event.pk})
    return redirect(f"{target}?registration={registration.pk}" if registration else target)


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    event = _docking(_event(request, pk))
    requesters = acting_registrations(request.user, event)
    if not requesters.exists():
        raise DjangoPermissionDenied
    form = MeetingRequestForm(request.POST, event=event, requesters=requesters)
    if not form.is_valid():
        messages.error(request, _("Choose a confirmed participant of this event to meet."))
        return _back_to_meet(event, None)
    requester, invitee = form.cleaned_data["requester"], form.cleaned_data["invitee"]
    try:
        meeting = meetings.meeting_request(
            requester=requester, invitee=invitee, by=request.user, note=form.cleaned_data["note"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if meeting.status == Meeting.Status.ACCEPTED:
            messages.success(request, _accepted_text(meeting, invitee))
        else:
            messages.success(
                request,
                _("Your request to meet %(name)s (%(organization)s) is sent.")
                % {"name": invitee.person_name, "organization": invitee.organization.name},
            )
    return _back_to_meet(event, requester)


def _accepted_text(meeting: Meeting, other: Registration) -> str:
    if meeting.slot_id is None:
        return _("Meeting with %(organization)s accepted: the organiser schedules it.") % {
            "organization": other.organization.name
        }
    return _("Meeting with %(organization)s: %(slot)s at table %(table)s.") % {
        "organization": other.organization.name, "slot": slot_label(meeting.slot), "table": meeting.table.name
    }  # fmt: skip


def _meeting(request: HttpRequest, pk: int, meeting_pk: int) -> Meeting:
    event = _docking(_event(request, pk))
    return get_object_or_404(meetings_visible_to(request.user).filter(event=event), pk=meeting_pk)


@login_required
@require_POST
def meeting_accept(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, meeting_pk)
    form = MeetingAcceptForm(request.POST, event=meeting.event)
    if not form.is_valid():
        messages.error(request, _("Choose one of this event's slots, or the earliest free one."))
        return _back_to_meet(meeting.event, meeting.invitee)
    try:
        meeting = meetings.meeting_accept(meeting=meeting, by=request.user, slot=form.cleaned_data["slot"])
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _accepted_text(meeting, meeting.requester))
    return _back_to_meet(meeting.event, meeting.invitee)


@login_required
@require_POST
def meeting_decline(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, meeting_pk)
    try:
        meeting = meetings.meeting_decline(meeting=meeting, by=request.user)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The request of %(organization)s is declined.") % {"organization": meeting.requester.organization.name},
        )
    return _back_to_meet(meeting.event, meeting.invitee)


# --- The agenda as iCalendar -----------------------------------------------------------------------------------


@login_required
def my_agenda(request: HttpRequest) -> HttpResponse:
    """The user's events and, as VEVENTs of their own, the accepted meetings of the user's confirmed places."""
    base_url = _base_url(request)
    components = [
        meeting_vevent(meeting, mine, base_url=base_url) for meeting, mine in agenda_meetings_for(request.user)
    ]
    title = _("My events · Tech Match")
    data = calendar_for(list(agenda_events_for(request.user)), title, base_url=base_url, components=components)
    return file_response(data, "agenda.ics")
