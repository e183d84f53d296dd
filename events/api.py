"""The events API: /api/v1/events/, /api/v1/registrations/, /api/v1/presentations/ and /api/v1/meetings/.

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

* programme: anyone; apply to present: members, for their organisations' published listings;
* /presentations/: the applications of the user's organisations and of the events they organise (staff: all);
  accept into a slot (schedule) and decline: the organiser's members and staff;
* whom to meet, agenda, requesting a meeting: members acting for their organisation's confirmed registration at a
  docking event; accept and decline: the invitee's organisation; grid and moving meetings: the organiser's members
  and staff; /meetings/: the meetings of the user's organisations and of the events they organise (staff: all);
* edit an event (PATCH), report and recording agreements signed at the event: the organiser's members and staff;
* the scheduler (events/{id}/schedule/, /schedule-plans/, meetings' pin), publishing the agenda: the organiser's
  members and staff; cancelling a meeting: the two participants' organisations and the organiser.

A participant's e-mail and check-in code are only for the organiser, staff and the participant's organisation; the
programme, suggestions, meetings and grids name participants by name and organisation only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import staff_may, user_organization_ids
from core.api import INVALID, NOT_ALLOWED, NOT_LOGGED_IN, ErrorSerializer, PageNumberPagination
from core.exceptions import ApplicationError, PermissionDenied

from . import meetings, outcomes, programme, services
from .filters import EventFilterSet, RegistrationFilterSet
from .models import Event, Meeting, PresentationApplication, Registration, SchedulePlan
from .scheduling import service as scheduling
from .selectors import (
    acting_registrations,
    applications_visible_to,
    event_agreements,
    event_calendar_order,
    event_visible_to,
    is_event_organizer,
    meeting_grid,
    meetings_visible_to,
    registration_visible_to,
    registrations_of,
    schedule_plans_visible_to,
)
from .serializers import (
    AgendaPublishInputSerializer,
    BreaksInputSerializer,
    CheckInSerializer,
    EventAgreementInputSerializer,
    EventAgreementSerializer,
    EventReportSerializer,
    EventSerializer,
    EventUpdateInputSerializer,
    LimitInputSerializer,
    MeetingAcceptInputSerializer,
    MeetingGridInputSerializer,
    MeetingGridSerializer,
    MeetingMoveInputSerializer,
    MeetingPinInputSerializer,
    MeetingRequestInputSerializer,
    MeetingSerializer,
    PresentationApplicationSerializer,
    PresentationApplyInputSerializer,
    PresentationScheduleInputSerializer,
    ProgrammeEntrySerializer,
    RegistrationInputSerializer,
    RegistrationSerializer,
    SchedulePlanSerializer,
    ScheduleStartInputSerializer,
    SuggestionSerializer,
)

EVENT_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such event, or the user may not see it.")
REGISTRATION_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such registration, or the user may not see it."
)
APPLICATION_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such application, or the user may not see it.")
MEETING_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such meeting, or the user may not see it.")
PLAN_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such schedule plan, or not one of the user's organisations' events."
)
ORGANISER_ONLY = OpenApiResponse(ErrorSerializer, description="Not logged in, or not the event's organiser or staff.")
ACTING_REGISTRATION = OpenApiParameter(
    "registration",
    OpenApiTypes.INT,
    description=("The user's organisation's confirmed registration to act for; by default its first one at the event."),
)
NOT_A_PARTICIPANT = OpenApiResponse(
    ErrorSerializer, description="Not logged in, or the user's organisation has no confirmed place at the event."
)


def _organizer_only(request: Request, event: Event, message: str) -> None:
    if not is_event_organizer(request.user, event):
        raise PermissionDenied(message)


def _docking_only(event: Event) -> None:
    if event.kind != Event.Kind.DOCKING:
        raise ApplicationError(_("Only docking events have 1:1 meetings."), field="event")


def _acting_registration(request: Request, event: Event, chosen: object = None) -> Registration:
    """The user's organisation's confirmed registration at ``event`` to act for: ``chosen`` (an id) or the first."""
    registrations = acting_registrations(request.user, event)
    if chosen in (None, ""):
        registration = registrations.first()
        if registration is None:
            raise PermissionDenied(_("Your organisation has no confirmed place at this event."))
        return registration
    registration = registrations.filter(pk=int(chosen)).first() if str(chosen).isdigit() else None
    if registration is None:
        raise ApplicationError(
            _("Not one of your organisation's confirmed registrations at this event."), field="registration"
        )
    return registration


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
    programme=extend_schema(
        tags=["events"],
        summary="Read a roadshow's programme",
        description="The accepted presentations in time order, with their slots and listings (none at docking events).",
        responses={200: ProgrammeEntrySerializer(many=True), 404: EVENT_NOT_FOUND},
    ),
    apply=extend_schema(
        tags=["events"],
        summary="Apply to present",
        description=(
            "A member applies to present one of the organisation's published achievements (or, at a financing "
            "presentation, needs) at a published roadshow or financing presentation; the organiser accepts it into "
            "a timed slot (see /presentations/)."
        ),
        request=PresentationApplyInputSerializer,
        responses={201: PresentationApplicationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: EVENT_NOT_FOUND},
    ),
    whom_to_meet=extend_schema(
        tags=["meetings"],
        summary="Whom to meet",
        description=(
            "The other organisations' confirmed participants of a docking event, ranked by the best matching score "
            "between the two organisations' listings, with that match's reasons in the request's language."
        ),
        parameters=[ACTING_REGISTRATION],
        responses={200: SuggestionSerializer(many=True), 400: INVALID, 403: NOT_A_PARTICIPANT, 404: EVENT_NOT_FOUND},
    ),
    agenda=extend_schema(
        tags=["meetings"],
        summary="A participant's agenda",
        description="The accepted meetings of the user's organisation's participant, in time order.",
        parameters=[ACTING_REGISTRATION],
        responses={200: MeetingSerializer(many=True), 400: INVALID, 403: NOT_A_PARTICIPANT, 404: EVENT_NOT_FOUND},
    ),
    grid=[
        extend_schema(
            methods=["GET"],
            tags=["meetings"],
            summary="The meeting grid",
            description="A docking event's slots, tables and accepted meetings (each in a slot at a table).",
            responses={200: MeetingGridSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
        ),
        extend_schema(
            methods=["POST"],
            tags=["meetings"],
            summary="Add slots and tables",
            description=(
                "The organiser adds meeting slots (within the event) and tables to a docking event; those already "
                "there are kept. Answers with the whole grid."
            ),
            request=MeetingGridInputSerializer,
            responses={200: MeetingGridSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
        ),
    ],
    schedule=extend_schema(
        tags=["meetings"],
        summary="Run the scheduler",
        description=(
            "The organiser asks the scheduler (organiser scheduling mode) for a plan of every accepted meeting: "
            "`full` places as many as possible, then the best matches; `repair` also moves as few placed meetings as "
            "possible. Answers 202 with the plan, solved in the background (read it at /schedule-plans/{id}/ until "
            "`solved_at` is set), then applied or discarded there."
        ),
        request=ScheduleStartInputSerializer,
        responses={202: SchedulePlanSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
    ),
    publish_agenda=extend_schema(
        tags=["meetings"],
        summary="Publish the agenda",
        description=(
            "The organiser publishes the preliminary or the final agenda (organiser scheduling mode): participants "
            "then see their meetings' times and tables, and every participating organisation is told. The final "
            "agenda is published once."
        ),
        request=AgendaPublishInputSerializer,
        responses={200: EventSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
    ),
    report=extend_schema(
        tags=["events"],
        summary="The event's report",
        description=(
            "Registrations (all, confirmed, waiting, cancelled), attendance, meetings held and the agreements signed "
            "at the event with their total in 10k CNY (万元); organisers."
        ),
        responses={200: EventReportSerializer, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
    ),
    partial_update=extend_schema(
        tags=["events"],
        summary="Edit an event",
        description=(
            "The organiser's members and staff change a draft or published event under the rules of creation. Raising "
            "the capacity gives the new places to the waiting list in order (each told by e-mail); it cannot go below "
            "the confirmed places."
        ),
        request=EventUpdateInputSerializer,
        responses={200: EventSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
    ),
    agreements=extend_schema(
        tags=["events"],
        summary="Record an agreement signed at the event",
        description=(
            "The organiser records an agreement between participants: a published achievement of an organisation "
            "with a confirmed place, optionally a participant's published need; dated today at the latest, or on "
            "one of the event's days."
        ),
        request=EventAgreementInputSerializer,
        responses={201: EventAgreementSerializer, 400: INVALID, 403: ORGANISER_ONLY, 404: EVENT_NOT_FOUND},
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

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser edits the event."))
        serializer = EventUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = services.event_update(event=event, by=request.user, **serializer.service_arguments())
        return Response(EventSerializer(self.get_queryset().get(pk=event.pk), context={"request": request}).data)

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

    # --- Programme -----------------------------------------------------------------------------------------------

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def programme(self, request: Request, pk: str | None = None) -> Response:
        entries = programme.programme(event=self.get_object())
        return Response(ProgrammeEntrySerializer(entries, many=True, context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        serializer = PresentationApplyInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        listing = serializer.validated_data["listing"]
        staff = staff_may(request.user, "events.add_presentationapplication")  # refused by the service: 403
        if not staff and listing.organization_id not in user_organization_ids(user=request.user):
            raise ApplicationError(_("Present one of your organisation's published listings."), field="listing")
        application = programme.presentation_apply(
            event=event, organization=listing.organization, by=request.user, listing=listing,
            pitch=serializer.validated_data["pitch"],
        )  # fmt: skip
        data = PresentationApplicationSerializer(application, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    # --- Meetings ------------------------------------------------------------------------------------------------

    @action(
        detail=True,
        methods=["get"],
        url_path="whom-to-meet",
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def whom_to_meet(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _docking_only(event)
        registration = _acting_registration(request, event, request.query_params.get("registration"))
        suggestions = meetings.whom_to_meet(registration=registration, limit=50)
        return Response(SuggestionSerializer(suggestions, many=True, context={"request": request}).data)

    @action(
        detail=True,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def agenda(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _docking_only(event)
        registration = _acting_registration(request, event, request.query_params.get("registration"))
        agenda = meetings.agenda(registration=registration)
        return Response(MeetingSerializer(agenda, many=True, context={"request": request}).data)

    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def grid(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser sees and defines the meeting grid."))
        _docking_only(event)
        if request.method == "POST":
            serializer = MeetingGridInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            slots = [(slot["starts_at"], slot["ends_at"]) for slot in serializer.validated_data["slots"]]
            meetings.meeting_grid_define(event=event, by=request.user, slots=slots,
                                         tables=serializer.validated_data["tables"])  # fmt: skip
        return Response(MeetingGridSerializer(meeting_grid(event), context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser runs the scheduler."))
        serializer = ScheduleStartInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = scheduling.schedule_plan_start(event=event, by=request.user, kind=serializer.validated_data["kind"])
        data = SchedulePlanSerializer(plan, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"], url_path="publish-agenda", permission_classes=[permissions.IsAuthenticated])
    def publish_agenda(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser publishes the agenda."))
        serializer = AgendaPublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = scheduling.agenda_publish(event=event, by=request.user, status=serializer.validated_data["status"])
        return Response(EventSerializer(self.get_queryset().get(pk=event.pk), context={"request": request}).data)

    # --- Outcomes ------------------------------------------------------------------------------------------------

    @action(
        detail=True,
        methods=["get"],
        permission_classes=[permissions.IsAuthenticated],
        filter_backends=[],
        pagination_class=None,
    )
    def report(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser reads the event's report."))
        data = {"figures": asdict(outcomes.event_report(event=event)), "agreements": event_agreements(event)}
        return Response(EventReportSerializer(data, context={"request": request}).data)

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def agreements(self, request: Request, pk: str | None = None) -> Response:
        event = self.get_object()
        _organizer_only(request, event, _("Only the organiser records the event's agreements."))
        serializer = EventAgreementInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        agreement = outcomes.event_agreement_record(event=event, by=request.user, **serializer.validated_data)
        agreement = event_agreements(event).get(pk=agreement.pk)
        data = EventAgreementSerializer(agreement, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


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
    breaks=extend_schema(
        tags=["registrations"],
        summary="Set the participant's breaks",
        description=(
            "The participant's organisation or the organiser lists the meeting slots the participant takes off "
            "(all of them: a slot not listed is open). The scheduler and acceptances keep to them."
        ),
        request=BreaksInputSerializer,
        responses={200: RegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: REGISTRATION_NOT_FOUND},
    ),
    limit=extend_schema(
        tags=["registrations"],
        summary="Set the participant's own maximum of meetings",
        description="The organiser gives one participant a maximum of meetings of their own (null: the event's).",
        request=LimitInputSerializer,
        responses={200: RegistrationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: REGISTRATION_NOT_FOUND},
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

    @action(detail=True, methods=["post"])
    def breaks(self, request: Request, pk: str | None = None) -> Response:
        registration = self.get_object()
        serializer = BreaksInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wanted = set(serializer.validated_data["slots"])
        slots = list(registration.event.meeting_slots.filter(pk__in=wanted))
        if len(slots) != len(wanted):
            raise ApplicationError(_("The slots belong to this event."), field="slots")
        registration = meetings.registration_breaks_set(registration=registration, by=request.user, slots=slots)
        return Response(_registration_output(request, registration))

    @action(detail=True, methods=["post"])
    def limit(self, request: Request, pk: str | None = None) -> Response:
        serializer = LimitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        registration = meetings.registration_limit_set(
            registration=self.get_object(), by=request.user, max_meetings=serializer.validated_data["max_meetings"]
        )
        return Response(_registration_output(request, registration))


@extend_schema_view(
    list=extend_schema(
        tags=["presentations"],
        summary="List presentation applications",
        description=(
            "The applications of the user's organisations and, for organisers, those to the events they organise "
            "(staff: all). `event` keeps one event's."
        ),
        responses={200: PresentationApplicationSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["presentations"],
        summary="Read a presentation application",
        responses={200: PresentationApplicationSerializer, 403: NOT_LOGGED_IN, 404: APPLICATION_NOT_FOUND},
    ),
    schedule=extend_schema(
        tags=["presentations"],
        summary="Accept into a slot",
        description=(
            "The organiser accepts the application and places it in a timed slot within the event; slots do not "
            "overlap (one presenter at a time). Scheduling again moves it."
        ),
        request=PresentationScheduleInputSerializer,
        responses={200: PresentationApplicationSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: APPLICATION_NOT_FOUND},
    ),
    decline=extend_schema(
        tags=["presentations"],
        summary="Decline an application",
        description="The organiser declines the application (an accepted one leaves the programme).",
        request=None,
        responses={200: PresentationApplicationSerializer, 403: NOT_ALLOWED, 404: APPLICATION_NOT_FOUND},
    ),
)
class PresentationApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Applications to present at roadshows and financing presentations."""

    serializer_class = PresentationApplicationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    filterset_fields = ["event"]

    def get_queryset(self) -> QuerySet[PresentationApplication]:
        if getattr(self, "swagger_fake_view", False):
            return PresentationApplication.objects.none()
        return applications_visible_to(self.request.user)

    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        _organizer_only(request, application.event, _("Only the organiser builds the programme."))
        serializer = PresentationScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = programme.presentation_schedule(application=application, by=request.user,
                                                      **serializer.validated_data)  # fmt: skip
        return Response(self.get_serializer(self.get_queryset().get(pk=application.pk)).data)

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        application = programme.presentation_decline(application=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=application.pk)).data)


