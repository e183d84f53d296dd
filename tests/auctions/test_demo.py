"""The demo's auction: published, with lots, approved bidders and bids; loading it twice adds nothing."""

from __future__ import annotations

import pytest

from auctions.demo import DEMO_TITLE, load_demo_auction
from auctions.models import Auction, Bid, BidderRegistration, Lot
from tests.factories import MembershipFactory, OrganizationFactory, achievement

from .conftest import enterprise_member, publish

pytestmark = pytest.mark.django_db


def test_the_demo_auction_loads_once(organiser_member):
    seller = MembershipFactory(organization=OrganizationFactory(name="演示大学")).user.organizations.get()
    listings = [publish(achievement(seller, title=f"演示成果{n}")) for n in range(5)]
    bidders = [enterprise_member(f"演示企业{n}").organizations.get() for n in range(3)]
    arguments = {"organiser": organiser_member.organizations.get(), "by": organiser_member,
                 "achievements": listings, "bidders": bidders}  # fmt: skip
    load_demo_auction(**arguments)
    auction = Auction.objects.get(title=DEMO_TITLE)
    assert auction.status == "published"
    assert auction.lots.count() == 4
    assert BidderRegistration.objects.filter(auction=auction, status="approved").count() == 2
    assert Bid.objects.filter(lot__auction=auction).count() == 4
    first = auction.lots.order_by("ends_at").first()
    assert first.current_price_wan == 90 and first.bid_count == 3  # 80, 85, 90
    load_demo_auction(**arguments)
    assert Auction.objects.count() == 1 and Lot.objects.count() == 4 and Bid.objects.count() == 4
