"""Server-rendered pages of matches: the organisation's matches (with its unread notifications) and one match, where
a side accepts or declines it and records the agreement once both sides are in contact.

Every page starts from ``match_visible_to`` (a match the user may not see is a 404) and every change goes through
``matching.services``. The other side's contact is shown only when ``match_contact_visible`` allows it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import MEMBERSHIPS_VERSION, notifications_for, staff_may, user_organization_ids
from accounts.services import notifications_mark_read
from brokers.selectors import brokered_listings
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import PAGES_VERSION
from core.versions import SharedVersion, kept_at
from marketplace.selectors import POSTINGS_VERSION

from . import services
from .explaining import ensure_explained
from .forms import AgreementForm, DeclineForm
from .models import Match, MatchEvent
from .selectors import CONTACT_STATUSES, MATCHES_VERSION, match_contact_visible, match_visible_to
from .serializers import localized_reasons, posting_contact

PAGE_SIZE = 20
NOTIFICATIONS_SHOWN = 20
LIST_SECONDS = 60

COMPONENT_LABELS = {
    "text": gettext_lazy("Technical content"),
    "domain": gettext_lazy("Domain"),
    "region": gettext_lazy("Region"),
    "readiness": gettext_lazy("Readiness"),
    "price": gettext_lazy("Price"),
    "mode": gettext_lazy("Cooperation mode"),
}
SIDE_LABELS = {
    "achievement": gettext_lazy("achievement side"),
    "need": gettext_lazy("need side"),
    "staff": gettext_lazy("platform staff"),
    "system": gettext_lazy("the platform"),
    "organiser": gettext_lazy("the organiser"),
}
ACTION_LABELS = {
    "approve": gettext_lazy("approved by staff"),
    "release": gettext_lazy("released by the platform's rule"),
    "reject": gettext_lazy("rejected by staff"),
    "accept": gettext_lazy("accepted"),
    "decline": gettext_lazy("declined"),
    "agreement": gettext_lazy("agreement recorded"),
    "withdraw": gettext_lazy("withdrawn at the need's deadline"),
    "restore": gettext_lazy("suggested again"),
    "award": gettext_lazy("awarded in an open call"),
}
# Notes the sides read: what a person typed (a side's reason, an organiser's award). Staff's notes stay with staff,
# and the platform's own (the release rule, a deadline) are written in English for the log: the action says it.
NOTES_SHOWN = ("achievement", "need", "organiser")


def _bars(match: Match) -> list[dict[str, Any]]:
    """One row per component: its label, its value (0-1), the reason in the active language, broken or not."""
    rows = []
    seen = set()
    for reason in localized_reasons(match):
        component = reason["component"]
        value = match.components.get(component, reason["value"])
        seen.add(component)
        rows.append({**reason, "value": value, "label": COMPONENT_LABELS.get(component, component)})
    pending = _("The reasons for this score are being written; reload the page in a moment.")
    for component, value in match.components.items():
        if component not in seen:
            text = pending if match.reasons is None and component == "text" else ""
            rows.append(
                {"component": component, "value": value, "text": text, "broken": component in match.broken,
                 "label": COMPONENT_LABELS.get(component, component)}
            )  # fmt: skip
    return rows


def _side(user: User, match: Match) -> str | None:
    return services.match_side(user=user, match=match)


def _visible(request: HttpRequest) -> QuerySet[Match]:
    # Cities in a query of their own: joined too, they made ten relations, past which PostgreSQL plans the joins in
    # the written order and read every released match before the organisation's few (450 ms, against 1 ms).
    return match_visible_to(user=request.user).prefetch_related("achievement__city", "need__city")


@login_required
def match_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    chosen_status = request.GET.get("status") if request.GET.get("status") in Match.Status.values else ""
    chosen_side = request.GET.get("side") if request.GET.get("side") in ("achievement", "need") else ""
    page_asked = request.GET.get("page", "")[:12]
    organization_ids = user_organization_ids(user=user)

    def listed() -> dict[str, Any]:
        return _match_list_body(request, chosen_status, chosen_side, organization_ids)

    if staff_may(user, "matching.view_match"):  # staff see what the engine writes in bulk, without signals
        body = listed()
    else:
        # A member's list is kept until what it shows changes (matches, postings and organisations, memberships:
        # each moves its version), at most LIST_SECONDS; not while a match on it still waits for its reasons.
        name = f"match-list:{user.pk}:{get_language()}:{chosen_status}:{chosen_side}:{page_asked}"
        body = kept_at(_list_versions(), name, listed, LIST_SECONDS, keep_if=lambda built: built["explained"])

    notifications = list(
        notifications_for(user=user).filter(read_at__isnull=True).select_related("organization")[:NOTIFICATIONS_SHOWN]
    )
    notifications_mark_read(organization_ids=organization_ids, ids=[n.pk for n in notifications])
    return render(
        request,
        "matching/match_list.html",
        {"total": body["total"], "list_html": body["html"], "notifications": notifications},
    )


def _list_versions() -> list[SharedVersion]:
    return [MATCHES_VERSION, POSTINGS_VERSION, PAGES_VERSION, MEMBERSHIPS_VERSION]


def _match_list_body(
    request: HttpRequest, chosen_status: str, chosen_side: str, organization_ids: list[int]
) -> dict[str, Any]:
    """The list's filters, its page of matches with their bars, and the page links, as HTML; the total."""
    visible = _visible(request)
    counts = dict(visible.order_by().values_list("status").annotate(count=Count("pk")))
    statuses = [(value, str(label), counts[value]) for value, label in Match.Status.choices if counts.get(value)]
    queryset = visible
    if chosen_status:
        queryset = queryset.filter(status=chosen_status)
    if chosen_side:
        brokered = getattr(brokered_listings(user=request.user), f"{chosen_side}s")
        ours = Q(**{f"{chosen_side}__organization_id__in": organization_ids})
        queryset = queryset.filter(ours | Q(**{f"{chosen_side}_id__in": list(brokered)}))
    page = Paginator(queryset.order_by("-score", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    ensure_explained(page)  # one batch for the page's matches still without reasons
    rows = [{"match": match, "side": _side(request.user, match), "bars": _bars(match)} for match in page]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "statuses": statuses,
        "total": sum(counts.values()),
        "chosen_status": chosen_status,
        "chosen_side": chosen_side,
        "query": query.urlencode(),
    }
    return {
        "html": render_to_string("matching/_match_list_body.html", context, request=request),
        "total": context["total"],
        "explained": all(match.reasons is not None for match in page),
    }


def _match(request: HttpRequest, pk: int) -> Match:
    return get_object_or_404(
        _visible(request).prefetch_related(
            "achievement__domains",
            "need__domains",
            "agreements",
            Prefetch("events", queryset=MatchEvent.objects.order_by("at", "pk")),
        ),
        pk=pk,
    )


def _render_detail(
    request: HttpRequest,
    match: Match,
    *,
    decline_form: DeclineForm | None = None,
    agreement_form: AgreementForm | None = None,
) -> HttpResponse:
    user = request.user
    side = _side(user, match)
    is_staff = staff_may(user, "matching.view_match")
    can_answer = (
        side is not None
        and match.status == Match.Status.APPROVED
        and getattr(match, f"{side}_decision") == Match.Decision.PENDING
    )
    contacts: list[tuple[str, dict[str, str]]] = []
    if match_contact_visible(user=user, match=match):
        if side == "achievement":
            contacts = [(_("Contact of the need side"), posting_contact(match.need))]
        elif side == "need":
            contacts = [(_("Contact of the achievement side"), posting_contact(match.achievement))]
        elif is_staff:
            contacts = [
                (_("Contact of the achievement side"), posting_contact(match.achievement)),
                (_("Contact of the need side"), posting_contact(match.need)),
            ]
    if contacts:
        services.match_contacts_seen(user=user, matches=[match])
    events = [
        {
            "event": event,
            "action": ACTION_LABELS.get(event.action, event.action),
            "side": SIDE_LABELS.get(event.side, event.side),
            "by_broker": event.by_broker,
            "note": event.note if (is_staff or event.side in NOTES_SHOWN) else "",
        }
        for event in match.events.all()
    ]
    can_record = (side is not None or is_staff) and match.status in CONTACT_STATUSES
    broker = services.acts_as_broker(user=user, match=match, side=side)
    context = {
        "match": match,
        "side": side,
        "broker_for": services.side_organization(match, side) if broker else None,
        "side_label": SIDE_LABELS.get(side or "", ""),
        "side_is_achievement": side == "achievement",
        "side_is_need": side == "need",
        "bars": _bars(match),
        "events": events,
        "agreements": match.agreements.all(),
        "contacts": contacts,
        "can_answer": can_answer,
        "can_record": can_record,
        "decline_form": decline_form or DeclineForm(),
        "agreement_form": agreement_form or AgreementForm(initial={"signed_on": timezone.localdate()}),
        "show_decline_reason": side is not None or is_staff,
    }
    return render(request, "matching/match_detail.html", context)


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _match(request, pk))


@login_required
@require_POST
def match_accept(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    try:
        match = services.match_accept(match=match, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if match.status == Match.Status.IN_CONTACT:
            messages.success(request, _("Both sides accepted: you now see each other's contact."))
        else:
            messages.success(request, _("Accepted. The other side has been told and will answer."))
    return redirect("matching:detail", pk=pk)


@login_required
@require_POST
def match_decline(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.match_decline(match=match, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            if error.field in form.fields:
                add_application_error(form, error)
            else:
                messages.error(request, error.message)
                return redirect("matching:detail", pk=pk)
        else:
            messages.success(request, _("Declined. The other side has been told why."))
            return redirect("matching:detail", pk=pk)
    return _render_detail(request, match, decline_form=form)


@login_required
@require_POST
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    match = _match(request, pk)
    form = AgreementForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_record(match=match, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            if error.field in form.fields:
                add_application_error(form, error)
            else:
                messages.error(request, error.message)
                return redirect("matching:detail", pk=pk)
        else:
            messages.success(request, _("The agreement is recorded; both sides have been told."))
            return redirect("matching:detail", pk=pk)
    return _render_detail(request, match, agreement_form=form)
