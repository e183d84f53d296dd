"""Auction bids under concurrency, on PostgreSQL with real threads and connections: bids on one lot at once never
leave two accepted bids at one price, never lose a valid bid, and end at the highest valid bid; bids racing the close
at the closing second are either accepted before the close (and count) or refused, never accepted after the lot is
sold.

Run with DATABASE_URL pointing at PostgreSQL (tests/integration/conftest.py: skipped without it, failed in CI).
"""

from __future__ import annotations

import datetime
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from auctions import services
from auctions.models import Bid, Lot
from core.exceptions import ApplicationError
from marketplace import services as posting_services
from marketplace.models import Status as PostingStatus
from matching.models import Agreement
from tests.factories import MembershipFactory, OrganizationFactory, achievement

pytestmark = pytest.mark.integration


def _world(organiser_member, bidders: int) -> tuple[Lot, list]:  # type: ignore[no-untyped-def]
    """A published auction with one open lot (start 100, increment 10, reserve 100) and approved bidders."""
    seller = MembershipFactory(organization=OrganizationFactory(name="某大学技术转移中心")).user
    listing = posting_services.posting_transition(
        posting=achievement(seller.organizations.get(), title="高性能钠离子电池硬碳负极材料"),
        to=PostingStatus.PUBLISHED, by=None,
    )  # fmt: skip
    auction = services.auction_create(
        organizer=organiser_member.organizations.get(), by=organiser_member, title="并发拍卖会"
    )
    now = timezone.now()
    lot = services.lot_add(
        auction=auction, by=organiser_member, achievement=listing, starting_price_wan=Decimal(100),
        increment_wan=Decimal(10), reserve_price_wan=Decimal(100), starts_at=now - datetime.timedelta(minutes=1),
        ends_at=now + datetime.timedelta(hours=1),
    )  # fmt: skip
    services.auction_set_status(auction=auction, by=organiser_member, status="published")
    people = []
    for n in range(bidders):
        organization = OrganizationFactory(kind="enterprise", name=f"竞买企业{n}", verified=True,
                                           verified_at=timezone.now())  # fmt: skip
        member = MembershipFactory(organization=organization).user
        registration = services.bidder_register(auction=auction, organization=organization, by=member)
        services.bidder_decide(registration=registration, by=organiser_member, approve=True)
        people.append((member, organization))
    return lot, people


def _bid(lot: Lot, person, amount) -> object:  # type: ignore[no-untyped-def]
    member, organization = person
    return services.bid_place(lot=lot, organization=organization, by=member, amount_wan=Decimal(amount))


def _at_once(calls: list, workers: int) -> list[str]:  # type: ignore[type-arg]
    """Run the calls together (a barrier releases them at once); each result is "ok" or the error's field."""
    start = threading.Barrier(len(calls))

    def run(call) -> str:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            call()
            return "ok"
        except ApplicationError as error:
            return f"refused:{error.field}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


def _assert_bids_consistent(lot: Lot) -> None:
    """Accepted bids rise by the increment at least, in the order they were accepted; the lot shows the last."""
    lot.refresh_from_db()
    bids = list(Bid.objects.filter(lot=lot).order_by("placed_at", "pk"))
    amounts = [bid.amount_wan for bid in bids]
    assert len(set(amounts)) == len(amounts), "two accepted bids at one price"
    assert amounts[0] >= lot.starting_price_wan
    assert all(b - a >= lot.increment_wan for a, b in itertools.pairwise(amounts)), amounts
    assert lot.bid_count == len(bids)
    assert lot.current_price_wan == amounts[-1] == max(amounts)
    assert lot.leading_bid_id == bids[-1].pk


@pytest.mark.usefixtures("services")  # PostgreSQL (tests/integration/conftest.py)
def test_bids_at_once_keep_every_valid_bid_and_end_at_the_highest(organiser_member):  # type: ignore[no-untyped-def]
    lot, people = _world(organiser_member, bidders=12)
    amounts = [100 + 10 * n for n in range(12)]
    calls = [(lambda person=person, amount=amount: _bid(lot, person, amount)) for person, amount in
             zip(people, reversed(amounts), strict=True)]  # fmt: skip
    results = _at_once(calls, workers=12)
    accepted = Bid.objects.filter(lot=lot)
    assert results.count("ok") == accepted.count() >= 1  # every bid answered "ok" stands: none lost
    assert set(results) <= {"ok", "refused:amount_wan"}  # a clear answer, not a database error
    _assert_bids_consistent(lot)
    assert lot.current_price_wan == Decimal(max(amounts))  # the highest bid beats every other: always valid
    # Every refused bid was below the price reached when its turn came (so it was not valid then).
    for result, amount in zip(results, reversed(amounts), strict=True):
        if result == "ok":
            assert accepted.filter(amount_wan=amount).exists()


@pytest.mark.usefixtures("services")
def test_bids_of_one_amount_at_once_accept_one(organiser_member):  # type: ignore[no-untyped-def]
    lot, people = _world(organiser_member, bidders=10)
    results = _at_once([(lambda person=person: _bid(lot, person, 150)) for person in people], workers=10)
    assert results.count("ok") == 1
    assert results.count("refused:amount_wan") == 9
    assert Bid.objects.filter(lot=lot).count() == 1
    _assert_bids_consistent(lot)
    assert lot.current_price_wan == Decimal(150)


