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
from marketplace.serializers import PlaceSerializer

from .models import Event, Registration
from .selectors import can_see_participant_contact, registration_is_open, waiting_position

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
    places_left = serializers.IntegerField(read_only=True)
    registration_open = serializers.SerializerMethodField(help_text=_("Whether the event takes registrations now."))

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
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_registration_open(self, event: Event) -> bool:
        return registration_is_open(event)


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
