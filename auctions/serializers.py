"""Serializers of the auctions API. Output and input are separate; input serializers check shapes only, the rules
are the services' (``auctions.services``).

A lot's ``reserve_price_wan`` is in the output only for the organiser's members and staff, and a bid's ``bidder`` only
for them too (a bidder sees its own bids without it: it knows who it is); otherwise the keys are absent, which the
schema documents by leaving them out of ``required``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from accounts.selectors import user_primary_membership
from core.api import NamedChoiceField
from core.limits import BODY_MAX, NOTE_MAX
from marketplace.models import Achievement

from .models import Auction, Bid, BidderRegistration, Lot
from .selectors import Standing, bidding_open, can_see_bidders, standing

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}
STANDINGS = [
    (Standing.LEADING, _("leading")),
    (Standing.OUTBID, _("outbid")),
    (Standing.WON, _("won")),
    (Standing.LOST, _("lost")),
]


def _user(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None) or AnonymousUser()


class AuctionOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class AuctionSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(choices=Auction.Status.choices, enum_name="AuctionStatusEnum", read_only=True)
    organizer = AuctionOrganizationSerializer(read_only=True)
    lot_count = serializers.SerializerMethodField()

    class Meta:
        model = Auction
        fields = ["id", "title", "description", "status", "organizer", "lot_count", "published_at", "closed_at",
                  "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_lot_count(self, auction: Auction) -> int:
        return auction.lots.count()


class AuctionInputSerializer(serializers.Serializer):
    organizer = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), help_text=_("The organiser organisation running the auction.")
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=BODY_MAX, required=False, allow_blank=True, default="")


class AuctionStatusInputSerializer(serializers.Serializer):
    status = NamedChoiceField(
        choices=[Auction.Status.PUBLISHED, Auction.Status.CANCELLED], enum_name="AuctionStatusChangeEnum"
    )


class LotAchievementSerializer(serializers.ModelSerializer):
    organization = AuctionOrganizationSerializer(read_only=True)

    class Meta:
        model = Achievement
        fields = ["id", "title", "organization"]
        read_only_fields = fields


class LotAuctionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Auction
        fields = ["id", "title"]
        read_only_fields = fields


class LotSerializer(serializers.ModelSerializer):
    """A lot as the requesting user may see it: the reserve only for the organiser and staff; the user's own
    standing (null when none of their organisations bid)."""

    auction = LotAuctionSerializer(read_only=True)
    achievement = LotAchievementSerializer(read_only=True)
    status = NamedChoiceField(choices=Lot.Status.choices, enum_name="LotStatusEnum", read_only=True)
    starting_price_wan = serializers.DecimalField(read_only=True, **MONEY)
    increment_wan = serializers.DecimalField(read_only=True, **MONEY)
    current_price_wan = serializers.DecimalField(
        read_only=True, allow_null=True, help_text=_("The highest bid; null before the first."), **MONEY
    )
    minimum_bid_wan = serializers.DecimalField(
        read_only=True, help_text=_("The least the next bid may be."), **MONEY
    )
    # Present only for some users: not read-only, so that the schema does not list it as required. This serializer
    # is never used for input.
    reserve_price_wan = serializers.DecimalField(
        required=False, allow_null=True, help_text=_("Only for the organiser and staff."), **MONEY
    )
    bidding_open = serializers.SerializerMethodField(help_text=_("Whether the lot takes bids now."))
    standing = serializers.SerializerMethodField(help_text=_("The standing of your organisation's bids, if any."))

    class Meta:
        model = Lot
        fields = ["id", "auction", "achievement", "status", "starting_price_wan", "increment_wan",
                  "reserve_price_wan", "current_price_wan", "minimum_bid_wan", "bid_count", "starts_at", "ends_at",
                  "extensions", "bidding_open", "standing", "closed_at"]  # fmt: skip
        read_only_fields = [name for name in fields if name != "reserve_price_wan"]

    @extend_schema_field(serializers.BooleanField())
    def get_bidding_open(self, lot: Lot) -> bool:
        return bidding_open(lot)

    @extend_schema_field(NamedChoiceField(choices=STANDINGS, enum_name="LotStandingEnum", allow_null=True))
    def get_standing(self, lot: Lot) -> str | None:
        return standing(_user(self), lot)

    def to_representation(self, instance: Lot) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not can_see_bidders(_user(self), instance.auction):
            data.pop("reserve_price_wan", None)
        return data


class LotInputSerializer(serializers.Serializer):
    achievement = serializers.PrimaryKeyRelatedField(
        queryset=Achievement.objects.all(), help_text=_("A published achievement.")
    )
    starting_price_wan = serializers.DecimalField(min_value=Decimal(0), **MONEY)
    reserve_price_wan = serializers.DecimalField(
        min_value=Decimal(0), required=False, allow_null=True, default=None,
        help_text=_("The lowest price the lot sells at; null: no reserve."), **MONEY,
    )  # fmt: skip
    increment_wan = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class _OrganizationDefault(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False,
        help_text=_("Your organisation acting; by default your primary organisation."),
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("organization") is None:
            membership = user_primary_membership(user=self.context["request"].user)
            if membership is None:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to no organisation: say which one acts.")]}
                )
            attrs["organization"] = membership.organization
        return attrs


class BidderRegisterInputSerializer(_OrganizationDefault):
    pass


class BidInputSerializer(_OrganizationDefault):
    amount_wan = serializers.DecimalField(min_value=Decimal("0.01"), **MONEY)


class BidSerializer(serializers.ModelSerializer):
    """A bid; ``bidder`` only for the organiser and staff."""

    amount_wan = serializers.DecimalField(read_only=True, **MONEY)
    bidder = AuctionOrganizationSerializer(required=False, help_text=_("Only for the organiser and staff."))
    leading = serializers.SerializerMethodField(help_text=_("Whether this is the lot's highest bid."))

    class Meta:
        model = Bid
        fields = ["id", "lot", "amount_wan", "placed_at", "extended_end", "leading", "bidder"]
        read_only_fields = ["id", "lot", "amount_wan", "placed_at", "extended_end", "leading"]

    @extend_schema_field(serializers.BooleanField())
    def get_leading(self, bid: Bid) -> bool:
        return bid.lot.leading_bid_id == bid.pk

    def to_representation(self, instance: Bid) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not can_see_bidders(_user(self), instance.lot.auction):
            data.pop("bidder", None)
        return data


class BidderRegistrationSerializer(serializers.ModelSerializer):
    auction = LotAuctionSerializer(read_only=True)
    organization = AuctionOrganizationSerializer(read_only=True)
    status = NamedChoiceField(
        choices=BidderRegistration.Status.choices, enum_name="BidderRegistrationStatusEnum", read_only=True
    )

    class Meta:
        model = BidderRegistration
        fields = ["id", "auction", "organization", "status", "note", "created_at", "decided_at"]
        read_only_fields = fields


class BidderDecisionInputSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_("true: approve the bidder; false: reject it."))
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")
