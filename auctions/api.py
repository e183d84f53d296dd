"""The auctions API: /api/v1/auctions/, /api/v1/lots/ and /api/v1/auction-bidders/.

Reads start from ``auctions.selectors`` (an auction the user may not see is a 404 on every path, its lots too); writes
go through ``auctions.services``, whose ``ApplicationError`` and ``PermissionDenied`` become 400 and 403 responses in
``core.api.exception_handler``.

Who may do what (after the 404 for auctions the user may not see):

* list and read auctions and lots: anyone (published, closed and cancelled auctions; the organiser's members also
  see its drafts; staff all). A lot shows its current price, the next minimum bid and the number of bids; its reserve
  only to the organiser and staff; ``standing`` is the requesting user's own;
* create an auction, publish or cancel it, add lots, withdraw a lot: the organiser's members (staff: any);
* register as a bidder: members of a verified enterprise, at a published auction; approve or reject bidders
  (/auction-bidders/{id}/decide/): the organiser's members and staff;
* bid: members of an approved bidder; a lot's bids: the organiser and staff see all with their bidders, a bidder its
  own organisation's, others none.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import INVALID, NOT_ALLOWED, NOT_LOGGED_IN, ErrorSerializer, PageNumberPagination
from core.exceptions import PermissionDenied

from . import services
from .models import Auction, BidderRegistration, Lot
from .selectors import (
    auction_visible_to,
    bids_visible_to,
    is_auction_organizer,
    lot_visible_to,
    registrations_of,
    registrations_visible_to,
)
from .serializers import (
    AuctionInputSerializer,
    AuctionSerializer,
    AuctionStatusInputSerializer,
    BidderDecisionInputSerializer,
    BidderRegisterInputSerializer,
    BidderRegistrationSerializer,
    BidInputSerializer,
    BidSerializer,
    LotInputSerializer,
    LotSerializer,
)

AUCTION_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such auction, or the user may not see it.")
LOT_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such lot, or the user may not see it.")
BIDDER_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such bidder registration, or the user may not see it."
)
ORGANISER_ONLY = OpenApiResponse(ErrorSerializer, description="Not logged in, or not the auction's organiser or staff.")


def _organizer_only(request: Request, auction: Auction, message: str) -> None:
    if not is_auction_organizer(request.user, auction):
        raise PermissionDenied(message)


def _lots(request: Request) -> QuerySet[Lot]:
    return lot_visible_to(request.user).select_related("leading_bid")


@extend_schema_view(
    list=extend_schema(
        tags=["auctions"],
        summary="List auctions",
        description=(
            "The auctions the user may see, newest first: published, closed and cancelled ones; the organiser's "
            "members also see its drafts; staff all."
        ),
        responses={200: AuctionSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(
        tags=["auctions"], summary="Read an auction", responses={200: AuctionSerializer, 404: AUCTION_NOT_FOUND}
    ),
    create=extend_schema(
        tags=["auctions"],
        summary="Create an auction",
        description="A member of an organiser organisation (staff: any organiser) creates a draft auction.",
        request=AuctionInputSerializer,
        responses={201: AuctionSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    set_status=extend_schema(
        tags=["auctions"],
        summary="Publish or cancel an auction",
        description=(
            "The organiser publishes a draft (it needs an open lot, and a verified organiser unless staff publish it) "
            "or cancels a draft or published auction (its open lots are withdrawn). An auction closes by itself once "
            "its last lot closes."
        ),
        request=AuctionStatusInputSerializer,
        responses={200: AuctionSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: AUCTION_NOT_FOUND},
    ),
    lots=[
        extend_schema(
            methods=["GET"],
            tags=["auctions"],
            summary="List an auction's lots",
            responses={200: LotSerializer(many=True), 404: AUCTION_NOT_FOUND},
        ),
        extend_schema(
            methods=["POST"],
            tags=["auctions"],
            summary="Add a lot",
            description=(
                "The organiser adds a published achievement (not on offer in another open lot) to a draft or "
                "published auction, with its starting price, optional reserve, increment (10k CNY) and bidding "
                "window."
            ),
            request=LotInputSerializer,
            responses={201: LotSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: AUCTION_NOT_FOUND},
        ),
    ],
    register=extend_schema(
        tags=["auctions"],
        summary="Register as a bidder",
        description=(
            "A member of a verified enterprise asks to bid at a published auction (by default for the user's primary "
            "organisation); the organiser approves or rejects it. Asking again changes nothing."
        ),
        request=BidderRegisterInputSerializer,
        responses={201: BidderRegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: AUCTION_NOT_FOUND},
    ),
    bidders=extend_schema(
        tags=["auctions"],
        summary="List an auction's bidder registrations",
        description="The organiser's members and staff see every one; other members their organisations' own.",
        responses={200: BidderRegistrationSerializer(many=True), 403: NOT_LOGGED_IN, 404: AUCTION_NOT_FOUND},
    ),
)
class AuctionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Auctions of achievements, their lots and bidders."""

    serializer_class = AuctionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Auction]:
        if getattr(self, "swagger_fake_view", False):
            return Auction.objects.none()
        return auction_visible_to(self.request.user)

    def create(self, request: Request) -> Response:
        serializer = AuctionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auction = services.auction_create(by=request.user, **serializer.validated_data)
        return Response(AuctionSerializer(auction, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="status", permission_classes=[permissions.IsAuthenticated])
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        _organizer_only(request, auction, _("Only the organiser changes the auction's status."))
        serializer = AuctionStatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auction = services.auction_set_status(auction=auction, by=request.user, **serializer.validated_data)
        return Response(AuctionSerializer(auction, context={"request": request}).data)

    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[permissions.IsAuthenticatedOrReadOnly],
        filter_backends=[],
        pagination_class=None,
    )
    def lots(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        if request.method == "POST":
            _organizer_only(request, auction, _("Only the organiser adds lots."))
            serializer = LotInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            lot = services.lot_add(auction=auction, by=request.user, **serializer.validated_data)
            data = LotSerializer(_lots(request).get(pk=lot.pk), context={"request": request}).data
            return Response(data, status=status.HTTP_201_CREATED)
        lots = _lots(request).filter(auction=auction)
        return Response(LotSerializer(lots, many=True, context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def register(self, request: Request, pk: str | None = None) -> Response:
        auction = self.get_object()
        serializer = BidderRegisterInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        registration = services.bidder_register(auction=auction, by=request.user, **serializer.validated_data)
        data = BidderRegistrationSerializer(registration, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def bidders(self, request: Request, pk: str | None = None) -> Response:
        registrations = registrations_visible_to(request.user, self.get_object())
        return Response(BidderRegistrationSerializer(registrations, many=True, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(
        tags=["lots"],
        summary="List lots",
        description="The lots of the auctions the user may see, soonest end first.",
        responses={200: LotSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(tags=["lots"], summary="Read a lot", responses={200: LotSerializer, 404: LOT_NOT_FOUND}),
    bid=extend_schema(
        tags=["lots"],
        summary="Place a bid",
        description=(
            "A member of an approved bidder bids (by default for the user's primary organisation) while bidding is "
            "open: at least the starting price for the first bid, then the current price plus the increment. A bid "
            "in the last minutes moves the end later. A refused bid changes nothing; the error names the field "
            "(`amount_wan`, `ends_at`, `starts_at`, `organization`, `lot`)."
        ),
        request=BidInputSerializer,
        responses={201: BidSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: LOT_NOT_FOUND},
    ),
    bids=extend_schema(
        tags=["lots"],
        summary="List a lot's bids",
        description=(
            "The organiser's members and staff see every bid with its bidder; a bidder its own organisation's bids; "
            "others none (an empty list)."
        ),
        responses={200: BidSerializer(many=True), 403: NOT_LOGGED_IN, 404: LOT_NOT_FOUND},
    ),
    withdraw=extend_schema(
        tags=["lots"],
        summary="Withdraw a lot",
        description="The organiser withdraws an open lot without bids (staff: with bids too).",
        request=None,
        responses={200: LotSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: LOT_NOT_FOUND},
    ),
)
class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The lots of auctions: prices, bidding windows and bids."""

    serializer_class = LotSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[Lot]:
        if getattr(self, "swagger_fake_view", False):
            return Lot.objects.none()
        return _lots(self.request).order_by("ends_at", "pk")

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def bid(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        serializer = BidInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        bid = services.bid_place(lot=lot, by=request.user, **serializer.validated_data)
        bid.lot = _lots(request).get(pk=lot.pk)
        return Response(BidSerializer(bid, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def bids(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        bids = bids_visible_to(request.user, lot).select_related("lot__auction")
        return Response(BidSerializer(bids, many=True, context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        lot = self.get_object()
        _organizer_only(request, lot.auction, _("Only the organiser withdraws lots."))
        services.lot_withdraw(lot=lot, by=request.user)
        return Response(LotSerializer(_lots(request).get(pk=lot.pk), context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(
        tags=["auctions"],
        summary="List bidder registrations",
        description=(
            "The bidder registrations of the user's organisations and of the auctions they organise (staff: all), "
            "newest first."
        ),
        responses={200: BidderRegistrationSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["auctions"],
        summary="Read a bidder registration",
        responses={200: BidderRegistrationSerializer, 403: NOT_LOGGED_IN, 404: BIDDER_NOT_FOUND},
    ),
    decide=extend_schema(
        tags=["auctions"],
        summary="Approve or reject a bidder",
        description="The organiser's members and staff approve or reject a bidder while the auction is not over.",
        request=BidderDecisionInputSerializer,
        responses={200: BidderRegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: BIDDER_NOT_FOUND},
    ),
)
class BidderRegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enterprises' requests to bid at auctions, as they and the organisers see them."""

    serializer_class = BidderRegistrationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination

    def get_queryset(self) -> QuerySet[BidderRegistration]:
        if getattr(self, "swagger_fake_view", False):
            return BidderRegistration.objects.none()
        return registrations_of(self.request.user)

    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        registration = self.get_object()
        serializer = BidderDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = services.bidder_decide(registration=registration, by=request.user, **serializer.validated_data)
        return Response(BidderRegistrationSerializer(registration, context={"request": request}).data)
