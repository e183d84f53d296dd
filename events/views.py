"""Server-rendered pages of events: the calendar, an event with its registration form, creating and publishing,
the organiser's registrations with check-in, attendance exports and iCalendar files.

Reads start from ``events.selectors`` (an event the user may not see is a 404 on every page); writes go through
``events.services``, whose ``ApplicationError`` becomes a form error or a message.

Who may do what (after the 404 for events the user may not see):

* calendar, event page, event .ics: anyone;
* register, the organisation's own registrations, cancel them: members of any organisation;
* create, publish, cancel and finish events: members of an organiser organisation (staff: for any organiser);
* edit an event, registrations list, check-in, attendance exports: the organiser's members and staff (others:
  403);
* my agenda .ics: logged-in users.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.selectors import user_memberships
from core.downloads import file_response
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import public_page

from . import exports, services
from .calendar import calendar_for
from .filters import EventFilterSet
from .forms import CheckInForm, EventEditForm, EventForm, EventStatusForm, RegistrationForm
from .models import Event, Registration
from .selectors import (
    can_create_events,
    can_see_directory,
    event_calendar_order,
    event_visible_to,
    is_event_organizer,
    organizer_choices,
    registration_is_open,
    registration_visible_to,
    waiting_position,
)
from .views_calendar import month_calendar_url

PAGE_SIZE = 20


def _event(request: HttpRequest, pk: int) -> Event:
    return get_object_or_404(event_visible_to(request.user), pk=pk)


def _organizer_event(request: HttpRequest, pk: int) -> Event:
    """The event, for its organiser's members and staff only: 404 when hidden, 403 when visible but not theirs."""
    event = _event(request, pk)
    if not is_event_organizer(request.user, event):
        raise DjangoPermissionDenied
    return event


def _member_organizations(request: HttpRequest) -> Any:
    ids = [membership.organization_id for membership in user_memberships(user=request.user)]
    return Organization.objects.filter(pk__in=ids).order_by("name")


