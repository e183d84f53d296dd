"""Pages of roadshow programmes: the public programme with the form to apply to present, and the organiser's
applications with accepting into a timed slot and declining.

Who may do what (after the 404 for events the user may not see; docking events have no programme, a 404 too):

* programme: anyone;
* apply to present: members, for one of their organisations' published achievements (and needs, at financing
  presentations), while the event is published;
* applications, accept into a slot, decline: the organiser's members and staff (others: 403).

The rules are ``events.programme``'s; its ``ApplicationError`` becomes a form error.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import user_organization_ids
from core.exceptions import ApplicationError, PermissionDenied
from core.forms import add_application_error

from . import programme
from .forms import DATETIME_FORMAT, PresentationApplyForm, PresentationScheduleForm
from .models import Event, PresentationApplication
from .selectors import applications_visible_to, is_event_organizer, presentable_listings
from .views import _event, _organizer_event


def _programme_event(request: HttpRequest, pk: int) -> Event:
    event = _event(request, pk)
    if event.kind == Event.Kind.DOCKING:
        raise Http404
    return event


def _apply_form(request: HttpRequest, event: Event, data: Any = None) -> PresentationApplyForm:
    achievements, needs = presentable_listings(request.user, event)
    return PresentationApplyForm(data, achievements=achievements, needs=needs)


def _programme_context(request: HttpRequest, event: Event, form: PresentationApplyForm | None = None) -> dict[str, Any]:
    user = request.user
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    can_apply = bool(organization_ids) and event.status == Event.Status.PUBLISHED
    if form is None and can_apply:
        form = _apply_form(request, event)
    own = applications_visible_to(user).filter(event=event, organization_id__in=organization_ids)
    return {
        "event": event,
        "entries": programme.programme(event=event),
        "form": form if can_apply else None,
        "own_applications": list(own),
        "is_organizer": is_event_organizer(user, event),
    }


def programme_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _programme_event(request, pk)
    return render(request, "events/programme.html", _programme_context(request, event))


@login_required
@require_POST
def presentation_apply(request: HttpRequest, pk: int) -> HttpResponse:
    event = _programme_event(request, pk)
    form = _apply_form(request, event, request.POST)
    if form.is_valid():
        listing = form.cleaned_data["listing"]
        try:
            programme.presentation_apply(
                event=event,
                organization=listing.organization,
                by=request.user,
                listing=listing,
                pitch=form.cleaned_data["pitch"],
            )
        except PermissionDenied as error:
            raise DjangoPermissionDenied(error.message) from error
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request, _("Your application to present %(title)s is sent to the organiser.") % {"title": listing}
            )
            return redirect("events:programme", pk=event.pk)
    return render(request, "events/programme.html", _programme_context(request, event, form), status=400)


def _schedule_form(application: PresentationApplication, data: Any = None) -> PresentationScheduleForm:
    event = application.event
    starts = application.slot_starts_at or event.starts_at
    ends = application.slot_ends_at or min(starts + datetime.timedelta(minutes=15), event.ends_at)
    initial = {
        "starts_at": timezone.localtime(starts).strftime(DATETIME_FORMAT),
        "ends_at": timezone.localtime(ends).strftime(DATETIME_FORMAT),
    }
    return PresentationScheduleForm(data, prefix=f"application-{application.pk}", initial=initial)


def _applications_page(
    request: HttpRequest, event: Event, bound: PresentationScheduleForm | None = None, bound_pk: int | None = None
) -> HttpResponse:
    applications = list(applications_visible_to(request.user).filter(event=event))
    for application in applications:
        application.form = bound if application.pk == bound_pk and bound is not None else _schedule_form(application)
    counts = dict.fromkeys(PresentationApplication.Status.values, 0)
    for application in applications:
        counts[application.status] += 1
    context = {"event": event, "applications": applications, "counts": counts}
    return render(request, "events/applications.html", context, status=400 if bound is not None else 200)


@login_required
def applications_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organizer_event(request, pk)
    if event.kind == Event.Kind.DOCKING:
        raise Http404
    return _applications_page(request, event)


def _application(request: HttpRequest, pk: int, application_pk: int) -> PresentationApplication:
    event = _organizer_event(request, pk)
    if event.kind == Event.Kind.DOCKING:
        raise Http404
    return get_object_or_404(applications_visible_to(request.user).filter(event=event), pk=application_pk)


@login_required
@require_POST
def presentation_schedule(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    application = _application(request, pk, application_pk)
    form = _schedule_form(application, request.POST)
    if form.is_valid():
        try:
            programme.presentation_schedule(application=application, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(
                request,
                _("%(title)s is in the programme at %(time)s.")
                % {
                    "title": application,
                    "time": f"{timezone.localtime(form.cleaned_data['starts_at']):%Y-%m-%d %H:%M}",
                },
            )
            return redirect("events:applications", pk=application.event_id)
    return _applications_page(request, application.event, form, application.pk)


@login_required
@require_POST
def presentation_decline(request: HttpRequest, pk: int, application_pk: int) -> HttpResponse:
    application = _application(request, pk, application_pk)
    programme.presentation_decline(application=application, by=request.user)
    messages.success(request, _("The application to present %(title)s is declined.") % {"title": application})
    return redirect("events:applications", pk=application.event_id)
