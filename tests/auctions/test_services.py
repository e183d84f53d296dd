"""The rules of auctions, through the services: who bids, how much, until when; anti-sniping; closing (sold as an
agreement, unsold below the reserve), idempotent and after a missed run; every refusal names its field and changes
nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from auctions import services, tasks
from auctions.models import Auction, Bid, BidderRegistration, Lot
from core.exceptions import ApplicationError, PermissionDenied
from matching.models import Agreement
from tests.factories import MembershipFactory, OrganizationFactory, achievement

from .conftest import approve, bid, make_lot, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


def _unchanged(lot: Lot, price, count: int) -> None:
    lot.refresh_from_db()
    assert lot.current_price_wan == (Decimal(str(price)) if price is not None else None)
    assert lot.bid_count == count == Bid.objects.filter(lot=lot).count()


def _past_end(lot: Lot) -> Lot:
    """Move the lot's window into the past (as time passing would)."""
    now = timezone.now()
    Lot.objects.filter(pk=lot.pk).update(starts_at=now - datetime.timedelta(hours=2),
                                         ends_at=now - datetime.timedelta(seconds=1))  # fmt: skip
    lot.refresh_from_db()
    return lot


def test_first_bid_at_least_the_starting_price_then_the_increment(world):
    lot = world["lot"]
    with pytest.raises(ApplicationError, match=r"starting price, 100\.00") as refused:
        bid(lot, world["bidder"], 99)
    assert refused.value.field == "amount_wan"
    _unchanged(lot, None, 0)
    bid(lot, world["bidder"], 100)
    with pytest.raises(ApplicationError, match=r"at least 110\.00") as refused:
        bid(lot, world["rival"], 109.99)
    assert refused.value.field == "amount_wan"
    _unchanged(lot, 100, 1)
    placed = bid(lot, world["rival"], 110)
    lot.refresh_from_db()
    assert lot.current_price_wan == Decimal("110") and lot.leading_bid == placed and lot.minimum_bid_wan == 120


def test_a_bid_after_the_end_is_refused_and_changes_nothing(world):
    lot = world["lot"]
    bid(lot, world["bidder"], 100)
    _past_end(lot)
    with pytest.raises(ApplicationError, match="closed at") as refused:
        bid(lot, world["rival"], 200)
    assert refused.value.field == "ends_at"
    _unchanged(lot, 100, 1)


def test_a_bid_before_bidding_opens_is_refused(world):
    lot = make_lot(world["auction"], world["organiser"], world["listings"][1], start_minutes=30, minutes=90)
    with pytest.raises(ApplicationError, match="opens at") as refused:
        bid(lot, world["bidder"], 100)
    assert refused.value.field == "starts_at"
    _unchanged(lot, None, 0)


def test_only_approved_verified_enterprises_bid_for_their_own_organisation(world):
    lot = world["lot"]
    with pytest.raises(ApplicationError, match="not an approved bidder") as refused:
        bid(lot, world["newcomer"], 100)
    assert refused.value.field == "organization"
    newcomer = world["newcomer"]
    registration = services.bidder_register(auction=world["auction"], organization=newcomer.organizations.get(),
                                            by=newcomer)  # fmt: skip
    assert registration.status == BidderRegistration.Status.PENDING
    with pytest.raises(ApplicationError, match="not an approved bidder"):
        bid(lot, world["newcomer"], 100)
    with pytest.raises(ApplicationError, match="verified") as refused:
        services.bidder_register(auction=world["auction"], organization=world["unverified"].organizations.get(),
                                 by=world["unverified"])  # fmt: skip
    assert refused.value.field == "organization"
    with pytest.raises(PermissionDenied):  # a member of another organisation
        services.bid_place(lot=lot, organization=world["bidder"].organizations.get(), by=world["rival"],
                           amount_wan=Decimal(100))  # fmt: skip
    _unchanged(lot, None, 0)


def test_the_seller_does_not_bid_on_its_own_lot(world, organiser_member):
    # The seller's organisation is an enterprise too, verified and approved: still no bid on its own lot.
    seller_org = OrganizationFactory(kind="enterprise", name="自有成果企业", verified=True, verified_at=timezone.now())
    seller = MembershipFactory(organization=seller_org).user
    own = publish(achievement(seller_org, title="企业自有专利"))
    lot = make_lot(world["auction"], organiser_member, own)
    approve(world["auction"], seller, organiser_member)
    with pytest.raises(ApplicationError, match="offers this lot") as refused:
        bid(lot, seller, 100)
    assert refused.value.field == "organization"


