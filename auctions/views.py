"""Server-rendered pages of auctions: the list, an auction with its lots, a lot with its bid form, creating and
publishing an auction and adding lots, the organiser's bidder registrations, and the small JSON state of a lot that
the lot page's script (static/js/auction-live.js) polls so that the price and the bidder's standing update without
reloading.

Reads start from ``auctions.selectors`` (an auction the user may not see is a 404 on every page, its lots too); writes
go through ``auctions.services``, whose ``ApplicationError`` becomes a form error or a message.

Who may do what (after the 404 for auctions the user may not see):

* list, auction and lot pages, a lot's state: anyone (bidders' names never shown, except to the organiser and staff);
* register as a bidder: members of a verified enterprise, at a published auction;
* bid: members of an approved bidder;
* create an auction: members of an organiser organisation (staff: for any organiser);
* publish or cancel an auction, add and withdraw lots, the bidders page with approving and rejecting, every bid with
  its bidder: the organiser's members and staff (others: 403).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Organization
from accounts.selectors import user_organization_ids
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import public_page

from . import services
from .forms import AuctionForm, AuctionStatusForm, BidderDecisionForm, BidderRegisterForm, BidForm, LotForm
from .models import Auction, BidderRegistration, Lot
from .selectors import (
    auction_visible_to,
    bidder_organizations,
    bids_visible_to,
    can_create_auctions,
    can_see_bidders,
    is_auction_organizer,
    lot_achievement_choices,
    lot_state,
    lot_visible_to,
    organizer_choices,
    registrable_organizations,
    registrations_visible_to,
)

PAGE_SIZE = 20


def _auction(request: HttpRequest, pk: int) -> Auction:
    return get_object_or_404(auction_visible_to(request.user), pk=pk)


def _organizer_auction(request: HttpRequest, pk: int) -> Auction:
    """The auction, for its organiser's members and staff only: 404 when hidden, 403 when visible but not theirs."""
    auction = _auction(request, pk)
    if not is_auction_organizer(request.user, auction):
        raise DjangoPermissionDenied
    return auction


def _add_error(form: Any, error: ApplicationError) -> None:
    """The error on the field it names, or on the form when that field is hidden (an organisation chosen without
    asking, the only one the user has)."""
    if error.field in form.fields and form.fields[error.field].widget.is_hidden:
        form.add_error(None, error.message)
    else:
        add_application_error(form, error)


def _member_organizations(request: HttpRequest) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=user_organization_ids(user=request.user)).order_by("name")


def _lot(request: HttpRequest, pk: int) -> Lot:
    return get_object_or_404(lot_visible_to(request.user).select_related("leading_bid__bidder"), pk=pk)


@public_page
def auction_list(request: HttpRequest) -> HttpResponse:
    queryset = auction_visible_to(request.user).prefetch_related("lots")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": "", "can_create": can_create_auctions(request.user)}
    return render(request, "auctions/auction_list.html", context)


def _detail_context(request: HttpRequest, auction: Auction, form: BidderRegisterForm | None = None) -> dict[str, Any]:
    user = request.user
    registrable = registrable_organizations(user, auction)
    if form is None and registrable.exists():
        form = BidderRegisterForm(organizations=registrable)
    return {
        "auction": auction,
        "lots": auction.lots.select_related("achievement__organization").order_by("ends_at", "pk"),
        "is_organizer": is_auction_organizer(user, auction),
        "register_form": form,
        "own_registrations": registrations_visible_to(user, auction) if user.is_authenticated else [],
        "can_see_bidders": can_see_bidders(user, auction),
    }


@public_page
def auction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _auction(request, pk)
    return render(request, "auctions/auction_detail.html", _detail_context(request, auction))


