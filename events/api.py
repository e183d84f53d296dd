"""The events API: /api/v1/events/ and /api/v1/registrations/.

Reads start from ``events.selectors`` (an event the user may not see is a 404 on every path; so is a registration);
writes go through ``events.services``, whose ``ApplicationError`` and ``PermissionDenied`` become 400 and 403
responses in ``core.api.exception_handler``.

Who may do what (after the 404 for events the user may not see):

* list and read events: anyone (published, cancelled and finished events; the organiser's members also see its
  drafts; staff all);
* register: members of the participant's organisation (staff: for any organisation), while registration is open;
  beyond the capacity the registration joins the waiting list;
* an event's registrations: the organiser's members and staff see all, other members their organisations' own;
* check in: the organiser's members and staff;
* /registrations/: the user's organisations' registrations and those of the events they organise (staff: all);
  cancel: the participant's organisation, the organiser and staff.

A participant's e-mail and check-in code are only for the organiser, staff and the participant's organisation.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import ErrorSerializer, FieldErrorsSerializer, PageNumberPagination

from . import services
from .filters import EventFilterSet, RegistrationFilterSet
from .models import Event, Registration
from .selectors import event_calendar_order, event_visible_to, registration_visible_to, registrations_of
from .serializers import CheckInSerializer, EventSerializer, RegistrationInputSerializer, RegistrationSerializer

INVALID = OpenApiResponse(FieldErrorsSerializer, description="Invalid input: the fields at fault with their messages.")
NOT_ALLOWED = OpenApiResponse(ErrorSerializer, description="Not logged in, or the user may not do this.")
NOT_LOGGED_IN = OpenApiResponse(ErrorSerializer, description="Not logged in.")
EVENT_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such event, or the user may not see it.")
REGISTRATION_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such registration, or the user may not see it."
)


def _registration_output(request: Request, registration: Registration) -> dict[str, Any]:
    """The registration as the user now sees it, read again with its waiting position."""
    registration = registrations_of(request.user).filter(pk=registration.pk).first() or registration
    return RegistrationSerializer(registration, context={"request": request}).data


@extend_schema_view(
    list=extend_schema(
        tags=["events"],
        summary="List events",
        description=(
            "The events the user may see, upcoming first (soonest first), then past ones (most recent first): "
            "published, cancelled and finished events; the organiser's members also see its drafts; staff all. "
            "`domain` includes the subdomains of a top-level domain; `date_from` and `date_to` (days in China's "
            "time) keep the events running on or after, and starting on or before, those days."
        ),
        responses={200: EventSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(
        tags=["events"], summary="Read an event", responses={200: EventSerializer, 404: EVENT_NOT_FOUND}
    ),
    register=extend_schema(
        tags=["events"],
        summary="Register a participant",
        description=(
            "A member registers one of the organisation's people (by default for the user's primary organisation; "
            "staff: any). While places are left the registration is `confirmed` (the check-in code is e-mailed); "
            "otherwise it is `waiting`, with its `waiting_position`, and is promoted first come, first served when a "
            "place is freed. One active registration per e-mail and event."
        ),
        request=RegistrationInputSerializer,
        responses={201: RegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: EVENT_NOT_FOUND},
    ),
    registrations=extend_schema(
        tags=["events"],
        summary="List an event's registrations",
        description=(
            "The organiser's members and staff see every registration; other members only their organisations' "
            "(an empty list when there are none)."
        ),
        responses={200: RegistrationSerializer(many=True), 403: NOT_LOGGED_IN, 404: EVENT_NOT_FOUND},
    ),
    check_in=extend_schema(
        tags=["events"],
        summary="Check a participant in",
        description="The organiser's members and staff check a confirmed participant in by the registration's code.",
        request=CheckInSerializer,
        responses={200: RegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: EVENT_NOT_FOUND},
    ),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Roadshows, docking events and financing presentations, and registering for them."""

    serializer_class = EventSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    pagination_class = PageNumberPagination
    filterset_class = EventFilterSet

    def get_queryset(self) -> QuerySet[Event]:
        if getattr(self, "swagger_fake_view", False):
            return Event.objects.none()
        return event_calendar_order(event_visible_to(self.request.user).prefetch_related("clusters"))

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def register(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        serializer = RegistrationInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        registration = services.registration_create(event=event, by=request.user, **serializer.validated_data)
        return Response(_registration_output(request, registration), status=status.HTTP_201_CREATED)

    @action(
        detail=True,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def registrations(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        registrations = registration_visible_to(request.user, event)
        return Response(RegistrationSerializer(registrations, many=True, context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def check_in(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        serializer = CheckInSerializer(data=request.data)
        # A missing code is the service's to refuse (400 on "code"), after it has refused non-organisers (403).
        code = serializer.validated_data["code"] if serializer.is_valid() else ""
        registration = services.registration_check_in(event=event, code=code, by=request.user)
        return Response(_registration_output(request, registration))


@extend_schema_view(
    list=extend_schema(
        tags=["registrations"],
        summary="List registrations",
        description=(
            "The registrations of the user's organisations and, for organisers, those of the events they organise "
            "(staff: all), oldest first."
        ),
        responses={200: RegistrationSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["registrations"],
        summary="Read a registration",
        responses={200: RegistrationSerializer, 403: NOT_LOGGED_IN, 404: REGISTRATION_NOT_FOUND},
    ),
    cancel=extend_schema(
        tags=["registrations"],
        summary="Cancel a registration",
        description=(
            "The participant's organisation, the organiser or staff cancel a registration; a freed place goes to the "
            "first on the waiting list, who is told by e-mail. Cancelling twice is harmless."
        ),
        request=None,
        responses={200: RegistrationSerializer, 403: NOT_ALLOWED, 404: REGISTRATION_NOT_FOUND},
    ),
)
class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Registrations for events, as their organisations and organisers see them."""

    serializer_class = RegistrationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    filterset_class = RegistrationFilterSet

    def get_queryset(self) -> QuerySet[Registration]:
        if getattr(self, "swagger_fake_view", False):
            return Registration.objects.none()
        return registrations_of(self.request.user)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        registration = services.registration_cancel(registration=self.get_object(), by=request.user)
        return Response(_registration_output(request, registration))
