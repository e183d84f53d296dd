"""Broker appointments in the API: read those the user may see (``appointments_visible_to``); owners appoint,
change listings and revoke, a broker steps down, all through ``brokers.services``. A broker's work on matches is
the matches API's (``/api/v1/matches/``), which shows them the matches of their listings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Organization
from core.api import INVALID, NOT_ALLOWED, ErrorSerializer, PageNumberPagination
from core.exceptions import PermissionDenied

from . import services
from .models import BrokerAppointment
from .selectors import appointments_visible_to
from .serializers import (
    AppointInputSerializer,
    BrokerAppointmentSerializer,
    ListingsInputSerializer,
    RevokeInputSerializer,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such appointment, or the user may not see it.")
CHANGED = {200: BrokerAppointmentSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: NOT_FOUND}
TAGS = ["brokers"]


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="List broker appointments (your organisations', and yours as a broker)"),
    retrieve=extend_schema(tags=TAGS, summary="Read an appointment",
                           responses={200: BrokerAppointmentSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        tags=TAGS, summary="Appoint a service agency's member as broker for some listings (the organisation's owners)",
        request=AppointInputSerializer, responses={201: BrokerAppointmentSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    partial_update=extend_schema(tags=TAGS, summary="Change the listings granted (the organisation's owners)",
                                 request=ListingsInputSerializer, responses=CHANGED),
    revoke=extend_schema(tags=TAGS, summary="Revoke the appointment (owners), or step down (the broker)",
                         request=RevokeInputSerializer, responses=CHANGED),
)  # fmt: skip
class BrokerAppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service-agency brokers appointed by organisations."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    serializer_class = BrokerAppointmentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[BrokerAppointment]:
        if getattr(self, "swagger_fake_view", False):
            return BrokerAppointment.objects.none()
        return appointments_visible_to(user=self.request.user).prefetch_related("achievements", "needs")

    def _out(self, appointment: BrokerAppointment, code: int = status.HTTP_200_OK) -> Response:
        appointment = self.get_queryset().get(pk=appointment.pk)
        return Response(BrokerAppointmentSerializer(appointment).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = AppointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        organization = Organization.objects.filter(pk=data["organization"]).first()
        if organization is None:
            raise PermissionDenied(field="organization")
        appointment = services.broker_appoint(
            organization=organization, by=request.user, broker_email=data["broker_email"],
            achievement_ids=data["achievements"], need_ids=data["needs"], note=data["note"],
        )  # fmt: skip
        return self._out(appointment, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        serializer = ListingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.broker_set_listings(
            appointment=appointment, by=request.user, achievement_ids=serializer.validated_data["achievements"],
            need_ids=serializer.validated_data["needs"],
        )  # fmt: skip
        return self._out(appointment)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.broker_revoke(appointment=appointment, by=request.user, reason=serializer.validated_data["reason"])
        return self._out(appointment)