@login_required
def auction_create(request: HttpRequest) -> HttpResponse:
    if not can_create_auctions(request.user):
        raise DjangoPermissionDenied
    form = AuctionForm(request.POST or None, organizers=organizer_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            auction = services.auction_create(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Saved as a draft: add lots, then publish the auction."))
            return redirect("auctions:detail", pk=auction.pk)
    return render(request, "auctions/auction_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def auction_status(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _organizer_auction(request, pk)
    form = AuctionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("auctions:detail", pk=auction.pk)
    try:
        auction = services.auction_set_status(auction=auction, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The auction is now %(status)s.") % {"status": auction.get_status_display()})
    return redirect("auctions:detail", pk=auction.pk)


@login_required
def lot_add(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _organizer_auction(request, pk)
    form = LotForm(request.POST or None, achievements=lot_achievement_choices())
    if request.method == "POST" and form.is_valid():
        try:
            services.lot_add(auction=auction, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The lot is added."))
            return redirect("auctions:detail", pk=auction.pk)
    context = {"form": form, "auction": auction}
    return render(request, "auctions/lot_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def bidder_register(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _auction(request, pk)
    form = BidderRegisterForm(request.POST, organizations=_member_organizations(request))
    if form.is_valid():
        try:
            services.bidder_register(auction=auction, organization=form.cleaned_data["organization"], by=request.user)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Your registration is sent: the organiser approves bidders."))
            return redirect("auctions:detail", pk=auction.pk)
    return render(request, "auctions/auction_detail.html", _detail_context(request, auction, form), status=400)


@login_required
def bidders_page(request: HttpRequest, pk: int) -> HttpResponse:
    auction = _organizer_auction(request, pk)
    registrations = registrations_visible_to(request.user, auction)
    return render(request, "auctions/bidders.html", {"auction": auction, "registrations": registrations})


@login_required
@require_POST
def bidder_decide(request: HttpRequest, pk: int, registration_pk: int) -> HttpResponse:
    auction = _organizer_auction(request, pk)
    registration = get_object_or_404(BidderRegistration, auction=auction, pk=registration_pk)
    form = BidderDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Approve or reject the bidder."))
        return redirect("auctions:bidders", pk=auction.pk)
    try:
        registration = services.bidder_decide(
            registration=registration, by=request.user, approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(organization)s is %(status)s.")
            % {"organization": registration.organization.name, "status": registration.get_status_display()},
        )
    return redirect("auctions:bidders", pk=auction.pk)


def _lot_context(request: HttpRequest, lot: Lot, form: BidForm | None = None) -> dict[str, Any]:
    user = request.user
    organizations = bidder_organizations(user, lot.auction)
    state = lot_state(user, lot)
    if form is None and state.bidding_open and organizations.exists():
        form = BidForm(organizations=organizations, minimum=lot.minimum_bid_wan)
    see_bidders = can_see_bidders(user, lot.auction)
    return {
        "lot": lot,
        "auction": lot.auction,
        "state": state,
        "form": form if state.bidding_open else None,
        "is_organizer": is_auction_organizer(user, lot.auction),
        "can_see_bidders": see_bidders,
        "bids": bids_visible_to(user, lot)[:100] if user.is_authenticated else [],
        "is_bidder": organizations.exists(),
    }


@public_page
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    return render(request, "auctions/lot_detail.html", _lot_context(request, lot))


@login_required
@require_POST
def lot_bid(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    # Any of the user's organisations: the service says why one may not bid (not approved, the seller...).
    form = BidForm(request.POST, organizations=_member_organizations(request))
    if form.is_valid():
        try:
            bid = services.bid_place(lot=lot, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Your bid of %(amount)s (10k CNY) leads.") % {"amount": bid.amount_wan})
            return redirect("auctions:lot", pk=lot.pk)
    lot = _lot(request, pk)
    context = _lot_context(request, lot, form)
    context["form"] = form  # the errors are shown even when the refusal was that bidding closed
    return render(request, "auctions/lot_detail.html", context, status=400)


@login_required
@require_POST
def lot_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    lot = _lot(request, pk)
    if not is_auction_organizer(request.user, lot.auction):
        raise DjangoPermissionDenied
    try:
        services.lot_withdraw(lot=lot, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The lot is withdrawn."))
    return redirect("auctions:detail", pk=lot.auction_id)


@never_cache
def lot_state_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The lot's price, end and the requesting user's standing, for the lot page's script (never who bid)."""
    lot = _lot(request, pk)
    data = asdict(lot_state(request.user, lot))
    for key in ("current_price_wan", "starting_price_wan", "minimum_bid_wan", "increment_wan"):
        data[key] = None if data[key] is None else str(data[key])
    data["ends_at_display"] = f"{timezone.localtime(lot.ends_at):%Y-%m-%d %H:%M:%S}"
    return JsonResponse(data)
