"""Writes with rules for auctions: create and publish an auction, add and withdraw lots, register bidders and decide
on them, place bids, close lots.

Bidding follows the booking pattern of ``events.services``: one transaction locks the lot row
(``select_for_update``), reads the time *after* the lock is taken, re-checks every rule against the row as it now is,
and writes the bid and the lot's new price together. So concurrent bids are taken one at a time: a bid that no longer
beats the current price by the increment is refused with a clear error (and writes nothing), two bids never stand at
the same price (the unique ``(lot, amount_wan)`` constraint is the last guard), and no valid bid is lost.

Anti-sniping: a bid arriving within ``AUCTION_EXTEND_WINDOW_SECONDS`` of the end moves the end to
``AUCTION_EXTEND_BY_SECONDS`` after the bid (never earlier than it was).

Closing (``lot_close``) takes the auction's row lock, then the lot's, and closes only once the time read under the
lock has reached ``ends_at``: a bid and the close are serialised on the lot row, so a bid is either accepted before
the close (and counts) or refused because the lot is closed or its time is up; never accepted after the lot is sold.
The close reads only the database, so it is idempotent and survives a worker restart: ``close_due_lots`` (the beat
task ``auctions.tasks.close_due_lots_task``, every few seconds) closes whatever lots are due, however late it runs.
A lot whose winning bid meets the reserve is sold, and the sale is recorded as an agreement on the lot's achievement
(``matching.services.agreement_create``, mode "transfer"); otherwise it is unsold. When no lot of an auction is open
any more the auction is closed.

Lock order everywhere: auction, then lot (bids take only the lot).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Organization, User
from accounts.selectors import acts_for, is_member, staff_may
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from core.i18n import message
from marketplace.models import Achievement, CooperationMode
from marketplace.models import Status as PostingStatus
from matching.services import agreement_create

from .models import Auction, Bid, BidderRegistration, Lot

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # what the amount fields hold (12 digits, 2 decimals)


def is_organizer(user: User, auction: Auction) -> bool:
    return acts_for(user, auction.organizer_id, permission="auctions.change_auction")


def _money(value: object, field: str, *, allow_none: bool = False) -> Decimal | None:
    """An amount in 10k CNY, rounded to two decimals; refused (naming ``field``) when not a number, negative or too
    large."""
    if value is None or value == "":
        if allow_none:
            return None
        raise ApplicationError(_("Give an amount in 10k CNY."), field=field)
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as error:
        raise ApplicationError(_("Give an amount in 10k CNY."), field=field) from error
    if not amount.is_finite() or amount < 0:
        raise ApplicationError(_("The amount cannot be negative."), field=field)
    if amount > MAX_AMOUNT:
        raise ApplicationError(_("The amount is too large."), field=field)
    return amount


# --- Auctions --------------------------------------------------------------------------------------------------


@transaction.atomic
def auction_create(*, organizer: Organization, by: User, title: str, description: str = "") -> Auction:
    """A member of an organiser organisation (or staff) creates a draft auction."""
    if organizer.kind != Organization.Kind.ORGANISER:
        raise PermissionDenied(_("Auctions are run by organiser organisations."), field="organizer")
    if not acts_for(by, organizer.pk, permission="auctions.add_auction"):
        raise PermissionDenied(_("Only members of the organiser create its auctions."))
    if not title.strip():
        raise ApplicationError(_("The auction needs a title."), field="title")
    auction = Auction(organizer=organizer, created_by=by, title=title.strip(), description=description.strip())
    model_validate(auction, exclude=["organizer", "created_by"])
    auction.save()
    return auction


@transaction.atomic
def auction_update(*, auction: Auction, by: User, title: str | None = None, description: str | None = None) -> Auction:
    """The organiser's members (or staff) change the title or description of a draft or published auction."""
    if not is_organizer(by, auction):
        raise PermissionDenied(_("Only the organiser edits the auction."))
    auction = Auction.objects.select_for_update().get(pk=auction.pk)
    if auction.status not in (Auction.Status.DRAFT, Auction.Status.PUBLISHED):
        raise ApplicationError(_("A closed or cancelled auction is no longer edited."), field="status")
    if title is not None:
        if not title.strip():
            raise ApplicationError(_("The auction needs a title."), field="title")
        auction.title = title.strip()
    if description is not None:
        auction.description = description.strip()
    model_validate(auction, exclude=["organizer", "created_by"])
    auction.save()
    return auction


