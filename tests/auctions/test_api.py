"""The auctions API: the same rules as the pages (the same services), errors naming their field, bidders' identities
and the reserve only for the organiser and staff."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from auctions.models import Auction, Bid, BidderRegistration, Lot

from .conftest import bid

pytestmark = pytest.mark.django_db

RIVAL_NAME = "常州某储能企业"


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_public_reads_show_prices_not_bidders_nor_the_reserve(world):
    lot = world["lot"]
    bid(lot, world["rival"], 120)
    auctions = _api().get("/api/v1/auctions/").json()
    assert [a["id"] for a in auctions["results"]] == [world["auction"].pk]
    data = _api().get(f"/api/v1/lots/{lot.pk}/").json()
    assert data["current_price_wan"] == "120.00" and data["minimum_bid_wan"] == "130.00" and data["bid_count"] == 1
    assert "reserve_price_wan" not in data and data["standing"] is None
    assert RIVAL_NAME not in str(data)
    assert _api().get(f"/api/v1/lots/{lot.pk}/bids/").status_code == 403
    others = _api(world["bidder"]).get(f"/api/v1/lots/{lot.pk}/bids/").json()
    assert others == []  # another bidder sees none of the rival's bids
    own = _api(world["rival"]).get(f"/api/v1/lots/{lot.pk}/bids/").json()
    assert [b["amount_wan"] for b in own] == ["120.00"] and "bidder" not in own[0]
    organiser = _api(world["organiser"]).get(f"/api/v1/lots/{lot.pk}/bids/").json()
    assert organiser[0]["bidder"]["name"] == RIVAL_NAME
    assert _api(world["staff"]).get(f"/api/v1/lots/{lot.pk}/").json()["reserve_price_wan"] == "150.00"


def test_bidding_through_the_api(world):
    lot = world["lot"]
    client = _api(world["bidder"])
    response = client.post(f"/api/v1/lots/{lot.pk}/bid/", {"amount_wan": "100"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["leading"] is True
    assert client.get(f"/api/v1/lots/{lot.pk}/").json()["standing"] == "leading"
    response = _api(world["rival"]).post(f"/api/v1/lots/{lot.pk}/bid/", {"amount_wan": "105"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["amount_wan"] and "110.00" in response.json()["amount_wan"][0]
    assert client.get(f"/api/v1/lots/{lot.pk}/").json()["standing"] == "leading"


def test_a_bid_after_the_end_names_the_field_and_changes_nothing(world):
    lot = world["lot"]
    Lot.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1),
                                         starts_at=timezone.now() - datetime.timedelta(hours=1))  # fmt: skip
    response = _api(world["bidder"]).post(f"/api/v1/lots/{lot.pk}/bid/", {"amount_wan": "300"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["ends_at"]
    assert not Bid.objects.exists()


def test_not_approved_and_not_members(world):
    lot = world["lot"]
    response = _api(world["newcomer"]).post(f"/api/v1/lots/{lot.pk}/bid/", {"amount_wan": "100"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["organization"]
    organization = world["bidder"].organizations.get().pk
    data = {"amount_wan": "100", "organization": organization}
    response = _api(world["rival"]).post(f"/api/v1/lots/{lot.pk}/bid/", data, format="json")
    assert response.status_code == 403
    assert _api().post(f"/api/v1/lots/{lot.pk}/bid/", {"amount_wan": "100"}, format="json").status_code == 403


def test_the_organiser_runs_an_auction_through_the_api(world, organiser_member):
    client = _api(organiser_member)
    organizer = organiser_member.organizations.get().pk
    response = client.post("/api/v1/auctions/", {"organizer": organizer, "title": "API拍卖会"}, format="json")
    assert response.status_code == 201
    auction = response.json()["id"]
    assert _api().get(f"/api/v1/auctions/{auction}/").status_code == 404  # a draft
    start = timezone.now()
    lot = {"achievement": world["listings"][1].pk, "starting_price_wan": "10", "increment_wan": "1",
           "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(days=1)).isoformat()}  # fmt: skip
    assert _api(world["bidder"]).post(f"/api/v1/auctions/{auction}/lots/", lot, format="json").status_code == 404
    response = client.post(f"/api/v1/auctions/{auction}/lots/", lot, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["reserve_price_wan"] is None
    response = client.post(f"/api/v1/auctions/{auction}/status/", {"status": "published"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "published"
    newcomer = _api(world["newcomer"])
    response = newcomer.post(f"/api/v1/auctions/{auction}/register/", {}, format="json")
    assert response.status_code == 201 and response.json()["status"] == "pending"
    registration = response.json()["id"]
    assert newcomer.post(f"/api/v1/auction-bidders/{registration}/decide/", {"approve": True},
                         format="json").status_code == 403  # fmt: skip
    response = client.post(f"/api/v1/auction-bidders/{registration}/decide/", {"approve": True}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert BidderRegistration.objects.get(pk=registration).status == "approved"
    bidders = client.get(f"/api/v1/auctions/{auction}/bidders/").json()
    assert [b["organization"]["name"] for b in bidders] == ["苏州某材料企业"]
    assert Auction.objects.get(pk=auction).status == "published"


def test_others_cannot_run_the_organisers_auction(world):
    auction = world["auction"].pk
    client = _api(world["bidder"])
    assert client.post(f"/api/v1/auctions/{auction}/status/", {"status": "cancelled"}, format="json").status_code == 403
    response = client.post("/api/v1/auctions/", {"organizer": world["organiser"].organizations.get().pk,
                                                 "title": "冒名拍卖"}, format="json")  # fmt: skip
    assert response.status_code == 403
    assert client.post(f"/api/v1/lots/{world['lot'].pk}/withdraw/").status_code == 403
