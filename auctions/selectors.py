"""Reads with rules for auctions: who sees which auction and lot, whose bids, and a bidder's standing.

``auction_visible_to`` is the one scoping function for auctions (``lot_visible_to`` starts from it): the public sees
published, closed and cancelled auctions; members of the organiser also see its drafts; staff see everything. A
draft is a 404 everywhere for everyone else.

Bids are confidential: the public sees a lot's current price and number of bids, never who bid. The organiser's
members and staff see every bid with its bidder (``can_see_bidders``); a bidder's members see their own
organisation's bids and its standing (leading, outbid, won, lost), never another bidder's name. The reserve price is
for the organiser and staff only.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import organisers_acted_for, staff_may, user_organization_ids
from marketplace.models import Achievement
from marketplace.models import Status as PostingStatus

from .models import Auction, Bid, BidderRegistration, Lot

PUBLIC_STATUSES = (Auction.Status.PUBLISHED, Auction.Status.CLOSED, Auction.Status.CANCELLED)


def auction_visible_to(user: User | AnonymousUser) -> QuerySet[Auction]:
    queryset = Auction.objects.select_related("organizer")
    if staff_may(user, "auctions.view_auction"):
        return queryset
    public = Q(status__in=PUBLIC_STATUSES)
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    if organization_ids:
        return queryset.filter(public | Q(organizer_id__in=organization_ids))
    return queryset.filter(public)


def lot_visible_to(user: User | AnonymousUser) -> QuerySet[Lot]:
    return Lot.objects.filter(auction__in=auction_visible_to(user)).select_related(
        "auction__organizer", "achievement__organization"
    )


def is_auction_organizer(user: User | AnonymousUser, auction: Auction) -> bool:
    """Members of the organiser and staff (the services' ``is_organizer``, read without a query when it can)."""
    if not user.is_authenticated:
        return False
    return staff_may(user, "auctions.change_auction") or auction.organizer_id in user_organization_ids(user=user)


def can_see_bidders(user: User | AnonymousUser, auction: Auction) -> bool:
    """Who bid (and the reserve price): the organiser's members and staff only."""
    if not user.is_authenticated:
        return False
    return staff_may(user, "auctions.view_bid") or auction.organizer_id in user_organization_ids(user=user)


def organizer_choices(user: User | AnonymousUser) -> QuerySet[Organization]:
    """The organiser organisations the user may create auctions for: their own (staff: every organiser)."""
    return organisers_acted_for(user, permission="auctions.add_auction")


def can_create_auctions(user: User | AnonymousUser) -> bool:
    return organizer_choices(user).exists()


def lot_achievement_choices() -> QuerySet[Achievement]:
    """The achievements a lot may offer: published, not in another open lot."""
    return (
        Achievement.objects.filter(status=PostingStatus.PUBLISHED)
        .exclude(pk__in=Lot.objects.filter(status=Lot.Status.OPEN).values("achievement_id"))
        .select_related("organization")
        .order_by("title", "pk")
    )


def bids_visible_to(user: User | AnonymousUser, lot: Lot) -> QuerySet[Bid]:
    """Every bid of the lot for its organiser's members and staff; the user's organisations' own bids for bidders;
    none for everyone else."""
    bids = Bid.objects.filter(lot=lot).select_related("bidder", "placed_by")
    if can_see_bidders(user, lot.auction):
        return bids
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    return bids.filter(bidder_id__in=organization_ids) if organization_ids else bids.none()


def registrations_visible_to(user: User | AnonymousUser, auction: Auction) -> QuerySet[BidderRegistration]:
    """Every bidder registration for the organiser's members and staff; the user's organisations' own otherwise."""
    registrations = BidderRegistration.objects.filter(auction=auction).select_related("organization", "decided_by")
    if is_auction_organizer(user, auction):
        return registrations
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    return registrations.filter(organization_id__in=organization_ids) if organization_ids else registrations.none()


def bidder_organizations(user: User | AnonymousUser, auction: Auction) -> QuerySet[Organization]:
    """The user's organisations approved to bid at the auction."""
    if not user.is_authenticated:
        return Organization.objects.none()
    approved = BidderRegistration.objects.filter(
        auction=auction, status=BidderRegistration.Status.APPROVED
    ).values("organization_id")
    return Organization.objects.filter(pk__in=user_organization_ids(user=user)).filter(pk__in=approved).order_by("name")


def registrable_organizations(user: User | AnonymousUser, auction: Auction) -> QuerySet[Organization]:
    """The user's verified enterprises that have not asked to bid at the auction yet."""
    if not user.is_authenticated or auction.status != Auction.Status.PUBLISHED:
        return Organization.objects.none()
    asked = BidderRegistration.objects.filter(auction=auction).values("organization_id")
    return (
        Organization.objects.filter(
            pk__in=user_organization_ids(user=user), kind=Organization.Kind.ENTERPRISE, verified=True
        )
        .exclude(pk=auction.organizer_id)
        .exclude(pk__in=asked)
        .order_by("name")
    )


class Standing:
    LEADING = "leading"
    OUTBID = "outbid"
    WON = "won"
    LOST = "lost"


def standing_label(standing: str | None) -> str:
    labels = {
        Standing.LEADING: _("You hold the highest bid."),
        Standing.OUTBID: _("You have been outbid."),
        Standing.WON: _("You won this lot."),
        Standing.LOST: _("Another bidder won this lot."),
    }
    return labels.get(standing or "", "")


def standing(user: User | AnonymousUser, lot: Lot) -> str | None:
    """The standing of the user's organisations on the lot: None when none of them bid; "leading" while one of them
    holds the highest bid, "outbid" otherwise; once the lot is sold "won" or "lost" (unsold or withdrawn: "outbid"
    for those who did not lead)."""
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    if not organization_ids or not Bid.objects.filter(lot=lot, bidder_id__in=organization_ids).exists():
        return None
    leading = bool(
        lot.leading_bid_id and Bid.objects.filter(pk=lot.leading_bid_id, bidder_id__in=organization_ids).exists()
    )
    if lot.status == Lot.Status.SOLD:
        return Standing.WON if leading else Standing.LOST
    return Standing.LEADING if leading else Standing.OUTBID


@dataclass
class LotState:
    """What the lot page shows and its live script polls: the price, the next minimum bid, the end, the bidding
    window, the number of bids and the requesting user's standing (never who bid)."""

    id: int
    status: str
    status_display: str
    current_price_wan: Decimal | None
    starting_price_wan: Decimal
    minimum_bid_wan: Decimal
    increment_wan: Decimal
    bid_count: int
    starts_at: str
    ends_at: str
    bidding_open: bool
    seconds_left: int
    standing: str | None
    standing_display: str


def bidding_open(lot: Lot) -> bool:
    """Whether the lot takes bids now (the rule the bid service enforces under its lock)."""
    now = timezone.now()
    return (
        lot.status == Lot.Status.OPEN
        and lot.auction.status == Auction.Status.PUBLISHED
        and lot.starts_at <= now < lot.ends_at
    )


def lot_state(user: User | AnonymousUser, lot: Lot) -> LotState:
    mine = standing(user, lot)
    seconds_left = max(int((lot.ends_at - timezone.now()).total_seconds()), 0) if lot.status == Lot.Status.OPEN else 0
    return LotState(
        id=lot.pk, status=lot.status, status_display=lot.get_status_display(),
        current_price_wan=lot.current_price_wan, starting_price_wan=lot.starting_price_wan,
        minimum_bid_wan=lot.minimum_bid_wan, increment_wan=lot.increment_wan, bid_count=lot.bid_count,
        starts_at=timezone.localtime(lot.starts_at).isoformat(), ends_at=timezone.localtime(lot.ends_at).isoformat(),
        bidding_open=bidding_open(lot), seconds_left=seconds_left, standing=mine, standing_display=standing_label(mine),
    )  # fmt: skip


def registrations_of(user: User | AnonymousUser) -> QuerySet[BidderRegistration]:
    """The bidder registrations of the user's organisations and of the auctions they organise (staff: all)."""
    registrations = BidderRegistration.objects.select_related("auction", "organization").order_by("-created_at", "-pk")
    if staff_may(user, "auctions.view_bidderregistration"):
        return registrations
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    return registrations.filter(Q(organization_id__in=organization_ids) | Q(auction__organizer_id__in=organization_ids))