@transaction.atomic
def auction_set_status(*, auction: Auction, by: User, status: str) -> Auction:
    """Publish a draft (with at least one lot; the organiser verified, unless staff publish it) or cancel a draft or
    published auction, which withdraws its open lots. An auction closes by itself once its last lot closes."""
    if not is_organizer(by, auction):
        raise PermissionDenied(_("Only the organiser changes the auction's status."))
    allowed = {
        Auction.Status.DRAFT: {Auction.Status.PUBLISHED, Auction.Status.CANCELLED},
        Auction.Status.PUBLISHED: {Auction.Status.CANCELLED},
    }
    auction = Auction.objects.select_for_update(of=("self",)).select_related("organizer").get(pk=auction.pk)
    if status not in allowed.get(auction.status, set()):
        raise ApplicationError(
            _("A %(current)s auction cannot become %(to)s.")
            % {"current": auction.get_status_display(), "to": dict(Auction.Status.choices).get(status, status)},
            field="status",
        )
    now = timezone.now()
    if status == Auction.Status.PUBLISHED:
        if not auction.organizer.verified and not staff_may(by, "auctions.change_auction"):
            raise ApplicationError(
                _("Your organisation is not verified yet: platform staff verify it before its auctions are public. "
                  "The auction stays a draft meanwhile."),
                field="status",
            )  # fmt: skip
        if not auction.lots.filter(status=Lot.Status.OPEN, ends_at__gt=now).exists():
            raise ApplicationError(_("Add at least one lot before publishing the auction."), field="status")
        auction.published_at = now
    if status == Auction.Status.CANCELLED:
        for lot in Lot.objects.select_for_update().filter(auction=auction, status=Lot.Status.OPEN):
            lot.status = Lot.Status.WITHDRAWN
            lot.save(update_fields=["status"])
    auction.status = status
    auction.save(update_fields=["status", "published_at", "updated_at"])
    return auction


# --- Lots ------------------------------------------------------------------------------------------------------


@transaction.atomic
def lot_add(
    *,
    auction: Auction,
    by: User,
    achievement: Achievement,
    starting_price_wan: object,
    increment_wan: object,
    starts_at: datetime,
    ends_at: datetime,
    reserve_price_wan: object = None,
) -> Lot:
    """The organiser adds a published achievement as a lot of a draft or published auction."""
    if not is_organizer(by, auction):
        raise PermissionDenied(_("Only the organiser adds lots."))
    auction = Auction.objects.select_for_update().get(pk=auction.pk)
    if auction.status not in (Auction.Status.DRAFT, Auction.Status.PUBLISHED):
        raise ApplicationError(_("Lots are added to draft or published auctions only."), field="auction")
    if achievement.status != PostingStatus.PUBLISHED:
        raise ApplicationError(
            _("%(title)s is not a published achievement.") % {"title": achievement.title}, field="achievement"
        )
    starting = _money(starting_price_wan, "starting_price_wan")
    increment = _money(increment_wan, "increment_wan")
    reserve = _money(reserve_price_wan, "reserve_price_wan", allow_none=True)
    if increment is None or increment <= 0:
        raise ApplicationError(_("The increment must be more than zero."), field="increment_wan")
    if ends_at <= starts_at:
        raise ApplicationError(_("Bidding must close after it opens."), field="ends_at")
    if ends_at <= timezone.now():
        raise ApplicationError(_("Bidding must close in the future."), field="ends_at")
    if Lot.objects.filter(achievement=achievement, status=Lot.Status.OPEN).exists():
        raise ApplicationError(
            _("%(title)s is already on offer in an open lot.") % {"title": achievement.title}, field="achievement"
        )
    lot = Lot(
        auction=auction, achievement=achievement, starting_price_wan=starting, reserve_price_wan=reserve,
        increment_wan=increment, starts_at=starts_at, ends_at=ends_at,
    )  # fmt: skip
    try:
        with transaction.atomic():
            lot.save()
    except IntegrityError as error:
        raise ApplicationError(
            _("%(title)s is already on offer in an open lot.") % {"title": achievement.title}, field="achievement"
        ) from error
    return lot


