"""Auctions in admin. What has rules (status, lots, prices, bids, bidder decisions) is read-only here and changed by
actions that call the auctions services, as the pages and the API do: staff edit an auction's title and description
through ``auction_update``, publish or cancel auctions, approve or reject bidders, withdraw lots, and close lots
that are due (the periodic task's work, now)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, run_for_each

from . import services
from .models import Auction, Bid, BidderRegistration, Lot


class LotInline(ReadOnlyInline):
    model = Lot
    fields = ("achievement", "starting_price_wan", "reserve_price_wan", "increment_wan", "current_price_wan",
              "bid_count", "starts_at", "ends_at", "status")  # fmt: skip
    readonly_fields = fields
    show_change_link = True


class BidderRegistrationInline(ReadOnlyInline):
    model = BidderRegistration
    fields = ("organization", "status", "requested_by", "decided_by", "decided_at", "created_at")
    readonly_fields = fields


@admin.register(Auction)
class AuctionAdmin(admin.ModelAdmin):
    """Organisers create auctions on the site (``auction_create``); here staff edit the title and description through
    ``auction_update`` and move the status by the actions."""

    list_display = ("title", "organizer", "status", "published_at", "closed_at", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "organizer__name")
    fields = ("title", "description", "organizer", "status", "created_by", "published_at", "closed_at")
    readonly_fields = ("organizer", "status", "created_by", "published_at", "closed_at")
    inlines = [LotInline, BidderRegistrationInline]
    actions = ["publish_selected", "cancel_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Auction, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        services.auction_update(auction=Auction.objects.get(pk=obj.pk), by=request.user, title=data["title"],
                                description=data["description"])  # fmt: skip

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """The inlines are read-only: saving them writes nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _move(self, request: HttpRequest, queryset: QuerySet[Auction], status: str, done: str) -> None:
        run_for_each(self, request, queryset, lambda auction: services.auction_set_status(
            auction=auction, by=request.user, status=status), done)  # fmt: skip

    @admin.action(description=_("Publish the selected auctions"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Auction]) -> None:
        self._move(request, queryset, Auction.Status.PUBLISHED, _("%(count)d auctions published."))

    @admin.action(description=_("Cancel the selected auctions (their open lots are withdrawn)"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Auction]) -> None:
        self._move(request, queryset, Auction.Status.CANCELLED, _("%(count)d auctions cancelled."))


class BidInline(ReadOnlyInline):
    model = Bid
    fields = ("bidder", "amount_wan", "placed_at", "placed_by", "extended_end")
    readonly_fields = fields


@admin.register(Lot)
class LotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "auction", "current_price_wan", "reserve_price_wan", "bid_count", "ends_at", "status")
    list_filter = ("status", "auction")
    search_fields = ("achievement__title", "auction__title")
    inlines = [BidInline]
    actions = ["close_due_selected", "withdraw_selected"]

    @admin.action(description=_("Close the selected lots whose bidding time is over"))
    def close_due_selected(self, request: HttpRequest, queryset: QuerySet[Lot]) -> None:
        run_for_each(self, request, queryset, lambda lot: services.lot_close(lot=lot),
                     _("%(count)d lots checked: those due are closed."))  # fmt: skip

    @admin.action(description=_("Withdraw the selected lots"))
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet[Lot]) -> None:
        run_for_each(self, request, queryset, lambda lot: services.lot_withdraw(lot=lot, by=request.user),
                     _("%(count)d lots withdrawn."))  # fmt: skip


@admin.register(BidderRegistration)
class BidderRegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("organization", "auction", "status", "decided_by", "decided_at", "created_at")
    list_filter = ("status", "auction")
    search_fields = ("organization__name", "auction__title")
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description=_("Approve the selected bidders"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[BidderRegistration]) -> None:
        run_for_each(self, request, queryset, lambda registration: services.bidder_decide(
            registration=registration, by=request.user, approve=True), _("%(count)d bidders approved."))  # fmt: skip

    @admin.action(description=_("Reject the selected bidders"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[BidderRegistration]) -> None:
        run_for_each(self, request, queryset, lambda registration: services.bidder_decide(
            registration=registration, by=request.user, approve=False), _("%(count)d bidders rejected."))  # fmt: skip


@admin.register(Bid)
class BidAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("lot", "bidder", "amount_wan", "placed_at", "placed_by", "extended_end")
    list_filter = ("lot__auction",)
    search_fields = ("lot__achievement__title", "bidder__name")
