"""The matches API: /api/v1/matches/.

Reads start from ``match_visible_to`` (a match the user may not see is a 404 on every path): the two sides see their
organisations' approved, declined, in-contact and deal matches; staff see all. Writes go through
``matching.services``; their ``ApplicationError`` and ``PermissionDenied`` become 400 and 403 responses in
``core.api.exception_handler``.

Who may do what (after the 404 for matches the user may not see; anonymous users are refused everything):

* read: the two sides and staff; the other side's contact only once both sides accepted;
* accept, decline: a member of either side, while the match is approved and awaiting the answers;
* agreement: a member of either side or staff, once the match is in contact (or already a deal);
* approve, reject: staff.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_organization_ids
from core.api import ErrorSerializer, FieldErrorsSerializer, PageNumberPagination

from . import services
from .explaining import ensure_explained
from .models import Match, MatchEvent
from .selectors import match_visible_to
from .serializers import (
    SIDES,
    AgreementInputSerializer,
    AgreementSerializer,
    MatchApproveSerializer,
    MatchDeclineSerializer,
    MatchRejectSerializer,
    MatchSerializer,
)


def match_queryset(*, user: Any) -> QuerySet[Match]:
    """``match_visible_to`` with what the output reads, best first."""
    return (
        match_visible_to(user=user)
        .prefetch_related(
            "achievement__city",  # not joined: see matching.views._visible
            "need__city",
            "achievement__domains",
            "need__domains",
            "agreements",
            Prefetch("events", queryset=MatchEvent.objects.order_by("at", "pk")),
        )
        .order_by("-score", "-pk")
    )


class MatchFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Match.Status.choices, help_text=_("Only matches in this status."))
    side = django_filters.ChoiceFilter(
        choices=SIDES, method="filter_side", help_text=_("Only matches where the user's organisation is this side.")
    )

    class Meta:
        model = Match
        fields = ["status", "side"]

    def filter_side(self, queryset: QuerySet[Match], name: str, value: str) -> QuerySet[Match]:
        organizations = user_organization_ids(user=self.request.user) if self.request else set()
        return queryset.filter(Q(**{f"{value}__organization_id__in": organizations}))


INVALID = OpenApiResponse(FieldErrorsSerializer, description="Invalid input: the fields at fault with their messages.")
NOT_ALLOWED = OpenApiResponse(ErrorSerializer, description="Not logged in, or the user may not do this to this match.")
NOT_LOGGED_IN = OpenApiResponse(ErrorSerializer, description="Not logged in.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such match, or the user may not see it.")


def _action_schema(summary: str, description: str, request: Any = None, created: bool = False) -> Any:
    ok = {201: AgreementSerializer} if created else {200: MatchSerializer}
    return extend_schema(
        tags=["matches"],
        summary=summary,
        description=description,
        request=request,
        responses={**ok, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )


@extend_schema_view(
    list=extend_schema(
        tags=["matches"],
        summary="List matches",
        description=(
            "The matches the user may see, best first: the approved, declined, in-contact and deal matches of the "
            "user's organisations (staff: all, suggestions and rejections included). Reasons are in the request's "
            "language (Accept-Language: zh or en). The other side's contact appears only once both sides accepted."
        ),
        responses={200: MatchSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["matches"],
        summary="Read a match",
        responses={200: MatchSerializer, 403: NOT_LOGGED_IN, 404: NOT_FOUND},
    ),
    accept=_action_schema(
        "Accept a match",
        "A member of either side accepts an approved match. When both sides have, the match is in contact and "
        "each side sees the other's contact.",
    ),
    decline=_action_schema(
        "Decline a match",
        "A member of either side declines an approved match; the reason is required and the other side sees it.",
        MatchDeclineSerializer,
    ),
    agreement=_action_schema(
        "Record an agreement",
        "A member of either side, or staff, records the agreement signed on a match in contact; the match becomes "
        "a deal. The signing date may not be in the future.",
        AgreementInputSerializer,
        created=True,
    ),
    approve=_action_schema(
        "Approve a suggested match",
        "Staff: a suggestion is shown to both sides, who may then accept or decline it.",
        MatchApproveSerializer,
    ),
    reject=_action_schema(
        "Reject a match",
        "Staff: a suggested or approved match is withdrawn; the reason is required.",
        MatchRejectSerializer,
    ),
)
class MatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Matches between achievements and needs, and the answers of both sides."""

    serializer_class = MatchSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    filterset_class = MatchFilterSet

    def get_queryset(self) -> QuerySet[Match]:
        if getattr(self, "swagger_fake_view", False):
            return Match.objects.none()
        return match_queryset(user=self.request.user)

    # list and retrieve as DRF's mixins do them, recording the contacts they show (``_contacts_shown``).
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        matches = page if page is not None else list(queryset)
        data = self.get_serializer(matches, many=True).data
        self._contacts_shown(zip(matches, data, strict=True))
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        match = self.get_object()
        data = self.get_serializer(match).data
        self._contacts_shown([(match, data)])
        return Response(data)

    def paginate_queryset(self, queryset: QuerySet[Match]) -> list[Match] | None:
        page = super().paginate_queryset(queryset)
        if page is not None:
            ensure_explained(page)  # one batch for the page's matches still without reasons
        return page

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        match = services.match_accept(match=self.get_object(), by=request.user)
        return self._output(match)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = MatchDeclineSerializer(data=request.data)
        # A missing reason is the service's to refuse (400 on "reason"), after it has refused outsiders.
        reason = serializer.validated_data["reason"] if serializer.is_valid() else ""
        return self._output(services.match_decline(match=match, by=request.user, reason=reason))

    @action(detail=True, methods=["post"])
    def agreement(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = AgreementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agreement = services.agreement_record(match=match, by=request.user, **serializer.validated_data)
        return Response(AgreementSerializer(agreement).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = MatchApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        match = services.match_approve(match=match, by=request.user, note=serializer.validated_data["note"])
        return self._output(match)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        match = self.get_object()
        serializer = MatchRejectSerializer(data=request.data)
        # A missing reason is the service's to refuse (400 on "reason"), after it has refused non-staff (403).
        reason = serializer.validated_data["reason"] if serializer.is_valid() else ""
        return self._output(services.match_reject(match=match, by=request.user, reason=reason))

    def _output(self, match: Match) -> Response:
        """The match as the user now sees it, read again with everything the output needs."""
        match = match_queryset(user=self.request.user).get(pk=match.pk)
        data = self.get_serializer(match).data
        self._contacts_shown([(match, data)])
        return Response(data)

    def _contacts_shown(self, shown: Any) -> None:
        """Record in the audit log the matches whose contacts the output holds (the serializer decides)."""
        matches = [match for match, data in shown if data.get("counterpart_contact") or data.get("contacts")]
        if matches:
            services.match_contacts_seen(user=self.request.user, matches=matches)