@pytest.mark.usefixtures("services")
def test_bids_racing_the_close_at_the_closing_second(organiser_member, settings):  # type: ignore[no-untyped-def]
    """Bidders keep bidding across the end while the closer runs at the closing second: each bid is either
    accepted before the close (and counts in the sale) or refused; the sale is the highest accepted bid."""
    settings.AUCTION_EXTEND_WINDOW_SECONDS = 0  # no extension: the end stays where it is
    lot, people = _world(organiser_member, bidders=8)
    end = timezone.now() + datetime.timedelta(seconds=1.5)
    Lot.objects.filter(pk=lot.pk).update(ends_at=end)
    counter = itertools.count()
    counter_lock = threading.Lock()
    answers: list[tuple[str, Decimal, float]] = []
    answers_lock = threading.Lock()
    stop_at = end + datetime.timedelta(seconds=0.6)

    def bidder(person) -> None:  # type: ignore[no-untyped-def]
        try:
            while timezone.now() < end - datetime.timedelta(seconds=0.4):
                time.sleep(0.01)
            while timezone.now() < stop_at:
                with counter_lock:
                    amount = Decimal(100 + 10 * next(counter))
                try:
                    _bid(lot, person, amount)
                    outcome = "ok"
                except ApplicationError as error:
                    outcome = f"refused:{error.field}"
                with answers_lock:
                    answers.append((outcome, amount, time.monotonic()))
        finally:
            connection.close()

    def closer() -> None:
        try:
            while timezone.now() < end - datetime.timedelta(seconds=0.1):
                time.sleep(0.005)
            while services.lot_close(lot=lot).status == Lot.Status.OPEN:
                time.sleep(0.002)
        finally:
            connection.close()

    threads = [threading.Thread(target=bidder, args=(person,)) for person in people] + [threading.Thread(target=closer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SOLD
    assert lot.closed_at >= lot.ends_at == end
    bids = Bid.objects.filter(lot=lot)
    ok = [amount for outcome, amount, _at in answers if outcome == "ok"]
    assert len(ok) == bids.count() >= 1  # every accepted bid counts
    assert set(bids.values_list("amount_wan", flat=True)) == set(ok)
    assert all(placed < end for placed in bids.values_list("placed_at", flat=True)), "a bid accepted after the end"
    assert {outcome for outcome, *_ in answers} <= {"ok", "refused:amount_wan", "refused:ends_at", "refused:lot"}
    assert any(outcome in ("refused:ends_at", "refused:lot") for outcome, *_ in answers)  # the race did happen
    _assert_bids_consistent(lot)
    agreement = Agreement.objects.get(pk=lot.agreement_id)
    assert agreement.amount_wan == lot.current_price_wan == max(ok)
    assert lot.leading_bid.amount_wan == max(ok)


@pytest.mark.usefixtures("services")
def test_closers_at_once_record_one_sale(organiser_member):  # type: ignore[no-untyped-def]
    """A redelivered close task (its worker restarted) running alongside the next scheduled one: the lot is sold
    once, with one agreement, whichever closer gets the lock first."""
    lot, people = _world(organiser_member, bidders=2)
    _bid(lot, people[0], 100)
    _bid(lot, people[1], 120)
    Lot.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    results = _at_once([lambda: services.close_due_lots() for _ in range(6)], workers=6)
    assert results == ["ok"] * 6
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SOLD
    assert Agreement.objects.filter(achievement=lot.achievement).count() == 1
    assert Agreement.objects.get(pk=lot.agreement_id).amount_wan == Decimal(120)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_while_closing_sells_nothing_and_the_next_run_sells_the_lot_once(
    workers, organiser_member
):  # type: ignore[no-untyped-def]
    """A real Celery worker is killed (SIGKILL) in the middle of closing a lot (its transaction waits on the
    auction's row, which the test holds): nothing of the close is written. A new worker takes the next scheduled
    run, which sells the lot once, to the highest bid, with one agreement."""
    from auctions.models import Auction
    from auctions.tasks import close_due_lots_task
    from config.celery import app
    from tests.integration.conftest import wait_for

    lot, people = _world(organiser_member, bidders=2)
    _bid(lot, people[0], 100)
    _bid(lot, people[1], 130)
    Lot.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1))
    workers.start(1)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Auction.objects.select_for_update().get(pk=lot.auction_id)
                held.set()
                release.wait(120)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    close_due_lots_task.delay()
    wait_for(_waiting_on_a_lock, timeout=60, what="the worker's close to wait on the auction's row")
    workers.kill()
    release.set()
    holder.join(30)
    lot.refresh_from_db()
    assert lot.status == Lot.Status.OPEN and lot.agreement_id is None
    assert not Agreement.objects.filter(achievement=lot.achievement).exists()
    app.control.purge()  # the killed task's redelivery is not needed: the schedule runs the close again
    workers.start(1)
    close_due_lots_task.delay()  # the beat's next run (every few seconds)
    wait_for(lambda: Lot.objects.get(pk=lot.pk).status != Lot.Status.OPEN, timeout=60, what="the lot to close")
    assert close_due_lots_task.delay().get(timeout=60) == []  # the run after closes nothing more
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SOLD
    assert Agreement.objects.filter(achievement=lot.achievement).count() == 1
    assert Agreement.objects.get(pk=lot.agreement_id).amount_wan == Decimal(130)
