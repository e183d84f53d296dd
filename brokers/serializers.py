"""Broker appointments in the API: who acts for whom, on which listings, since when; and the input of an
appointment, a change of listings and a revocation."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.filters import ID_MAX

from .models import BrokerAppointment


def _ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX), max_length=300, required=False, default=list,
        help_text=help_text,
    )  # fmt: skip


class BrokerAppointmentSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField(help_text="The organisation the broker acts for: id and name.")
    broker = serializers.SerializerMethodField(help_text="The broker: name and e-mail.")
    agency = serializers.CharField(source="agency.name", read_only=True, help_text="The broker's service agency.")
    achievements = serializers.SerializerMethodField(help_text="The achievements granted: id and title.")
    needs = serializers.SerializerMethodField(help_text="The needs granted: id and title.")
    active = serializers.BooleanField(read_only=True, help_text="Not revoked.")

    class Meta:
        model = BrokerAppointment
        fields = ["id", "organization", "broker", "agency", "achievements", "needs", "note", "active",
                  "appointed_at", "revoked_at", "revoke_reason"]  # fmt: skip
        read_only_fields = fields

    def get_organization(self, appointment: BrokerAppointment) -> dict[str, Any]:
        return {"id": appointment.organization_id, "name": appointment.organization.name}

    def get_broker(self, appointment: BrokerAppointment) -> dict[str, str]:
        return {"name": appointment.broker.get_short_name(), "email": appointment.broker.email}

    def get_achievements(self, appointment: BrokerAppointment) -> list[dict[str, Any]]:
        return [{"id": p.pk, "title": p.title} for p in appointment.achievements.all()]

    def get_needs(self, appointment: BrokerAppointment) -> list[dict[str, Any]]:
        return [{"id": p.pk, "title": p.title} for p in appointment.needs.all()]


class ListingsInputSerializer(serializers.Serializer):
    achievements = _ids("Achievement ids.")
    needs = _ids("Need ids.")


class AppointInputSerializer(ListingsInputSerializer):
    organization = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text="The appointing organisation.")
    broker_email = serializers.EmailField(help_text="The e-mail of a service agency's member.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RevokeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
