"""Serializers of the events API. Output and input are separate; input serializers check shapes only, the rules
are the services' (``events.services``).

A participant's ``person_email`` and ``check_in_code`` are in the output only for the organiser's members, staff and
the participant's own organisation (``can_see_participant_contact``); otherwise the keys are absent, which the
schema documents by leaving them out of ``required``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from accounts.selectors import user_primary_membership
from core.api import NamedChoiceField
from core.filters import ID_MAX
from core.limits import BODY_MAX
from marketplace.models import Achievement, CooperationMode, Need
from marketplace.models import Status as PostingStatus
from marketplace.selectors import posting_visible_to
from marketplace.serializers import PlaceSerializer
from matching.models import Agreement
from matching.serializers import AgreementInputSerializer, MatchReasonSerializer, reason_language
from reference.models import City, Cluster, Domain

from .models import (
    AgendaStatus,
    Event,
    Meeting,
    MeetingSlot,
    MeetingSuggestions,
    MeetingTable,
    PresentationApplication,
    Registration,
    RequestMode,
    SchedulePlan,
    SchedulingMode,
)
from .scheduling.service import person_label, reason_text
from .selectors import can_see_participant_contact, is_event_organizer, registration_is_open, waiting_position

PRIVATE_FIELDS = ("person_email", "check_in_code")


class EventOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=Event.Kind.choices, enum_name="EventKindEnum", read_only=True)
    status = NamedChoiceField(choices=Event.Status.choices, enum_name="EventStatusEnum", read_only=True)
    organizer = EventOrganizationSerializer(read_only=True)
    domains = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text=_("Domain codes (see /api/v1/domains/).")
    )
    clusters = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text=_("Regional cluster codes (see /api/v1/clusters/).")
    )
    city = PlaceSerializer(read_only=True, allow_null=True)
    # Declared for the schema: a read-only model field loses allow_blank, and "" is no "format: uri".
    online_url = serializers.URLField(read_only=True, allow_blank=True, help_text=_("Empty when not online."))
    places_left = serializers.IntegerField(read_only=True)
    registration_open = serializers.SerializerMethodField(help_text=_("Whether the event takes registrations now."))
    # Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (the update's input fields share them).
    scheduling_mode = serializers.ChoiceField(
        choices=SchedulingMode.choices, read_only=True,
        help_text=_("Docking events: participants pick a slot when accepting, or the organiser schedules."),
    )  # fmt: skip
    request_mode = serializers.ChoiceField(choices=RequestMode.choices, read_only=True)
    agenda_status = serializers.ChoiceField(choices=AgendaStatus.choices, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "organizer",
            "description",
            "domains",
            "clusters",
            "venue",
            "city",
            "online_url",
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "capacity",
            "confirmed_count",
            "places_left",
            "registration_open",
            "scheduling_mode",
            "request_mode",
            "agenda_status",
            "request_deadline",
            "max_open_requests",
            "max_meetings_per_participant",
            "max_consecutive_meetings",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_registration_open(self, event: Event) -> bool:
        return registration_is_open(event)


class EventUpdateInputSerializer(serializers.Serializer):
    """The fields of an event its organiser may change (PATCH: any of them). Shapes only: the rules (times in
    order, the capacity not below the confirmed places, the kind of a published event kept) are the service's."""

    kind = serializers.ChoiceField(choices=Event.Kind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=BODY_MAX, required=False, allow_blank=True)
    domains = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=Domain.objects.all(), required=False, help_text=_("Domain codes.")
    )
    clusters = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=Cluster.objects.all(), required=False,
        help_text=_("Regional cluster codes."),
    )  # fmt: skip
    venue = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(), required=False, allow_null=True,
        help_text=_("A city code (see /api/v1/provinces/)."),
    )  # fmt: skip
    online_url = serializers.URLField(max_length=200, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    registration_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    registration_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    capacity = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False,
        help_text=_("Raising it gives the new places to the waiting list in order; never below the confirmed places."),
    )  # fmt: skip
    meeting_suggestions = serializers.ChoiceField(choices=MeetingSuggestions.choices, required=False)
    scheduling_mode = serializers.ChoiceField(choices=SchedulingMode.choices, required=False)
    request_mode = serializers.ChoiceField(choices=RequestMode.choices, required=False)
    request_deadline = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Requests not answered by then expire.")
    )
    max_open_requests = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
    max_meetings_per_participant = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True
    )
    max_consecutive_meetings = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, help_text=_("Empty or 0: no rule.")
    )

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of ``services.event_update``."""
        data = dict(self.validated_data)
        if "domains" in data:
            data["domain_codes"] = [domain.code for domain in data.pop("domains")]
        if "clusters" in data:
            data["cluster_codes"] = [cluster.code for cluster in data.pop("clusters")]
        return data


class RegistrationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "title", "starts_at", "ends_at"]
        read_only_fields = fields


class RegistrationSerializer(serializers.ModelSerializer):
    """A registration as the requesting user may see it: the e-mail and the check-in code only for the organiser,
    staff and the participant's own organisation."""

    event = RegistrationEventSerializer(read_only=True)
    organization = EventOrganizationSerializer(read_only=True)
    status = NamedChoiceField(choices=Registration.Status.choices, enum_name="RegistrationStatusEnum", read_only=True)
    waiting_position = serializers.SerializerMethodField(
        help_text=_("The place on the waiting list (1 is next); null unless waiting.")
    )
    # Present only for some users: not read-only, so that the schema does not list them as required. This
    # serializer is never used for input.
    person_email = serializers.EmailField(
        required=False, help_text=_("Only for the organiser, staff and the participant's organisation.")
    )
    check_in_code = serializers.CharField(
        required=False, help_text=_("Only for the organiser, staff and the participant's organisation.")
    )

    class Meta:
        model = Registration
        fields = [
            "id",
            "event",
            "organization",
            "person_name",
            "person_email",
            "status",
            "waiting_position",
            "check_in_code",
            "checked_in_at",
            "created_at",
            "promoted_at",
            "cancelled_at",
            "unavailable_slots",
            "max_meetings",
        ]
        read_only_fields = [name for name in fields if name not in PRIVATE_FIELDS]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_waiting_position(self, registration: Registration) -> int | None:
        return waiting_position(registration)

    def to_representation(self, instance: Registration) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        if not can_see_participant_contact(user, instance):
            for name in PRIVATE_FIELDS:
                data.pop(name, None)
        return data


