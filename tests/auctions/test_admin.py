"""Auctions in admin: nothing with rules is added or edited there; the actions call the services."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from auctions.models import Auction, BidderRegistration, Lot
from matching.models import Agreement

from .conftest import bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", ["auctions_auction", "auctions_lot", "auctions_bid", "auctions_bidderregistration"])
def test_records_with_rules_are_not_added_in_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_pages_list_and_show(admin_client, world):
    bid(world["lot"], world["bidder"], 100)
    for model, pk in (("auction", world["auction"].pk), ("lot", world["lot"].pk)):
        assert admin_client.get(reverse(f"admin:auctions_{model}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"admin:auctions_{model}_change", args=[pk])).content.decode()
        assert 'name="status"' not in page and 'name="current_price_wan"' not in page
    assert admin_client.get(reverse("admin:auctions_bid_changelist")).status_code == 200


def test_the_title_is_edited_through_the_service(admin_client, world):
    auction = world["auction"]
    url = reverse("admin:auctions_auction_change", args=[auction.pk])
    response = admin_client.post(url, {
        "title": "改名后的拍卖会", "description": "说明",
        **{f"{prefix}-{key}": value for prefix in ("lots", "bidders")
           for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    auction.refresh_from_db()
    assert auction.title == "改名后的拍卖会" and auction.status == "published"


def test_actions_close_due_lots_and_decide_bidders(admin_client, world):
    lot = world["lot"]
    bid(lot, world["bidder"], 200)
    Lot.objects.filter(pk=lot.pk).update(ends_at=timezone.now() - datetime.timedelta(seconds=1),
                                         starts_at=timezone.now() - datetime.timedelta(hours=1))  # fmt: skip
    response = admin_client.post(reverse("admin:auctions_lot_changelist"),
                                 {"action": "close_due_selected", "_selected_action": [lot.pk]})  # fmt: skip
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.status == "sold" and Agreement.objects.get().amount_wan == 200
    assert Auction.objects.get(pk=world["auction"].pk).status == "closed"
    registration = BidderRegistration.objects.get(organization=world["rival"].organizations.get())
    admin_client.post(reverse("admin:auctions_bidderregistration_changelist"),
                      {"action": "reject_selected", "_selected_action": [registration.pk]})  # fmt: skip
    registration.refresh_from_db()
    assert registration.status == "approved"  # the auction is over: the service refuses, nothing changes
