"""The auction world: an organiser (``organiser_member``), a university selling two published achievements, two
verified enterprises approved as bidders (``bidder``, ``rival``), a verified enterprise not yet registered
(``newcomer``) and an unverified one (``unverified``); one published auction with an open lot. Everything is made
through the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions import services
from auctions.models import Auction, Lot
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from tests.factories import MembershipFactory, OrganizationFactory, achievement


def publish(posting):
    return posting_services.posting_transition(posting=posting, to=PostingStatus.PUBLISHED, by=None)


def enterprise_member(name: str, *, verified: bool = True):
    organization = OrganizationFactory(
        kind="enterprise", name=name, verified=verified, verified_at=timezone.now() if verified else None
    )
    return MembershipFactory(organization=organization).user


def make_lot(auction: Auction, by, listing, *, minutes: float = 60, start_minutes: float = -1, **fields) -> Lot:
    now = timezone.now()
    values = {
        "starting_price_wan": Decimal("100"), "increment_wan": Decimal("10"), "reserve_price_wan": Decimal("150"),
        "starts_at": now + datetime.timedelta(minutes=start_minutes),
        "ends_at": now + datetime.timedelta(minutes=minutes),
        **fields,
    }  # fmt: skip
    return services.lot_add(auction=auction, by=by, achievement=listing, **values)


def approve(auction: Auction, user, organiser) -> None:
    registration = services.bidder_register(auction=auction, organization=user.organizations.get(), by=user)
    services.bidder_decide(registration=registration, by=organiser, approve=True)


def bid(lot: Lot, user, amount) -> object:
    return services.bid_place(lot=lot, organization=user.organizations.get(), by=user, amount_wan=Decimal(str(amount)))


@pytest.fixture
def world(organiser_member, staff_user):
    seller = MembershipFactory(organization=OrganizationFactory(name="浙江大学技术转移中心")).user
    listings = [
        publish(achievement(seller.organizations.get(), title="高性能钠离子电池硬碳负极材料")),
        publish(achievement(seller.organizations.get(), title="协作机器人一体化关节模组")),
    ]
    auction = services.auction_create(
        organizer=organiser_member.organizations.get(), by=organiser_member, title="G60科技成果拍卖会",
        description="长三角科技成果专场拍卖",
    )  # fmt: skip
    lot = make_lot(auction, organiser_member, listings[0])
    services.auction_set_status(auction=auction, by=organiser_member, status="published")
    bidder = enterprise_member("宁德某新能源企业")
    rival = enterprise_member("常州某储能企业")
    approve(auction, bidder, organiser_member)
    approve(auction, rival, organiser_member)
    return {
        "organiser": organiser_member, "staff": staff_user, "seller": seller, "listings": listings,
        "auction": auction, "lot": lot, "bidder": bidder, "rival": rival,
        "newcomer": enterprise_member("苏州某材料企业"), "unverified": enterprise_member("未认证企业", verified=False),
        "outsider": MembershipFactory(organization=OrganizationFactory(name="旁观高校")).user,
    }  # fmt: skip