@transaction.atomic
def lot_withdraw(*, lot: Lot, by: User) -> Lot:
    """The organiser (or staff) withdraws an open lot that has no bid yet (a lot with bids runs to its end)."""
    auction = Auction.objects.select_for_update().get(pk=lot.auction_id)
    if not is_organizer(by, auction):
        raise PermissionDenied(_("Only the organiser withdraws lots."))
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status != Lot.Status.OPEN:
        raise ApplicationError(_("Only open lots are withdrawn."), field="status")
    if lot.bid_count and not staff_may(by, "auctions.change_lot"):
        raise ApplicationError(_("A lot with bids runs to its end; platform staff may withdraw it."), field="status")
    lot.status = Lot.Status.WITHDRAWN
    lot.save(update_fields=["status"])
    _close_auction_when_done(auction, timezone.now())
    return lot


# --- Bidders ---------------------------------------------------------------------------------------------------


def _bidder_problem(organization: Organization, auction: Auction) -> str | None:
    """Why the organisation may not bid at the auction (whatever its registration), or None."""
    if organization.kind != Organization.Kind.ENTERPRISE:
        return _("Only enterprises bid at auctions.")
    if not organization.verified:
        return _("Only verified enterprises bid: platform staff verify your organisation first.")
    if organization.pk == auction.organizer_id:
        return _("The organiser does not bid at its own auction.")
    return None


@transaction.atomic
def bidder_register(*, auction: Auction, organization: Organization, by: User) -> BidderRegistration:
    """A member of a verified enterprise asks to bid at a published auction; the organiser decides. Asking again
    while pending or approved changes nothing."""
    if not is_member(by, organization.pk):
        raise PermissionDenied(_("Members register their own organisation as a bidder."), field="organization")
    auction = Auction.objects.select_for_update().get(pk=auction.pk)
    if auction.status != Auction.Status.PUBLISHED:
        raise ApplicationError(_("Bidders register for published auctions only."), field="auction")
    problem = _bidder_problem(organization, auction)
    if problem:
        raise ApplicationError(problem, field="organization")
    registration, created = BidderRegistration.objects.get_or_create(
        auction=auction, organization=organization, defaults={"requested_by": by}
    )
    if registration.status == BidderRegistration.Status.REJECTED:
        raise ApplicationError(
            _("The organiser declined your organisation's registration for this auction."), field="organization"
        )
    if created:
        organization_notify(
            organization=auction.organizer,
            subject=message(gettext_noop("A bidder asks to join %(auction)s"), auction=auction.title[:150]),
            body=message(gettext_noop("%(organization)s asks to bid at your auction."), organization=organization.name),
            link=reverse("auctions:bidders", kwargs={"pk": auction.pk}),
        )
    return registration


@transaction.atomic
def bidder_decide(*, registration: BidderRegistration, by: User, approve: bool, note: str = "") -> BidderRegistration:
    """The organiser approves or rejects a bidder (and may change its mind while the auction is not over: a bidder
    rejected later keeps its bids but places no more)."""
    auction = Auction.objects.select_for_update().get(pk=registration.auction_id)
    if not is_organizer(by, auction):
        raise PermissionDenied(_("Only the organiser approves bidders."))
    if auction.status not in (Auction.Status.DRAFT, Auction.Status.PUBLISHED):
        raise ApplicationError(_("The auction is over."), field="status")
    registration = BidderRegistration.objects.select_for_update(of=("self",)).select_related("organization").get(
        pk=registration.pk
    )
    if approve:
        problem = _bidder_problem(registration.organization, auction)
        if problem:
            raise ApplicationError(problem, field="organization")
    registration.status = BidderRegistration.Status.APPROVED if approve else BidderRegistration.Status.REJECTED
    registration.decided_by, registration.decided_at, registration.note = by, timezone.now(), note.strip()
    model_validate(registration, exclude=["auction", "organization", "requested_by", "decided_by"])
    registration.save()
    organization_notify(
        organization=registration.organization,
        subject=message(
            gettext_noop("You may bid at %(auction)s") if approve
            else gettext_noop("Your bidder registration for %(auction)s was declined"),
            auction=auction.title[:150],
        ),
        link=reverse("auctions:detail", kwargs={"pk": auction.pk}),
    )  # fmt: skip
    return registration


# --- Bids ------------------------------------------------------------------------------------------------------


def _extend_window() -> timedelta:
    return timedelta(seconds=settings.AUCTION_EXTEND_WINDOW_SECONDS)


def _extend_by() -> timedelta:
    return timedelta(seconds=settings.AUCTION_EXTEND_BY_SECONDS)


