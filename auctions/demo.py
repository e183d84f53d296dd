"""The demo's auction (called by ``demo/management/commands/load_demo.py``): one published auction of the demo
organiser with up to four lots of published achievements, two approved bidders and a few bids, so that ``make run``
shows the feature with data. Everything goes through ``auctions.services``, as every interface does.

Idempotent: an auction of the organiser with the demo's title already there means it was loaded; nothing is done.

What it needs: ``by`` acts for the organiser (a member, or staff; staff also publish for an organiser not yet
verified); ``achievements`` are published (others are skipped, and so are those already in an open lot); each bidder
is a verified enterprise with at least one member, who registers it and places its bids (others are skipped).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from core.exceptions import ApplicationError
from marketplace.models import Achievement
from marketplace.models import Status as PostingStatus

from . import services
from .models import Auction, Lot

DEMO_TITLE = "2026长三角科技成果竞价拍卖会（第一期）"
DEMO_DESCRIPTION = (
    "由技术交易中心组织的科技成果公开竞价：高校院所的专利与技术秘密以转让方式挂牌，经审核的认证企业在线竞价。"
    "每件拍品设起拍价、保留价与加价幅度（单位：万元），结束前两分钟内出价将自动延时，成交后自动登记为成果转让协议。"
)
# (starting price, reserve price or None, increment, days until bidding closes), in 10k CNY
LOT_TERMS = [
    (Decimal("80"), Decimal("120"), Decimal("5"), 3),
    (Decimal("200"), Decimal("260"), Decimal("10"), 5),
    (Decimal("50"), None, Decimal("2"), 7),
    (Decimal("150"), Decimal("300"), Decimal("10"), 10),
]


def _member(organization: Organization) -> User | None:
    membership = Membership.objects.filter(organization=organization).select_related("user").order_by("pk").first()
    return membership.user if membership else None


@transaction.atomic
def load_demo_auction(*, organiser: Organization, by: User, achievements: list, bidders: list[Organization]) -> None:
    """One published auction with three or four lots, two approved bidders and a few bids (once)."""
    if Auction.objects.filter(organizer=organiser, title=DEMO_TITLE).exists():
        return
    listings = [
        item for item in achievements
        if isinstance(item, Achievement) and item.status == PostingStatus.PUBLISHED
        and not Lot.objects.filter(achievement=item, status=Lot.Status.OPEN).exists()
    ][: len(LOT_TERMS)]  # fmt: skip
    if not listings:
        return
    auction = services.auction_create(organizer=organiser, by=by, title=DEMO_TITLE, description=DEMO_DESCRIPTION)
    now = timezone.now().replace(second=0, microsecond=0)
    lots = [
        services.lot_add(
            auction=auction, by=by, achievement=listing, starting_price_wan=starting, reserve_price_wan=reserve,
            increment_wan=increment, starts_at=now - datetime.timedelta(hours=2),
            ends_at=now + datetime.timedelta(days=days, hours=4),
        )
        for listing, (starting, reserve, increment, days) in zip(listings, LOT_TERMS, strict=False)
    ]
    services.auction_set_status(auction=auction, by=by, status=Auction.Status.PUBLISHED)
    people: list[tuple[Organization, User]] = []
    for organization in bidders:
        member = _member(organization)
        if member is None or organization.kind != Organization.Kind.ENTERPRISE or not organization.verified:
            continue
        registration = services.bidder_register(auction=auction, organization=organization, by=member)
        services.bidder_decide(registration=registration, by=by, approve=True)
        people.append((organization, member))
        if len(people) == 2:
            break
    # A few bids: the two bidders compete on the first lot, one bids on the second; the others wait for bids.
    rounds = {0: [0, 1, 0], 1: [1]}
    for index, turns in rounds.items():
        if index >= len(lots):
            continue
        lot = lots[index]
        for turn in turns:
            if turn >= len(people):
                continue
            organization, member = people[turn]
            if lot.achievement.organization_id == organization.pk:
                continue
            lot.refresh_from_db()
            try:
                services.bid_place(lot=lot, organization=organization, by=member, amount_wan=lot.minimum_bid_wan)
            except ApplicationError:  # e.g. with one bidder, it does not outbid itself
                continue
