"""Pages of the docking-event scheduler and the meeting life cycle: the organiser's modes and limits, running the
scheduler, the plan's preview (applied or discarded), pins, publishing the agenda; the participant's breaks,
cancelling a meeting (or withdrawing a request) and the printable agenda.

Who may do what (after the 404 for events the user may not see; only docking events have meetings, a 404 too):

* settings, scheduler, plans, pins, publishing the agenda: the organiser's members and staff (others: 403);
* breaks: members acting for their organisation's confirmed registration (others: 403);
* cancelling a meeting: the two participants' organisations (the requester's alone for a request) and the
  organiser; a meeting the user may not see is a 404;
* the printable agenda of a participant: their organisation's members, the organiser's members and staff; anyone
  else a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import user_organization_ids
from core.exceptions import ApplicationError, PermissionDenied
from core.forms import add_application_error

from . import meetings, services
from .forms import BreaksForm, ParticipantLimitsForm, SchedulingSettingsForm
from .models import AgendaStatus, Event, Meeting, Registration, SchedulePlan
from .scheduling import service as scheduling
from .selectors import is_event_organizer, meetings_visible_to, registration_visible_to, schedule_plans_visible_to
from .views import _event, _organizer_event
from .views_meetings import _acting, _back_to_meet, _docking, _grid_page, _other


def _organiser_docking(request: HttpRequest, pk: int) -> Event:
    return _docking(_organizer_event(request, pk))


@login_required
@require_POST
def scheduling_settings(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organiser_docking(request, pk)
    form = SchedulingSettingsForm(request.POST, event=event)
    if form.is_valid():
        try:
            services.event_update(event=event, by=request.user, **form.service_arguments())
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The meeting settings are saved."))
            return redirect("events:grid", pk=event.pk)
    return _grid_page(request, event, settings_form=form)


@login_required
@require_POST
def participant_limits(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser sets one participant's breaks and own maximum of meetings (``registration_limits_set``)."""
    event = _organiser_docking(request, pk)
    form = ParticipantLimitsForm(request.POST, event=event)
    if form.is_valid():
        registration = form.cleaned_data["registration"]
        try:
            meetings.registration_limits_set(registration=registration, by=request.user,
                                             slots=form.cleaned_data["slots"],
                                             max_meetings=form.cleaned_data["max_meetings"])  # fmt: skip
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            name = registration.person_name
            messages.success(request, _("%(name)s's breaks and maximum are saved.") % {"name": name})
            return redirect("events:grid", pk=event.pk)
    return _grid_page(request, event, participant_form=form)


@login_required
@require_POST
def schedule_start(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organiser_docking(request, pk)
    kind = SchedulePlan.Kind.REPAIR if request.POST.get("repair") else SchedulePlan.Kind.FULL
    try:
        plan = scheduling.schedule_plan_start(event=event, by=request.user, kind=kind)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("events:grid", pk=event.pk)
    return redirect("events:schedule-plan", pk=event.pk, plan_pk=plan.pk)


def _plan(request: HttpRequest, pk: int, plan_pk: int) -> SchedulePlan:
    event = _organiser_docking(request, pk)
    return get_object_or_404(schedule_plans_visible_to(request.user).filter(event=event), pk=plan_pk)


@login_required
def schedule_plan_page(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    """The preview: placed, unplaced with reasons, the bound, moves, solve time and the proposed grid; a page that
    refreshes itself while the scheduler works."""
    plan = _plan(request, pk, plan_pk)
    context = {"event": plan.event, "plan": plan, "preview": None if plan.solving else scheduling.plan_preview(plan)}
    return render(request, "events/schedule_plan.html", context)


@login_required
@require_POST
def schedule_plan_apply(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    plan = _plan(request, pk, plan_pk)
    try:
        plan = scheduling.schedule_plan_apply(plan=plan, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("events:schedule-plan", pk=plan.event_id, plan_pk=plan.pk)
    messages.success(
        request,
        _("The schedule is applied: %(placed)d meetings placed, %(moved)d moved.")
        % {"placed": plan.placed_count, "moved": plan.moved_count},
    )
    return redirect("events:grid", pk=plan.event_id)


@login_required
@require_POST
def schedule_plan_discard(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    plan = _plan(request, pk, plan_pk)
    try:
        scheduling.schedule_plan_discard(plan=plan, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The plan is discarded."))
    return redirect("events:grid", pk=plan.event_id)


@login_required
@require_POST
def meeting_pin(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    event = _organiser_docking(request, pk)
    meeting = get_object_or_404(meetings_visible_to(request.user).filter(event=event), pk=meeting_pk)
    pinned = request.POST.get("pinned") == "1"
    try:
        scheduling.meeting_pin(meeting=meeting, by=request.user, pinned=pinned)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The meeting is pinned.") if pinned else _("The meeting is unpinned."))
    return redirect("events:grid", pk=event.pk)


@login_required
@require_POST
def agenda_publish(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organiser_docking(request, pk)
    status = AgendaStatus.FINAL if request.POST.get("final") else AgendaStatus.PRELIMINARY
    try:
        scheduling.agenda_publish(event=event, by=request.user, status=status)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The final agenda is published; every participant is told.")
            if status == AgendaStatus.FINAL
            else _("The preliminary agenda is published; every participant is told."),
        )
    return redirect("events:grid", pk=event.pk)


# --- The participant's side ------------------------------------------------------------------------------------


@login_required
@require_POST
def breaks_set(request: HttpRequest, pk: int) -> HttpResponse:
    event = _docking(_event(request, pk))
    _registrations, registration = _acting(request, event)
    form = BreaksForm(request.POST, registration=registration)
    if not form.is_valid():
        messages.error(request, _("Choose among this event's slots."))
        return _back_to_meet(event, registration)
    try:
        meetings.registration_breaks_set(registration=registration, by=request.user, slots=form.cleaned_data["slots"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your breaks are saved."))
    return _back_to_meet(event, registration)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    event = _docking(_event(request, pk))
    meeting = get_object_or_404(meetings_visible_to(request.user).filter(event=event), pk=meeting_pk)
    try:
        meeting = meetings.meeting_cancel(meeting=meeting, by=request.user)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The meeting is cancelled."))
    if request.POST.get("next") == "grid" and is_event_organizer(request.user, event):
        return redirect("events:grid", pk=event.pk)
    own = user_organization_ids(user=request.user)
    mine = [r for r in (meeting.requester, meeting.invitee) if r.organization_id in own]
    return _back_to_meet(event, mine[0] if mine else None)


@login_required
def agenda_print(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    """One participant's printable agenda: time, table and the other party with their organisation."""
    event = _docking(_event(request, pk))
    registration = get_object_or_404(
        registration_visible_to(request.user, event).filter(status=Registration.Status.CONFIRMED), pk=registration_pk
    )
    organiser = is_event_organizer(request.user, event)
    rows = [(meeting, _other(meeting, registration)) for meeting in meetings.agenda(registration=registration)]
    context = {
        "event": event,
        "registration": registration,
        "rows": rows,
        "show_times": organiser or event.agenda_visible,
        "back": reverse("events:grid", kwargs={"pk": event.pk}) if organiser else None,
        "status": Meeting.Status,
    }
    return render(request, "events/agenda_print.html", context)