@transaction.atomic
def bid_place(*, lot: Lot, organization: Organization, by: User, amount_wan: object) -> Bid:
    """A member of an approved bidder bids on an open lot. Under the lot's row lock, with the time read after the lock
    is taken: bidding is open (``starts_at`` <= now < ``ends_at``), the amount is at least the starting price (the
    first bid) or the current price plus the increment, and the bidder is not the seller. A bid in the last
    ``AUCTION_EXTEND_WINDOW_SECONDS`` moves the end ``AUCTION_EXTEND_BY_SECONDS`` after it."""
    if not is_member(by, organization.pk):
        raise PermissionDenied(_("Members bid for their own organisation only."), field="organization")
    amount = _money(amount_wan, "amount_wan")
    assert amount is not None  # noqa: S101 (``_money`` refuses None)
    if amount <= 0:
        raise ApplicationError(_("A bid is more than zero."), field="amount_wan")
    # The lot row alone is locked, and read without joins: after waiting for the lock PostgreSQL hands back the
    # lot's latest version, but rows joined to it would be read as they were before the wait. What else is needed is
    # read by the statements after it, which see everything committed before the lock was granted.
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    now = timezone.now()  # after the lock: the close and the other bids are serialised on the lot row
    auction = Auction.objects.get(pk=lot.auction_id)
    lot.auction = auction
    if auction.status != Auction.Status.PUBLISHED or lot.status != Lot.Status.OPEN:
        raise ApplicationError(_("This lot no longer takes bids."), field="lot")
    if now < lot.starts_at:
        raise ApplicationError(
            _("Bidding on this lot opens at %(time)s.")
            % {"time": f"{timezone.localtime(lot.starts_at):%Y-%m-%d %H:%M}"},
            field="starts_at",
        )
    if now >= lot.ends_at:
        raise ApplicationError(
            _("Bidding on this lot closed at %(time)s.")
            % {"time": f"{timezone.localtime(lot.ends_at):%Y-%m-%d %H:%M:%S}"},
            field="ends_at",
        )
    problem = _bidder_problem(organization, auction)
    if problem:
        raise ApplicationError(problem, field="organization")
    if lot.achievement.organization_id == organization.pk:
        raise ApplicationError(_("Your organisation offers this lot: it does not bid on it."), field="organization")
    approved = BidderRegistration.objects.filter(
        auction=auction, organization=organization, status=BidderRegistration.Status.APPROVED
    ).exists()
    if not approved:
        raise ApplicationError(
            _("Your organisation is not an approved bidder at this auction: register and wait for the organiser's "
              "approval."),
            field="organization",
        )  # fmt: skip
    outbid = Bid.objects.filter(pk=lot.leading_bid_id).values_list("bidder_id", flat=True).first()
    if outbid == organization.pk:
        raise ApplicationError(_("Your organisation already holds the highest bid."), field="amount_wan")
    minimum = lot.minimum_bid_wan
    if amount < minimum:
        if lot.current_price_wan is None:
            text = _("The first bid is at least the starting price, %(minimum)s (10k CNY).")
        else:
            text = _(
                "A bid must be at least %(minimum)s (10k CNY): the current price %(price)s plus the increment "
                "%(increment)s."
            )
        raise ApplicationError(
            text % {"minimum": minimum, "price": lot.current_price_wan, "increment": lot.increment_wan},
            field="amount_wan",
        )
    extended = lot.ends_at - now <= _extend_window() and now + _extend_by() > lot.ends_at
    try:
        with transaction.atomic():
            bid = Bid.objects.create(
                lot=lot, bidder=organization, placed_by=by, amount_wan=amount, placed_at=now, extended_end=extended
            )
    except IntegrityError as error:  # the unique (lot, amount): only if the lock were bypassed
        raise ApplicationError(_("Another bid of this amount was placed first."), field="amount_wan") from error
    lot.current_price_wan, lot.leading_bid = amount, bid
    lot.bid_count = F("bid_count") + 1
    fields = ["current_price_wan", "leading_bid", "bid_count"]
    if extended:
        lot.ends_at = now + _extend_by()
        lot.extensions = F("extensions") + 1
        fields += ["ends_at", "extensions"]
    lot.save(update_fields=fields)
    if outbid is not None:
        _tell_outbid(Organization.objects.get(pk=outbid), lot, amount)
    return bid


def _tell_outbid(organization: Organization, lot: Lot, amount: Decimal) -> None:
    """The bidder whose bid no longer leads is told at once (on the lot's page, and by e-mail after the commit)."""
    organization_notify(
        organization=organization,
        subject=message(gettext_noop("You were outbid on %(lot)s"), lot=lot.achievement.title[:100]),
        body=message(
            gettext_noop("The highest bid is now %(amount)s (10k CNY); bidding closes at %(time)s."),
            amount=str(amount), time=f"{timezone.localtime(lot.ends_at):%Y-%m-%d %H:%M:%S}",
        ),
        link=reverse("auctions:lot", kwargs={"pk": lot.pk}),
    )  # fmt: skip