@public_page
def event_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("view") == "month":
        return redirect(month_calendar_url(request.GET.get("month", "")))
    queryset = event_visible_to(request.user)
    filterset = EventFilterSet(request.GET or None, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = Paginator(event_calendar_order(results), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "can_create": can_create_events(request.user),
    }
    return render(request, "events/event_list.html", context)


def _detail_context(request: HttpRequest, event: Event, form: RegistrationForm | None = None) -> dict[str, Any]:
    user = request.user
    organizations = _member_organizations(request) if user.is_authenticated else Organization.objects.none()
    own = list(
        registration_visible_to(user, event).filter(organization__in=organizations)
        if organizations
        else Registration.objects.none()
    )
    for registration in own:
        registration.position = waiting_position(registration)
    is_open = registration_is_open(event)
    if form is None and organizations and is_open:
        form = RegistrationForm(
            organizations=organizations,
            initial={"person_name": user.full_name, "person_email": user.email},
        )
    return {
        "event": event,
        "is_organizer": is_event_organizer(user, event),
        "registration_open": is_open,
        "form": form if is_open else None,
        "own_registrations": own,
        "has_organization": bool(organizations),
        "can_see_directory": can_see_directory(user, event),
        "status_form": EventStatusForm(),
    }


@public_page
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    return render(request, "events/event_detail.html", _detail_context(request, event))


@login_required
@require_POST
def event_register(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    organizations = _member_organizations(request)
    form = RegistrationForm(request.POST, organizations=organizations)
    if form.is_valid():
        try:
            registration = services.registration_create(
                event=event,
                organization=form.cleaned_data["organization"],
                person_name=form.cleaned_data["person_name"],
                person_email=form.cleaned_data["person_email"],
                by=request.user,
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            if registration.status == Registration.Status.CONFIRMED:
                messages.success(
                    request,
                    _("%(name)s has a place. Check-in code: %(code)s (also sent by e-mail).")
                    % {"name": registration.person_name, "code": registration.check_in_code},
                )
            else:
                messages.warning(
                    request,
                    _("The event is full: %(name)s is number %(position)d on the waiting list.")
                    % {"name": registration.person_name, "position": waiting_position(registration)},
                )
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/event_detail.html", _detail_context(request, event, form), status=400)


@login_required
@require_POST
def registration_cancel(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    event = _event(request, pk)
    registration = get_object_or_404(registration_visible_to(request.user, event), pk=registration_pk)
    try:
        services.registration_cancel(registration=registration, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The registration of %(name)s is cancelled.") % {"name": registration.person_name})
    if request.POST.get("next") == "registrations" and is_event_organizer(request.user, event):
        return redirect("events:registrations", pk=event.pk)
    return redirect("events:detail", pk=event.pk)


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    if not can_create_events(request.user):
        raise DjangoPermissionDenied
    organizers = organizer_choices(request.user)
    form = EventForm(request.POST or None, organizers=organizers)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            event = services.event_create(organizer=arguments.pop("organizer"), by=request.user, **arguments)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Saved as a draft: only your organisation sees it until you publish it."))
            return redirect("events:detail", pk=event.pk)
    return render(request, "events/event_form.html", {"form": form})


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser's members and staff edit a draft or published event (``services.event_update``)."""
    event = _organizer_event(request, pk)
    form = EventEditForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_update(event=event, by=request.user, **form.service_arguments())
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("events:detail", pk=event.pk)
    context = {"form": form, "event": event}
    return render(request, "events/event_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def event_status(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organizer_event(request, pk)
    form = EventStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("events:detail", pk=event.pk)
    try:
        event = services.event_set_status(event=event, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The event is now %(status)s.") % {"status": event.get_status_display()})
    return redirect("events:detail", pk=event.pk)


@login_required
def event_registrations(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organizer_event(request, pk)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_check_in(event=event, code=form.cleaned_data["code"], by=request.user)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s (%(organization)s) is checked in.")
                % {"name": registration.person_name, "organization": registration.organization.name},
            )
            return redirect("events:registrations", pk=event.pk)
    registrations = list(registration_visible_to(request.user, event))
    for registration in registrations:
        registration.position = waiting_position(registration)
    counts = dict.fromkeys(Registration.Status.values, 0)
    for registration in registrations:
        counts[registration.status] += 1
    counts["checked_in"] = sum(1 for r in registrations if r.checked_in_at)
    context = {"event": event, "registrations": registrations, "form": form, "counts": counts}
    return render(request, "events/event_registrations.html", context, status=400 if form.errors else 200)


@login_required
def event_attendance(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    event = _organizer_event(request, pk)
    registrations = registration_visible_to(request.user, event)
    audited = {"target": event, "organization": event.organizer}
    if fmt == "csv":
        return file_response(exports.attendance_csv(registrations), f"event-{event.pk}-attendance.csv", **audited)
    data = exports.attendance_xlsx(registrations, title=event.title)
    return file_response(data, f"event-{event.pk}-attendance.xlsx", **audited)


def event_ics(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    data = calendar_for([event], event.title, base_url=_base_url(request))
    return file_response(data, f"event-{event.pk}.ics", target=event, organization=event.organizer)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def registration_not_me(request: HttpRequest, token: str) -> HttpResponse:
    """The person a registration names, from the link in its e-mail: a page saying who registered them for what
    (GET changes nothing), and a button that cancels it (POST). No account needed: the link is signed."""
    try:
        registration = services.registration_from_not_me_token(token)
    except ApplicationError as error:
        return render(request, "events/not_me.html", {"error": error.message}, status=404)
    if request.method == "POST":
        registration = services.registration_disown(token=token)
        return render(request, "events/not_me.html", {"registration": registration, "done": True})
    return render(request, "events/not_me.html", {"registration": registration})
