"""Auctions of achievements: an organiser runs an auction whose lots are published achievements; verified
enterprises register as bidders, the organiser approves them, and they bid until each lot's end.

* ``Auction``: the organiser's (an ``Organization`` of kind organiser), draft -> published -> closed (every lot
  closed), or cancelled (its open lots withdrawn).
* ``Lot``: one achievement with its starting price, reserve price and increment (10k CNY, ``_wan``), a bidding window
  (``starts_at``, ``ends_at``: the end moves later when a bid arrives in its last minutes, ``extensions`` counts the
  moves), and what bidding has reached (``current_price_wan``, ``leading_bid``, ``bid_count``). Once closed it is
  sold (the winning bid met the reserve: ``agreement`` is the agreement on the achievement), unsold, or withdrawn.
* ``BidderRegistration``: an enterprise asks to bid at an auction; the organiser approves or rejects it.
* ``Bid``: an accepted bid. Refused bids are not stored (a refusal changes nothing); the outcome of a bid is read
  from its lot: the lot's ``leading_bid`` leads (and wins once the lot is sold), the others were outbid.

The services lock the lot row for every bid and for the close (``auctions.services``); the check constraints and the
unique ``(lot, amount_wan)`` hold the line whatever happens.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.limits import BODY_MAX, NOTE_MAX, bounded

MONEY = {"max_digits": 12, "decimal_places": 2}


class Auction(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    organizer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="auctions", verbose_name=_("organiser")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, **bounded(BODY_MAX))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )  # fmt: skip
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("auction")
        verbose_name_plural = _("auctions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "cancelled"]) | Q(published_at__isnull=False),
                name="auction_published_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="auction_closed_has_date"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="auction_status_created")]

    def __str__(self) -> str:
        return self.title


class Lot(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SOLD = "sold", _("sold")
        UNSOLD = "unsold", _("unsold")
        WITHDRAWN = "withdrawn", _("withdrawn")

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="lots", verbose_name=_("auction"))
    achievement = models.ForeignKey(
        "marketplace.Achievement", on_delete=models.PROTECT, related_name="+", verbose_name=_("achievement")
    )
    starting_price_wan = models.DecimalField(_("starting price (10k CNY)"), **MONEY)
    reserve_price_wan = models.DecimalField(
        _("reserve price (10k CNY)"), null=True, blank=True,
        help_text=_("The lowest price the lot sells at; empty: no reserve. Bidders do not see it."), **MONEY,
    )  # fmt: skip
    increment_wan = models.DecimalField(_("bid increment (10k CNY)"), **MONEY)
    starts_at = models.DateTimeField(_("bidding opens"))
    ends_at = models.DateTimeField(
        _("bidding closes"), help_text=_("Moves later when a bid arrives in the last minutes.")
    )
    extensions = models.PositiveIntegerField(_("extensions"), default=0, editable=False)
    current_price_wan = models.DecimalField(
        _("current price (10k CNY)"), null=True, blank=True, editable=False, **MONEY
    )
    leading_bid = models.ForeignKey(
        "Bid", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("leading bid"),
    )  # fmt: skip
    bid_count = models.PositiveIntegerField(_("bids"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    agreement = models.OneToOneField(
        "matching.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="auction_lot",
        editable=False, verbose_name=_("agreement"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["ends_at", "pk"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="lot_ends_after_start"),
            models.CheckConstraint(condition=Q(starting_price_wan__gte=0), name="lot_starting_price_not_negative"),
            models.CheckConstraint(
                condition=Q(reserve_price_wan__isnull=True) | Q(reserve_price_wan__gte=0),
                name="lot_reserve_not_negative",
            ),
            models.CheckConstraint(condition=Q(increment_wan__gt=0), name="lot_increment_positive"),
            models.CheckConstraint(
                condition=Q(current_price_wan__isnull=True) | Q(current_price_wan__gte=F("starting_price_wan")),
                name="lot_price_from_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="sold") | Q(leading_bid__isnull=False), name="lot_sold_has_winner"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "withdrawn"]) | Q(closed_at__isnull=False), name="lot_closed_has_date"
            ),
            # An achievement is on offer in one open lot at a time.
            models.UniqueConstraint(
                fields=["achievement"], condition=Q(status="open"), name="lot_one_open_per_achievement"
            ),
        ]
        indexes = [models.Index(fields=["status", "ends_at"], name="lot_status_ends")]

    def __str__(self) -> str:
        return str(self.achievement)

    @property
    def price_wan(self) -> Decimal:
        """The price shown: the highest bid, or the starting price before any."""
        return self.current_price_wan if self.current_price_wan is not None else self.starting_price_wan

    @property
    def minimum_bid_wan(self) -> Decimal:
        """The least the next bid may be: the starting price for the first, then the current price plus the
        increment."""
        if self.current_price_wan is None:
            return self.starting_price_wan
        return self.current_price_wan + self.increment_wan

    @property
    def reserve_met(self) -> bool:
        return self.current_price_wan is not None and (
            self.reserve_price_wan is None or self.current_price_wan >= self.reserve_price_wan
        )


class BidderRegistration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="bidders", verbose_name=_("auction"))
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, **bounded(NOTE_MAX))
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("bidder registration")
        verbose_name_plural = _("bidder registrations")
        constraints = [
            models.UniqueConstraint(fields=["auction", "organization"], name="bidder_once_per_auction"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="bidder_decision_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} @ {self.auction} ({self.get_status_display()})"


class Bid(models.Model):
    """An accepted bid (refused ones are not stored)."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="bids", verbose_name=_("lot"))
    bidder = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("bidder")
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("placed by"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    amount_wan = models.DecimalField(_("amount (10k CNY)"), **MONEY)
    placed_at = models.DateTimeField(_("placed at"))
    extended_end = models.BooleanField(
        _("extended the end"), default=False, help_text=_("The bid came in the last minutes and moved the end later.")
    )

    class Meta:
        ordering = ["-amount_wan", "-pk"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            # The last guard: two bids of one lot never share an amount, whatever the concurrency.
            models.UniqueConstraint(fields=["lot", "amount_wan"], name="bid_one_per_amount"),
            models.CheckConstraint(condition=Q(amount_wan__gt=0), name="bid_amount_positive"),
        ]
        indexes = [models.Index(fields=["lot", "placed_at"], name="bid_lot_placed")]

    def __str__(self) -> str:
        return f"{self.lot} · {self.amount_wan}"
