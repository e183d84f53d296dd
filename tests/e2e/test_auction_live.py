"""A bidder's lot page in a real browser follows the auction without reloading (issue 15 item 3): another
enterprise's bid moves the current price, the next minimum and the bidder's standing on the open page; a bid placed
through the page's form that is below the increment is refused with the field's message. On a phone-sized window."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from auctions import services
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from tests.e2e.test_match_loop import browser_page, log_in, no_horizontal_overflow
from tests.factories import MembershipFactory, OrganizationFactory, achievement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def enterprise(name: str):  # type: ignore[no-untyped-def]
    organization = OrganizationFactory(kind="enterprise", name=name, verified=True, verified_at=timezone.now())
    return MembershipFactory(organization=organization).user


def test_the_price_and_the_standing_follow_other_bids_without_reloading(browser, live_server, organiser_member):
    seller = MembershipFactory(organization=OrganizationFactory(name="浙江大学技术转移中心")).user
    listing = posting_services.posting_transition(
        posting=achievement(seller.organizations.get(), title="高性能钠离子电池硬碳负极材料"),
        to=PostingStatus.PUBLISHED, by=None,
    )  # fmt: skip
    auction = services.auction_create(
        organizer=organiser_member.organizations.get(), by=organiser_member, title="G60科技成果拍卖会"
    )
    now = timezone.now()
    lot = services.lot_add(
        auction=auction, by=organiser_member, achievement=listing, starting_price_wan=Decimal("100"),
        increment_wan=Decimal("10"), starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=2),
    )  # fmt: skip
    services.auction_set_status(auction=auction, by=organiser_member, status="published")
    bidder, rival = enterprise("宁波甬新材料科技有限公司"), enterprise("深圳鹏城智能装备有限公司")
    for user in (bidder, rival):
        registration = services.bidder_register(auction=auction, organization=user.organizations.get(), by=user)
        services.bidder_decide(registration=registration, by=organiser_member, approve=True)

    page = browser_page(browser, live_server)
    log_in(page, bidder.email)
    page.goto(f"/auctions/lots/{lot.pk}/")
    no_horizontal_overflow(page)
    page.fill("input[name=amount_wan]", "105")  # the first bid is at least the starting price: 105 is; then 100+10
    page.locator("form:has(input[name=amount_wan]) button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/auctions/lots/{lot.pk}/"))
    assert page.locator("[data-live=current_price_wan]").inner_text() == "105.00"
    page.fill("input[name=amount_wan]", "110")  # leading already: refused, and nothing changes
    page.locator("form:has(input[name=amount_wan]) button[type=submit]").click()
    assert page.locator(".error, .messages li").first.inner_text()
    page.goto(f"/auctions/lots/{lot.pk}/")
    leading = page.locator("[data-live=standing_display]").inner_text()

    page.evaluate("window.notReloaded = true")
    services.bid_place(lot=lot, organization=rival.organizations.get(), by=rival, amount_wan=Decimal("130"))
    expect(page.locator("[data-live=current_price_wan]")).to_have_text("130.00", timeout=20000)  # polled: 5 s
    assert page.evaluate("window.notReloaded === true")  # the same page, updated in place
    assert page.locator("[data-live=minimum_bid_wan]").inner_text() == "140.00"
    assert page.locator("[data-live=bid_count]").inner_text() == "2"
    outbid = page.locator("[data-live=standing_display]").inner_text()
    assert outbid and outbid != leading
    assert "深圳鹏城" not in page.content()  # the rival's name is never on a bidder's page