# --- Closing ---------------------------------------------------------------------------------------------------


@transaction.atomic
def lot_close(*, lot: Lot, now: datetime | None = None) -> Lot:
    """Close a lot whose bidding time is over: sold when the winning bid meets the reserve (the sale recorded as an
    agreement on the achievement), else unsold. Idempotent: a lot already closed, or not yet due (the time read under
    the lock is before ``ends_at``), is returned unchanged. ``now`` is for tests only."""
    auction = Auction.objects.select_for_update().get(pk=lot.auction_id)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)  # without joins: see ``bid_place``
    now = now or timezone.now()
    if lot.status != Lot.Status.OPEN or now < lot.ends_at:
        return lot
    lot.closed_at = now
    winner = lot.leading_bid
    if winner is not None and lot.reserve_met:
        lot.status = Lot.Status.SOLD
        lot.agreement = agreement_create(
            achievement=lot.achievement, need=None, mode=CooperationMode.TRANSFER, amount_wan=winner.amount_wan,
            signed_on=timezone.localdate(now), by=auction.created_by,  # type: ignore[arg-type]
            note=_("Auction %(auction)s: lot %(lot)s sold to %(buyer)s for %(amount)s (10k CNY).") % {
                "auction": auction.title, "lot": lot.achievement.title, "buyer": winner.bidder.name,
                "amount": winner.amount_wan,
            },
        )  # fmt: skip
    else:
        lot.status = Lot.Status.UNSOLD
    lot.save(update_fields=["status", "closed_at", "agreement"])
    _tell_close(auction, lot)
    _close_auction_when_done(auction, now)
    return lot


def _tell_close(auction: Auction, lot: Lot) -> None:
    link = reverse("auctions:lot", kwargs={"pk": lot.pk})
    title = lot.achievement.title[:100]
    if lot.status == Lot.Status.SOLD:
        winner = lot.leading_bid
        assert winner is not None  # noqa: S101 (a sold lot has its winning bid)
        organization_notify(
            organization=winner.bidder,
            subject=message(gettext_noop("You won the lot %(lot)s"), lot=title),
            body=message(gettext_noop("Your bid of %(amount)s (10k CNY) won at %(auction)s."),
                         amount=str(winner.amount_wan), auction=auction.title[:150]),
            link=link,
        )  # fmt: skip
        organization_notify(
            organization=lot.achievement.organization,
            subject=message(gettext_noop("Your achievement %(lot)s was sold at auction"), lot=title),
            body=message(gettext_noop("Sold for %(amount)s (10k CNY) at %(auction)s."),
                         amount=str(winner.amount_wan), auction=auction.title[:150]),
            link=link,
        )  # fmt: skip
    else:
        organization_notify(
            organization=auction.organizer,
            subject=message(gettext_noop("The lot %(lot)s closed unsold"), lot=title),
            link=link,
            mail=False,
        )


def _close_auction_when_done(auction: Auction, now: datetime) -> None:
    """The caller holds the auction's lock: a published auction with no open lot left is closed."""
    if auction.status == Auction.Status.PUBLISHED and not auction.lots.filter(status=Lot.Status.OPEN).exists():
        auction.status, auction.closed_at = Auction.Status.CLOSED, now
        auction.save(update_fields=["status", "closed_at", "updated_at"])


def due_lot_ids(*, now: datetime | None = None) -> list[int]:
    """The open lots of published auctions whose bidding time is over."""
    return list(
        Lot.objects.filter(
            status=Lot.Status.OPEN, auction__status=Auction.Status.PUBLISHED, ends_at__lte=now or timezone.now()
        ).order_by("ends_at", "pk").values_list("pk", flat=True)
    )


def close_due_lots(*, now: datetime | None = None) -> list[Lot]:
    """Close every lot that is due, each in its own transaction (``lot_close``); safe to run twice, or late."""
    closed = []
    for pk in due_lot_ids(now=now):
        auction_id = Lot.objects.values_list("auction_id", flat=True).get(pk=pk)
        lot = lot_close(lot=Lot(pk=pk, auction_id=auction_id), now=now)
        if lot.status != Lot.Status.OPEN:
            closed.append(lot)
    return closed