def test_a_rejected_bidder_bids_no_more(world):
    registration = BidderRegistration.objects.get(organization=world["rival"].organizations.get())
    services.bidder_decide(registration=registration, by=world["organiser"], approve=False)
    with pytest.raises(ApplicationError, match="not an approved bidder"):
        bid(world["lot"], world["rival"], 100)
    with pytest.raises(PermissionDenied):
        services.bidder_decide(registration=registration, by=world["bidder"], approve=True)


def test_the_leader_does_not_outbid_itself(world):
    bid(world["lot"], world["bidder"], 100)
    with pytest.raises(ApplicationError, match="already holds the highest bid") as refused:
        bid(world["lot"], world["bidder"], 150)
    assert refused.value.field == "amount_wan"


def test_the_bidder_outbid_is_told_at_once_and_only_they(world, django_capture_on_commit_callbacks):
    from django.core import mail

    from accounts.models import Notification

    bid(world["lot"], world["bidder"], 100)
    assert not Notification.objects.filter(subject__icontains="outbid").exists()  # a first bid outbids nobody
    with django_capture_on_commit_callbacks(execute=True):
        bid(world["lot"], world["rival"], 110)
    told = Notification.objects.get(text__subject__msgid="You were outbid on %(lot)s")
    assert told.organization == world["bidder"].organizations.get()
    assert "高性能钠离子电池硬碳负极材料" in told.subject_text and "110" in told.body_text
    assert told.link == f"/auctions/lots/{world['lot'].pk}/"
    assert [message.to for message in mail.outbox] == [[world["bidder"].email]]
    bid(world["lot"], world["bidder"], 120)
    rival_told = Notification.objects.filter(text__subject__msgid="You were outbid on %(lot)s").latest("pk")
    assert rival_told.organization == world["rival"].organizations.get()


def test_a_bid_in_the_last_minutes_extends_the_end(world, settings):
    settings.AUCTION_EXTEND_WINDOW_SECONDS = 120
    settings.AUCTION_EXTEND_BY_SECONDS = 180
    lot = world["lot"]
    early = bid(lot, world["bidder"], 100)
    lot.refresh_from_db()
    assert not early.extended_end and lot.extensions == 0
    end = timezone.now() + datetime.timedelta(seconds=60)
    Lot.objects.filter(pk=lot.pk).update(ends_at=end)
    late = bid(lot, world["rival"], 110)
    lot.refresh_from_db()
    assert late.extended_end and lot.extensions == 1
    assert lot.ends_at == late.placed_at + datetime.timedelta(seconds=180)
    assert lot.ends_at > end


def test_reserve_not_met_leaves_the_lot_unsold(world):
    lot = world["lot"]
    bid(lot, world["bidder"], 120)  # reserve 150
    lot = services.lot_close(lot=_past_end(lot))
    assert lot.status == Lot.Status.UNSOLD and lot.agreement is None and lot.closed_at
    assert not Agreement.objects.exists()
    auction = Auction.objects.get(pk=world["auction"].pk)
    assert auction.status == Auction.Status.CLOSED  # its only lot closed


def test_sold_lot_becomes_an_agreement_with_the_winning_amount(world):
    lot = world["lot"]
    bid(lot, world["bidder"], 100)
    winner = bid(lot, world["rival"], 160)
    lot = services.lot_close(lot=_past_end(lot))
    assert lot.status == Lot.Status.SOLD and lot.leading_bid == winner
    agreement = Agreement.objects.get()
    assert lot.agreement == agreement
    assert agreement.achievement == world["listings"][0] and agreement.need is None
    assert agreement.amount_wan == Decimal("160") and agreement.mode == "transfer"
    assert agreement.signed_on == timezone.localdate()
    assert "常州某储能企业" in agreement.note and "G60科技成果拍卖会" in agreement.note


