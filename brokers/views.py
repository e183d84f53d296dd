"""Brokers' pages: an organisation's owners appoint, change and revoke its brokers; a broker sees the listings they
work (their matches are on the match pages, ``matching.selectors.match_visible_to``) and may step down."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Membership, Organization
from core.exceptions import ApplicationError
from core.forms import add_application_error

from . import services
from .forms import AppointForm, ListingsForm, RevokeForm
from .models import BrokerAppointment
from .selectors import appointments_visible_to


def _owned(request: HttpRequest) -> list[Organization]:
    """The organisations whose brokers the user manages (owners; not service agencies)."""
    return [
        membership.organization
        for membership in request.user.memberships.filter(role=Membership.Role.OWNER)
        .exclude(organization__kind=Organization.Kind.SERVICE_AGENCY)
        .select_related("organization")
        .order_by("created_at")
    ]


def _with_listings(appointments: list[BrokerAppointment]) -> list[BrokerAppointment]:
    """Each appointment's listings, as (kind for the posting's address, posting), achievements first."""
    for appointment in appointments:
        appointment.listed = [("achievements", posting) for posting in appointment.achievements.all()] + [
            ("needs", posting) for posting in appointment.needs.all()
        ]
    return appointments


@login_required
def broker_index(request: HttpRequest) -> HttpResponse:
    visible = appointments_visible_to(user=request.user).prefetch_related("achievements", "needs")
    owned = _owned(request)
    context = {
        "as_broker": _with_listings(list(visible.filter(broker=request.user, revoked_at__isnull=True))),
        "for_us": _with_listings(list(visible.exclude(broker=request.user).order_by("revoked_at", "-appointed_at"))),
        "owned": owned,
    }
    return render(request, "brokers/index.html", context)


@login_required
def broker_appoint(request: HttpRequest) -> HttpResponse:
    owned = _owned(request)
    asked = request.POST.get("organization") or request.GET.get("organization")
    organization = next((o for o in owned if str(o.pk) == asked), owned[0] if owned else None)
    if organization is None:
        raise DjangoPermissionDenied
    form = AppointForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.broker_appoint(
                organization=organization, by=request.user, broker_email=data["broker_email"],
                achievement_ids=data["achievements"], need_ids=data["needs"], note=data["note"],
            )  # fmt: skip
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The broker was appointed and told."))
            return redirect("brokers:index")
    context = {"form": form, "organization": organization, "owned": owned}
    return render(request, "brokers/appoint.html", context)


def _appointment(request: HttpRequest, pk: int) -> BrokerAppointment:
    return get_object_or_404(appointments_visible_to(user=request.user), pk=pk)


@login_required
def broker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    manager = services.may_appoint(request.user, appointment.organization)
    form = None
    if manager and appointment.active:
        form = ListingsForm(
            request.POST or None,
            organization=appointment.organization,
            initial={
                "achievements": list(appointment.achievements.values_list("pk", flat=True)),
                "needs": list(appointment.needs.values_list("pk", flat=True)),
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.broker_set_listings(
                    appointment=appointment, by=request.user, achievement_ids=form.cleaned_data["achievements"],
                    need_ids=form.cleaned_data["needs"],
                )  # fmt: skip
            except ApplicationError as error:
                add_application_error(form, error)
            else:
                messages.success(request, _("The listings were changed and the broker told."))
                return redirect("brokers:detail", pk=appointment.pk)
    elif request.method == "POST":
        raise DjangoPermissionDenied
    context = {
        "appointment": _with_listings([appointment])[0],
        "form": form,
        "manager": manager,
        "is_broker": appointment.broker_id == request.user.pk,
        "revoke_form": RevokeForm(),
    }
    return render(request, "brokers/detail.html", context)


@login_required
@require_POST
def broker_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.broker_revoke(appointment=appointment, by=request.user, reason=reason)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if appointment.broker_id == request.user.pk:
            messages.success(request, _("You stepped down as this organisation's broker."))
        else:
            messages.success(request, _("The appointment was revoked; the broker was told."))
    return redirect("brokers:detail", pk=appointment.pk)