class BreaksInputSerializer(serializers.Serializer):
    slots = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=200,
        help_text=_("The meeting slots the participant takes off (every one: what is not listed is open)."),
    )  # fmt: skip


class LimitInputSerializer(serializers.Serializer):
    max_meetings = serializers.IntegerField(
        min_value=0, max_value=1000, allow_null=True,
        help_text=_("The participant's own maximum of meetings; null: the event's."),
    )  # fmt: skip


class RegistrationInputSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("The participant's organisation; by default the user's primary organisation."),
    )
    person_name = serializers.CharField(max_length=100)
    person_email = serializers.EmailField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("organization") is None:
            membership = user_primary_membership(user=self.context["request"].user)
            if membership is None:
                raise serializers.ValidationError(
                    {"organization": [_("You belong to no organisation: say which one registers.")]}
                )
            attrs["organization"] = membership.organization
        return attrs


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16, help_text=_("The participant's check-in code."))


# --- Programme ---------------------------------------------------------------------------------------------------

LISTING_KINDS = [("achievement", _("achievement")), ("need", _("need"))]


class ListingSerializer(serializers.Serializer):
    """A listing (achievement or need) named by its public fields only."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    organization = EventOrganizationSerializer(read_only=True)


class PresentedListingSerializer(ListingSerializer):
    kind = serializers.SerializerMethodField()

    @extend_schema_field(NamedChoiceField(choices=LISTING_KINDS, enum_name="ListingKindEnum"))
    def get_kind(self, listing: Achievement | Need) -> str:
        return "achievement" if isinstance(listing, Achievement) else "need"


class ProgrammeEntrySerializer(serializers.ModelSerializer):
    """An accepted presentation of the public programme."""

    starts_at = serializers.DateTimeField(source="slot_starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="slot_ends_at", read_only=True)
    organization = EventOrganizationSerializer(read_only=True)
    listing = PresentedListingSerializer(read_only=True)

    class Meta:
        model = PresentationApplication
        fields = ["id", "starts_at", "ends_at", "organization", "listing", "pitch"]
        read_only_fields = fields


class PresentationApplicationSerializer(serializers.ModelSerializer):
    event = RegistrationEventSerializer(read_only=True)
    organization = EventOrganizationSerializer(read_only=True)
    listing = PresentedListingSerializer(read_only=True)
    status = NamedChoiceField(
        choices=PresentationApplication.Status.choices, enum_name="PresentationStatusEnum", read_only=True
    )

    class Meta:
        model = PresentationApplication
        fields = ["id", "event", "organization", "listing", "pitch", "status", "slot_starts_at", "slot_ends_at",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class PresentationApplyInputSerializer(serializers.Serializer):
    """One listing: an achievement, or (at financing presentations) a need, of the user's organisation."""

    achievement = serializers.PrimaryKeyRelatedField(
        queryset=Achievement.objects.none(), required=False, allow_null=True, help_text=_("An achievement's id.")
    )
    need = serializers.PrimaryKeyRelatedField(
        queryset=Need.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("A need's id (financing presentations only)."),
    )
    pitch = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        self.fields["achievement"].queryset = posting_visible_to(model=Achievement, user=user)
        self.fields["need"].queryset = posting_visible_to(model=Need, user=user)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        listings = [attrs[name] for name in ("achievement", "need") if attrs.get(name) is not None]
        if len(listings) != 1:
            raise serializers.ValidationError({"non_field_errors": [_("Give either an achievement or a need.")]})
        return {"listing": listings[0], "pitch": attrs.get("pitch", "")}


class PresentationScheduleInputSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


# --- Meetings ----------------------------------------------------------------------------------------------------


def suggestion_reasons(reasons: list[dict[str, Any]], language: str | None = None) -> list[dict[str, Any]]:
    """A suggestion's matching reasons in one language (the active one by default): ``[{component, value, text,
    broken}]``, as ``matching.serializers.localized_reasons`` gives a match's."""
    key = reason_language(language)
    return [
        {
            "component": reason.get("component", ""),
            "value": reason.get("value", 0.0),
            "text": reason.get(key) or reason.get("en") or reason.get("zh") or "",
            "broken": bool(reason.get("broken", False)),
        }
        for reason in reasons or []
    ]


class ParticipantSerializer(serializers.ModelSerializer):
    """A participant as other participants see them: name and organisation, never the e-mail."""

    organization = EventOrganizationSerializer(read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "person_name", "organization"]
        read_only_fields = fields


class SuggestionSerializer(serializers.Serializer):
    participant = ParticipantSerializer(source="registration", read_only=True)
    score = serializers.FloatField(
        read_only=True, help_text=_("The best matching score between the two organisations' listings, 0 to 1.")
    )
    reasons = serializers.SerializerMethodField()

    @extend_schema_field(MatchReasonSerializer(many=True))
    def get_reasons(self, suggestion: Any) -> list[dict[str, Any]]:
        return suggestion_reasons(suggestion.reasons)


class MeetingSlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingSlot
        fields = ["id", "starts_at", "ends_at"]
        read_only_fields = fields


class MeetingTableSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingTable
        fields = ["id", "name"]
        read_only_fields = fields


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting; its slot and table are null while it waits for the organiser's schedule, and, for participants,
    until the organiser publishes the agenda (organiser mode)."""

    event = RegistrationEventSerializer(read_only=True)
    requester = ParticipantSerializer(read_only=True)
    invitee = ParticipantSerializer(read_only=True)
    status = NamedChoiceField(choices=Meeting.Status.choices, enum_name="MeetingStatusEnum", read_only=True)
    slot = MeetingSlotSerializer(read_only=True, allow_null=True)
    table = MeetingTableSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Meeting
        fields = ["id", "event", "requester", "invitee", "status", "slot", "table", "pinned", "note", "created_at",
                  "responded_at"]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Meeting) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None) or AnonymousUser()
        if not instance.event.agenda_visible and not is_event_organizer(user, instance.event):
            data["slot"] = data["table"] = None
        return data


class MeetingPinInputSerializer(serializers.Serializer):
    pinned = serializers.BooleanField(default=True, help_text=_("True pins the meeting, false unpins it."))


class ScheduleStartInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=SchedulePlan.Kind.choices, default=SchedulePlan.Kind.FULL,
        help_text=_("full: the most meetings, then the best matches; repair: the same, moving as few placed "
                    "meetings as possible."),
    )  # fmt: skip


class AgendaPublishInputSerializer(serializers.Serializer):
    status = NamedChoiceField(
        choices=[(status.value, status.label) for status in (AgendaStatus.PRELIMINARY, AgendaStatus.FINAL)],
        enum_name="AgendaPublishStatusEnum",
    )


class PlacementSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(read_only=True)
    slot = serializers.IntegerField(read_only=True)
    table = serializers.IntegerField(read_only=True)


class UnplacedSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(
        read_only=True,
        help_text=_("no_common_slot, max_meetings, busy, break_rule, table_shortage or time_limit."),
    )
    text = serializers.CharField(
        read_only=True, help_text=_("The reason in the request's language, naming the people.")
    )


class SchedulePlanSerializer(serializers.ModelSerializer):
    """A plan of the scheduler: solving until ``solved_at`` is set; then what it places, moves and leaves out."""

    event = RegistrationEventSerializer(read_only=True)
    kind = serializers.ChoiceField(choices=SchedulePlan.Kind.choices, read_only=True)  # named in ENUM_NAME_OVERRIDES
    status = serializers.ChoiceField(choices=SchedulePlan.Status.choices, read_only=True)
    placements = PlacementSerializer(many=True, read_only=True)
    unplaced = serializers.SerializerMethodField()
    solver_status = serializers.CharField(
        read_only=True,
        help_text=_("optimal, count_optimal (the most meetings proven), feasible (the time limit came first), "
                    "unknown; empty while solving."),
    )  # fmt: skip

    class Meta:
        model = SchedulePlan
        fields = ["id", "event", "kind", "status", "created_at", "solved_at", "applied_at", "requests_count",
                  "placed_count", "moved_count", "bound", "solver_status", "solve_seconds", "placements",
                  "unplaced"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(UnplacedSerializer(many=True))
    def get_unplaced(self, plan: SchedulePlan) -> list[dict[str, Any]]:
        people = {pk for item in plan.unplaced for pk in item.get("people", [])}
        registrations = Registration.objects.filter(pk__in=people).select_related("organization")
        names = {registration.pk: person_label(registration) for registration in registrations}
        return [
            {"meeting": item["meeting"], "reason": item["reason"],
             "text": reason_text(item["reason"], [names[pk] for pk in item.get("people", []) if pk in names])}
            for item in plan.unplaced
        ]  # fmt: skip


class MeetingRequestInputSerializer(serializers.Serializer):
    invitee = serializers.PrimaryKeyRelatedField(
        queryset=Registration.objects.filter(status=Registration.Status.CONFIRMED),
        help_text=_("The registration (participant) to meet, from whom-to-meet."),
    )
    requester = serializers.PrimaryKeyRelatedField(
        queryset=Registration.objects.filter(status=Registration.Status.CONFIRMED),
        required=False,
        allow_null=True,
        help_text=_("The user's organisation's participant who asks; by default its first confirmed one."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class MeetingAcceptInputSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(
        queryset=MeetingSlot.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A slot of the event; by default the earliest where both people and a table are free."),
    )


class MeetingMoveInputSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=MeetingSlot.objects.all())
    table = serializers.PrimaryKeyRelatedField(queryset=MeetingTable.objects.all())


class MeetingGridSerializer(serializers.Serializer):
    slots = MeetingSlotSerializer(many=True, read_only=True)
    tables = MeetingTableSerializer(many=True, read_only=True)
    meetings = MeetingSerializer(
        many=True, read_only=True, source="accepted", help_text=_("The accepted meetings, each in a slot at a table.")
    )
    requested = serializers.IntegerField(read_only=True, help_text=_("How many requests await an answer."))


class SlotInputSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class MeetingGridInputSerializer(serializers.Serializer):
    slots = SlotInputSerializer(many=True, required=False, default=list)
    tables = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, help_text=_("Table names.")
    )


# --- Outcomes ----------------------------------------------------------------------------------------------------


class EventReportFiguresSerializer(serializers.Serializer):
    registrations = serializers.IntegerField(read_only=True, help_text=_("Every registration, cancelled included."))
    confirmed = serializers.IntegerField(read_only=True)
    waiting = serializers.IntegerField(read_only=True)
    cancelled = serializers.IntegerField(read_only=True)
    attended = serializers.IntegerField(read_only=True, help_text=_("Checked in."))
    meetings_held = serializers.IntegerField(read_only=True, help_text=_("Accepted 1:1 meetings."))
    agreements = serializers.IntegerField(read_only=True, help_text=_("Agreements signed at the event."))
    agreements_total_wan = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=_("Their total amount, in 10k CNY.")
    )


class EventAgreementSerializer(serializers.ModelSerializer):
    achievement = ListingSerializer(read_only=True)
    need = ListingSerializer(read_only=True, allow_null=True)
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="AgreementModeEnum", read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "achievement", "need", "mode", "amount_wan", "signed_on", "note", "created_at"]
        read_only_fields = fields


class EventReportSerializer(serializers.Serializer):
    figures = EventReportFiguresSerializer(read_only=True)
    agreements = EventAgreementSerializer(many=True, read_only=True)


class EventAgreementInputSerializer(AgreementInputSerializer):
    achievement = serializers.PrimaryKeyRelatedField(
        queryset=Achievement.objects.filter(status=PostingStatus.PUBLISHED),
        help_text=_("A published achievement of an organisation with a confirmed place at the event."),
    )
    need = serializers.PrimaryKeyRelatedField(
        queryset=Need.objects.filter(status=PostingStatus.PUBLISHED),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A published need of a participant, if the agreement answers one."),
    )