def test_close_is_idempotent_and_waits_for_the_end(world):
    lot = world["lot"]
    bid(lot, world["bidder"], 200)
    assert services.lot_close(lot=lot).status == Lot.Status.OPEN  # not due yet: nothing changes
    lot = _past_end(lot)
    first = services.lot_close(lot=lot)
    again = services.lot_close(lot=lot)
    assert first.status == again.status == Lot.Status.SOLD
    assert Agreement.objects.count() == 1
    with pytest.raises(ApplicationError, match="no longer takes bids") as refused:
        bid(lot, world["rival"], 500)
    assert refused.value.field == "lot"


def test_the_task_closes_lots_missed_while_no_worker_ran(world, organiser_member):
    """The close reads only the database: a lot whose end passed while no worker ran is closed by the next run,
    and running the task again (a redelivered message after a restart) closes nothing more."""
    lot = world["lot"]
    other = make_lot(world["auction"], organiser_member, world["listings"][1], minutes=120)
    bid(lot, world["bidder"], 150)
    _past_end(lot)  # the end passed "during the outage"
    assert tasks.close_due_lots_task.delay().get() == [lot.pk]
    assert tasks.close_due_lots_task.delay().get() == []
    lot.refresh_from_db()
    other.refresh_from_db()
    assert lot.status == Lot.Status.SOLD and other.status == Lot.Status.OPEN
    assert Agreement.objects.count() == 1
    assert Auction.objects.get(pk=world["auction"].pk).status == Auction.Status.PUBLISHED  # a lot is still open


def test_lots_offer_published_achievements_once(world, organiser_member):
    draft = achievement(world["seller"].organizations.get(), title="草稿成果")
    with pytest.raises(ApplicationError, match="not a published achievement") as refused:
        make_lot(world["auction"], organiser_member, draft)
    assert refused.value.field == "achievement"
    with pytest.raises(ApplicationError, match="already on offer") as refused:
        make_lot(world["auction"], organiser_member, world["listings"][0])
    assert refused.value.field == "achievement"
    with pytest.raises(ApplicationError) as refused:
        make_lot(world["auction"], organiser_member, world["listings"][1], increment_wan=Decimal(0))
    assert refused.value.field == "increment_wan"
    with pytest.raises(PermissionDenied):
        make_lot(world["auction"], world["bidder"], world["listings"][1])


def test_only_organisers_create_and_publish(world, organiser_member):
    with pytest.raises(PermissionDenied):
        services.auction_create(organizer=world["bidder"].organizations.get(), by=world["bidder"], title="x")
    with pytest.raises(PermissionDenied):
        services.auction_create(organizer=organiser_member.organizations.get(), by=world["bidder"], title="x")
    empty = services.auction_create(organizer=organiser_member.organizations.get(), by=organiser_member, title="空")
    with pytest.raises(ApplicationError, match="at least one lot") as refused:
        services.auction_set_status(auction=empty, by=organiser_member, status="published")
    assert refused.value.field == "status"


def test_cancelling_withdraws_the_open_lots(world, organiser_member):
    bid(world["lot"], world["bidder"], 100)
    services.auction_set_status(auction=world["auction"], by=organiser_member, status="cancelled")
    world["lot"].refresh_from_db()
    assert world["lot"].status == Lot.Status.WITHDRAWN
    assert services.close_due_lots(now=timezone.now() + datetime.timedelta(days=1)) == []


def test_bidders_register_once_and_only_for_published_auctions(world, organiser_member):
    newcomer = world["newcomer"]
    organization = newcomer.organizations.get()
    first = services.bidder_register(auction=world["auction"], organization=organization, by=newcomer)
    again = services.bidder_register(auction=world["auction"], organization=organization, by=newcomer)
    assert first.pk == again.pk
    draft = services.auction_create(organizer=organiser_member.organizations.get(), by=organiser_member, title="草稿")
    with pytest.raises(ApplicationError, match="published auctions only") as refused:
        services.bidder_register(auction=draft, organization=organization, by=newcomer)
    assert refused.value.field == "auction"
    with pytest.raises(ApplicationError, match="Only enterprises") as refused:
        services.bidder_register(auction=world["auction"], organization=world["outsider"].organizations.get(),
                                 by=world["outsider"])  # fmt: skip
    assert refused.value.field == "organization"