@extend_schema_view(
    list=extend_schema(
        tags=["meetings"],
        summary="List meetings",
        description=(
            "The 1:1 meetings and requests of the user's organisations' participants and, for organisers, those of "
            "the events they organise (staff: all). `event` keeps one event's."
        ),
        responses={200: MeetingSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["meetings"],
        summary="Read a meeting",
        responses={200: MeetingSerializer, 403: NOT_LOGGED_IN, 404: MEETING_NOT_FOUND},
    ),
    create=extend_schema(
        tags=["meetings"],
        summary="Request a meeting",
        description=(
            "A member asks, for the organisation's confirmed participant of a docking event, to meet another "
            "organisation's confirmed participant (see whom-to-meet). One open request or meeting per pair."
        ),
        request=MeetingRequestInputSerializer,
        responses={201: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED},
    ),
    accept=extend_schema(
        tags=["meetings"],
        summary="Accept a meeting request",
        description=(
            "The invitee's organisation accepts; the meeting is placed in the chosen slot, or the earliest one where "
            "both people and a table are free."
        ),
        request=MeetingAcceptInputSerializer,
        responses={200: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: MEETING_NOT_FOUND},
    ),
    decline=extend_schema(
        tags=["meetings"],
        summary="Decline a meeting request",
        request=None,
        responses={200: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: MEETING_NOT_FOUND},
    ),
    move=extend_schema(
        tags=["meetings"],
        summary="Move a meeting",
        description="The organiser moves an accepted meeting to another slot and table where both people are free.",
        request=MeetingMoveInputSerializer,
        responses={200: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: MEETING_NOT_FOUND},
    ),
    pin=extend_schema(
        tags=["meetings"],
        summary="Pin or unpin a meeting",
        description="The organiser pins a placed meeting: the scheduler keeps it in its slot at its table.",
        request=MeetingPinInputSerializer,
        responses={200: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: MEETING_NOT_FOUND},
    ),
    cancel=extend_schema(
        tags=["meetings"],
        summary="Cancel a meeting",
        description=(
            "Either participant's organisation (or the organiser) cancels an accepted meeting, freeing its place and "
            "telling the other side; the requester's organisation withdraws an unanswered request."
        ),
        request=None,
        responses={200: MeetingSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: MEETING_NOT_FOUND},
    ),
)
class MeetingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """1:1 meetings at docking events."""

    serializer_class = MeetingSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    filterset_fields = ["event"]

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):
            return Meeting.objects.none()
        return meetings_visible_to(self.request.user)

    def _output(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=meeting.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = MeetingRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitee = serializer.validated_data["invitee"]
        event = event_visible_to(request.user).filter(pk=invitee.event_id).first()
        if event is None:
            raise ApplicationError(_("No confirmed participant of a visible event has that id."), field="invitee")
        _docking_only(event)
        requester = serializer.validated_data.get("requester")
        requester = _acting_registration(request, event, requester.pk if requester else None)
        meeting = meetings.meeting_request(requester=requester, invitee=invitee, by=request.user,
                                           note=serializer.validated_data["note"])  # fmt: skip
        return self._output(meeting, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        serializer = MeetingAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        slot = serializer.validated_data.get("slot")
        if slot is not None and slot.event_id != meeting.event_id:
            raise ApplicationError(_("The slot belongs to another event."), field="slot")
        return self._output(meetings.meeting_accept(meeting=meeting, by=request.user, slot=slot))

    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        return self._output(meetings.meeting_decline(meeting=self.get_object(), by=request.user))

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        _organizer_only(request, meeting.event, _("Only the organiser moves meetings."))
        serializer = MeetingMoveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._output(meetings.meeting_move(meeting=meeting, by=request.user, **serializer.validated_data))

    @action(detail=True, methods=["post"])
    def pin(self, request: Request, pk: str | None = None) -> Response:
        meeting = self.get_object()
        _organizer_only(request, meeting.event, _("Only the organiser pins meetings."))
        serializer = MeetingPinInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pinned = serializer.validated_data["pinned"]
        return self._output(scheduling.meeting_pin(meeting=meeting, by=request.user, pinned=pinned))

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._output(meetings.meeting_cancel(meeting=self.get_object(), by=request.user))


@extend_schema_view(
    list=extend_schema(
        tags=["meetings"],
        summary="List schedule plans",
        description="The scheduler's plans of the events the user's organisations organise (staff: all), newest first.",
        responses={200: SchedulePlanSerializer(many=True), 400: INVALID, 403: NOT_LOGGED_IN},
    ),
    retrieve=extend_schema(
        tags=["meetings"],
        summary="Preview a schedule plan",
        description=(
            "What the plan places (meeting, slot, table), moves and leaves out (each with its reason), the upper "
            "bound, the solver's status and time. Solving until `solved_at` is set."
        ),
        responses={200: SchedulePlanSerializer, 403: NOT_LOGGED_IN, 404: PLAN_NOT_FOUND},
    ),
    apply=extend_schema(
        tags=["meetings"],
        summary="Apply a schedule plan",
        description=(
            "Writes the plan, all of it or nothing, and tells everyone whose meeting was placed or moved (once the "
            "agenda is published). Refused (400) when the meetings changed since the plan was computed: the plan is "
            "then stale."
        ),
        request=None,
        responses={200: SchedulePlanSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: PLAN_NOT_FOUND},
    ),
    discard=extend_schema(
        tags=["meetings"],
        summary="Discard a schedule plan",
        request=None,
        responses={200: SchedulePlanSerializer, 400: INVALID, 403: NOT_ALLOWED, 404: PLAN_NOT_FOUND},
    ),
)
class SchedulePlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The scheduler's plans of docking events' meetings, for their organisers."""

    serializer_class = SchedulePlanSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageNumberPagination
    filterset_fields = ["event"]

    def get_queryset(self) -> QuerySet[SchedulePlan]:
        if getattr(self, "swagger_fake_view", False):
            return SchedulePlan.objects.none()
        return schedule_plans_visible_to(self.request.user)

    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        plan = scheduling.schedule_plan_apply(plan=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        plan = scheduling.schedule_plan_discard(plan=self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)
