"""Serializers of the conversations API. Output only what the scoping allowed; a hidden message's text goes to staff
only. Input serializers check shapes; the rules are ``conversations.services``'s."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import NamedChoiceField
from core.limits import NOTE_MAX
from marketplace.models import CooperationMode

from .models import MESSAGE_MAX, Message, Thread


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ThreadSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=Thread.Kind.choices, enum_name="ThreadKindEnum", read_only=True)
    state = NamedChoiceField(choices=Thread.State.choices, enum_name="ThreadStateEnum", read_only=True)
    first_party = PartySerializer(read_only=True)
    second_party = PartySerializer(read_only=True)
    unread = serializers.SerializerMethodField(help_text=_("The user's unread messages in the thread."))

    class Meta:
        model = Thread
        fields = [
            "id", "kind", "state", "subject", "match", "achievement", "need", "first_party", "second_party",
            "unread", "created_at", "last_message_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_unread(self, thread: Thread) -> int:
        return int(getattr(thread, "unread", 0) or 0)


class MessageSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=Message.Kind.choices, enum_name="MessageKindEnum", read_only=True)
    organization = PartySerializer(read_only=True)
    author_name = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField(help_text=_("Plain text; empty when hidden (staff read it)."))
    mode = NamedChoiceField(
        choices=CooperationMode.choices, enum_name="ProposalModeEnum", read_only=True, allow_null=True
    )
    proposal_state = NamedChoiceField(
        choices=Message.ProposalState.choices, enum_name="ProposalStateEnum", read_only=True, allow_null=True
    )

    class Meta:
        model = Message
        fields = [
            "id", "kind", "organization", "author_name", "body", "created_at", "hidden", "mode", "amount_wan",
            "signed_on", "proposal_state", "answered_at", "agreement",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_author_name(self, message: Message) -> str:
        return message.author.get_short_name() if message.author else ""

    @extend_schema_field(serializers.CharField())
    def get_body(self, message: Message) -> str:
        return "" if message.hidden and not self.context.get("staff_reader") else message.body

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.kind != Message.Kind.PROPOSAL:
            data["mode"] = data["proposal_state"] = None
        return data


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MESSAGE_MAX, help_text=_("Plain text."))


class MatchThreadInputSerializer(serializers.Serializer):
    match = serializers.IntegerField(min_value=1, help_text=_("A match in contact (both sides accepted)."))


class EnquiryInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("achievement", "achievement"), ("need", "need")])
    posting = serializers.IntegerField(min_value=1, help_text=_("The published achievement's or need's id."))
    body = serializers.CharField(max_length=MESSAGE_MAX, help_text=_("Plain text."))


class ProposalInputSerializer(serializers.Serializer):
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="ProposalModeEnum")
    signed_on = serializers.DateField()
    amount_wan = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, help_text=_("In 10k CNY.")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class ProposalAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(
        choices=[("accept", "accept"), ("decline", "decline"), ("withdraw", "withdraw")],
        help_text=_("accept or decline (the other side), withdraw (the proposing side)."),
    )
