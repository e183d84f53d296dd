"""The auction pages: who sees and does what; bidding from the lot page (a refused bid shows its error on the field
and changes nothing); the lot's live state; bidders' names never shown to the public or to other bidders.

Roles: ``anonymous``; ``organiser``, a member of the organising organisation; ``bidder`` and ``rival``, approved
bidders; ``outsider``, a member of a university; ``staff``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions import services
from auctions.models import Auction, Bid, BidderRegistration, Lot

from .conftest import bid

pytestmark = pytest.mark.django_db

BIDDER_NAME = "宁德某新能源企业"
RIVAL_NAME = "常州某储能企业"


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


def _as(world, role):
    return {"anonymous": None, "organiser": world["organiser"], "bidder": world["bidder"], "rival": world["rival"],
            "outsider": world["outsider"], "staff": world["staff"]}[role]  # fmt: skip


@pytest.mark.parametrize("role", ["anonymous", "organiser", "bidder", "outsider", "staff"])
def test_public_pages_show_prices_never_bidders_except_to_the_organiser_and_staff(client, world, role):
    lot = world["lot"]
    bid(lot, world["bidder"], 100)
    bid(lot, world["rival"], 120)
    client = _client(client, _as(world, role))
    for url in (reverse("auctions:list"), reverse("auctions:detail", kwargs={"pk": world["auction"].pk}),
                reverse("auctions:lot", kwargs={"pk": lot.pk})):  # fmt: skip
        page = client.get(url)
        assert page.status_code == 200, url
    text = page.content.decode()  # the lot page
    assert "120.00" in text
    sees_all = role in ("organiser", "staff")
    assert (RIVAL_NAME in text) is sees_all
    if role != "bidder":  # a bidder's own name is in the page's header
        assert (BIDDER_NAME in text) is sees_all
    assert ("150.00" in text) is sees_all  # the reserve
    state = client.get(reverse("auctions:lot-state", kwargs={"pk": lot.pk})).json()
    assert state["current_price_wan"] == "120.00" and state["bid_count"] == 2
    assert RIVAL_NAME not in str(state) and BIDDER_NAME not in str(state)
    assert state["standing"] == {"bidder": "outbid"}.get(role)


def test_a_bidder_sees_its_own_standing_and_bids_not_the_rivals(client, world):
    lot = world["lot"]
    bid(lot, world["bidder"], 107.5)
    bid(lot, world["rival"], 120)
    client = _client(client, world["rival"])
    text = client.get(reverse("auctions:lot", kwargs={"pk": lot.pk})).content.decode()
    assert "You hold the highest bid." in text
    assert BIDDER_NAME not in text.split("</header>")[-1]
    assert "107.50" not in text and "120.00" in text.split("Your organisation")[-1]
    assert client.get(reverse("auctions:lot-state", kwargs={"pk": lot.pk})).json()["standing"] == "leading"


def test_drafts_are_hidden_from_everyone_but_the_organiser(client, world, organiser_member):
    organizer = organiser_member.organizations.get()
    draft = services.auction_create(organizer=organizer, by=organiser_member, title="草稿拍卖")
    url = reverse("auctions:detail", kwargs={"pk": draft.pk})
    assert client.get(url).status_code == 404
    assert _client(client, world["bidder"]).get(url).status_code == 404
    assert _client(client, organiser_member).get(url).status_code == 200


def test_bidding_on_the_page(client, world):
    lot = world["lot"]
    client = _client(client, world["bidder"])
    url = reverse("auctions:bid", kwargs={"pk": lot.pk})
    response = client.post(url, {"amount_wan": "100"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.current_price_wan == Decimal(100)


def test_a_bid_below_the_increment_shows_the_error_on_the_amount_and_changes_nothing(client, world):
    lot = world["lot"]
    bid(lot, world["rival"], 100)
    response = _client(client, world["bidder"]).post(reverse("auctions:bid", kwargs={"pk": lot.pk}),
                                                     {"amount_wan": "105"})  # fmt: skip
    assert response.status_code == 400
    assert "at least 110.00" in response.context["form"].errors["amount_wan"][0]
    lot.refresh_from_db()
    assert lot.current_price_wan == Decimal(100) and Bid.objects.filter(lot=lot).count() == 1


def test_a_bid_after_the_end_shows_a_clear_error(client, world):
    lot = world["lot"]
    Lot.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1),
                                         starts_at=timezone.now() - datetime.timedelta(hours=1))  # fmt: skip
    response = _client(client, world["bidder"]).post(reverse("auctions:bid", kwargs={"pk": lot.pk}),
                                                     {"amount_wan": "500"})  # fmt: skip
    assert response.status_code == 400
    assert "Bidding on this lot closed at" in response.content.decode()
    assert not Bid.objects.filter(lot=lot).exists()


def test_an_unapproved_enterprise_is_told_why(client, world):
    response = _client(client, world["newcomer"]).post(reverse("auctions:bid", kwargs={"pk": world["lot"].pk}),
                                                       {"amount_wan": "100"})  # fmt: skip
    assert response.status_code == 400
    assert "not an approved bidder" in response.content.decode()


def test_registering_and_approving_bidders(client, world):
    auction = world["auction"]
    newcomer = world["newcomer"]
    client = _client(client, newcomer)
    page = client.get(reverse("auctions:detail", kwargs={"pk": auction.pk})).content.decode()
    assert "Register as a bidder" in page
    assert client.post(reverse("auctions:register", kwargs={"pk": auction.pk})).status_code == 302
    registration = BidderRegistration.objects.get(auction=auction, organization=newcomer.organizations.get())
    assert registration.status == "pending"
    decide = reverse("auctions:decide-bidder", kwargs={"pk": auction.pk, "registration_pk": registration.pk})
    assert client.post(decide, {"decision": "approve"}).status_code == 403  # not the organiser
    assert client.get(reverse("auctions:bidders", kwargs={"pk": auction.pk})).status_code == 403
    client.force_login(world["organiser"])
    assert "苏州某材料企业" in client.get(reverse("auctions:bidders", kwargs={"pk": auction.pk})).content.decode()
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    registration.refresh_from_db()
    assert registration.status == "approved"


def test_the_organiser_creates_adds_a_lot_and_publishes(client, world, organiser_member):
    client = _client(client, organiser_member)
    assert client.get(reverse("auctions:create")).status_code == 200
    response = client.post(reverse("auctions:create"), {"title": "黄河流域成果拍卖", "description": "专场"})
    assert response.status_code == 302
    auction = Auction.objects.get(title="黄河流域成果拍卖")
    add = reverse("auctions:add-lot", kwargs={"pk": auction.pk})
    assert client.get(add).status_code == 200
    start = timezone.localtime() + datetime.timedelta(hours=1)
    data = {"achievement": world["listings"][1].pk, "starting_price_wan": "50", "reserve_price_wan": "80",
            "increment_wan": "5", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    response = client.post(add, data)
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"] == ["Bidding must close after it opens."]
    data["ends_at"] = (start + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(add, data).status_code == 302
    status = reverse("auctions:status", kwargs={"pk": auction.pk})
    assert client.post(status, {"status": "published"}).status_code == 302
    auction.refresh_from_db()
    assert auction.status == "published" and auction.lots.count() == 1


@pytest.mark.parametrize("role", ["anonymous", "bidder", "outsider"])
def test_organiser_pages_are_refused_to_others(client, world, role):
    client = _client(client, _as(world, role))
    auction = world["auction"]
    for name in ("bidders", "add-lot"):
        response = client.get(reverse(f"auctions:{name}", kwargs={"pk": auction.pk}))
        assert response.status_code in (302, 403)  # anonymous: to the login page
        assert response.status_code == (302 if role == "anonymous" else 403)
    assert client.get(reverse("auctions:create")).status_code == (302 if role == "anonymous" else 403)


def test_the_pages_speak_chinese(client, world):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("auctions:lot", kwargs={"pk": world["lot"].pk}), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert 'lang="zh-hans"' in page.content.decode()
