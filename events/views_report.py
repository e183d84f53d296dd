"""The organiser's report of an event: the figures (``events.outcomes.event_report``), the agreements signed at
the event with the form to record one, and the report as CSV or Excel.

Who may do what (after the 404 for events the user may not see): the organiser's members and staff (others: 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.downloads import file_response
from core.exceptions import ApplicationError
from core.forms import add_application_error

from . import exports, outcomes
from .forms import EventAgreementForm
from .selectors import event_agreements
from .views import _organizer_event


@login_required
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    event = _organizer_event(request, pk)
    search = request.GET.get("q", "").strip()[:100]
    form = EventAgreementForm(request.POST or None, event=event, search=search)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = outcomes.event_agreement_record(event=event, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The agreement %(agreement)s is recorded.") % {"agreement": agreement})
            return redirect("events:report", pk=event.pk)
    report = outcomes.event_report(event=event)
    context = {
        "event": event,
        "report": report,
        "figures": exports.report_figures(report),
        "agreements": list(event_agreements(event)),
        "form": form,
        "search": search,
    }
    return render(request, "events/event_report.html", context, status=400 if form.errors else 200)


@login_required
def report_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    event = _organizer_event(request, pk)
    report, agreements = outcomes.event_report(event=event), event_agreements(event)
    audited = {"target": event, "organization": event.organizer}
    if fmt == "csv":
        return file_response(exports.report_csv(report, agreements), f"event-{event.pk}-report.csv", **audited)
    data = exports.report_xlsx(report, agreements, title=event.title)
    return file_response(data, f"event-{event.pk}-report.xlsx", **audited)
