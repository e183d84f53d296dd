"""Serializers of the open calls API. Output and input are separate; input serializers check shapes only, the rules
are the services' (``calls.services``). A need shows only its public fields (never its contact); a proposal is only
ever serialized for those who may see it (``calls.selectors.proposals_visible_to``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from core.api import NamedChoiceField
from core.filters import ID_MAX
from core.limits import BODY_MAX, NOTE_MAX, PROFILE_MAX
from core.site import absolute_url
from marketplace.models import Achievement, CooperationMode, Need
from matching.models import Match

from .models import Call, CallNeed, Invitation, Proposal, Window
from .services import MAX_MONTHS

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


class CallOrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class CallSerializer(serializers.ModelSerializer):
    organizer = CallOrganizationSerializer(read_only=True)
    status = NamedChoiceField(choices=Call.Status.choices, enum_name="CallStatusEnum", read_only=True)
    window = serializers.SerializerMethodField(help_text=_("Whether the call takes needs and proposals now."))
    domains = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text=_("Domain codes; empty: any domain.")
    )
    provinces = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text=_("Province codes (the regions); empty: anywhere.")
    )
    need_count = serializers.SerializerMethodField(help_text=_("The needs entered that are on the market."))

    class Meta:
        model = Call
        fields = ["id", "title", "theme", "status", "window", "organizer", "domains", "provinces", "opens_at",
                  "closes_at", "published_at", "need_count", "created_at"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(NamedChoiceField(choices=Window.choices, enum_name="CallWindowEnum"))
    def get_window(self, call: Call) -> str:
        return call.window()

    @extend_schema_field(serializers.IntegerField())
    def get_need_count(self, call: Call) -> int:
        return getattr(call, "need_count", None) or 0


class CallInputSerializer(serializers.Serializer):
    organizer = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text=_("The organiser organisation's id."))
    title = serializers.CharField(max_length=200)
    theme = serializers.CharField(max_length=BODY_MAX)
    domains = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, default=list, max_length=100,
        help_text=_("Domain codes; empty: any domain."),
    )  # fmt: skip
    provinces = serializers.ListField(
        child=serializers.CharField(max_length=6), required=False, default=list, max_length=40,
        help_text=_("Province codes; empty: anywhere."),
    )  # fmt: skip
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()


class CallUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    theme = serializers.CharField(max_length=BODY_MAX, required=False)
    domains = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100)
    provinces = serializers.ListField(child=serializers.CharField(max_length=6), required=False, max_length=40)
    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField(required=False)


class CallStatusInputSerializer(serializers.Serializer):
    status = NamedChoiceField(choices=[Call.Status.PUBLISHED, Call.Status.CLOSED], enum_name="CallStatusChangeEnum")


class CallNeedPostingSerializer(serializers.ModelSerializer):
    """A need's public fields."""

    organization = serializers.CharField(source="organization.name", read_only=True)
    province = serializers.CharField(source="province.name", read_only=True)
    domains = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = ["id", "title", "organization", "province", "domains", "status", "deadline", "url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, need: Need) -> str:
        return absolute_url(reverse("marketplace:detail", kwargs={"kind": "needs", "pk": need.pk}))


class CallNeedSerializer(serializers.ModelSerializer):
    need = CallNeedPostingSerializer(read_only=True)
    url = serializers.SerializerMethodField(help_text=_("The need's page in the call."))

    class Meta:
        model = CallNeed
        fields = ["id", "call", "need", "entered_at", "url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, entry: CallNeed) -> str:
        return absolute_url(reverse("calls:need", kwargs={"pk": entry.call_id, "need_id": entry.need_id}))


class CallNeedInputSerializer(serializers.Serializer):
    need = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text=_("One of your enterprise's needs."))


class CallNeedRemoveInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_MAX, help_text=_("Why the need leaves the call (its owner is told).")
    )


class CallAchievementSerializer(serializers.ModelSerializer):
    organization = CallOrganizationSerializer(read_only=True)

    class Meta:
        model = Achievement
        fields = ["id", "title", "organization"]
        read_only_fields = fields


class CallTitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Call
        fields = ["id", "title"]
        read_only_fields = fields


class CallNeedTitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = ["id", "title"]
        read_only_fields = fields


class CallProposalSerializer(serializers.ModelSerializer):
    call = CallTitleSerializer(source="call_need.call", read_only=True)
    need = CallNeedTitleSerializer(source="call_need.need", read_only=True)
    achievement = CallAchievementSerializer(read_only=True)
    organization = CallOrganizationSerializer(read_only=True)
    budget_wan = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="AgreementModeEnum", read_only=True)
    status = NamedChoiceField(choices=Proposal.Status.choices, enum_name="ProposalStatusEnum", read_only=True)

    class Meta:
        model = Proposal
        fields = ["id", "call_need", "call", "need", "achievement", "organization", "plan", "budget_wan", "months",
                  "mode", "status", "submitted_at", "decided_at", "decision_note", "agreement"]  # fmt: skip
        read_only_fields = fields


class CallProposalInputSerializer(serializers.Serializer):
    call_need = serializers.IntegerField(min_value=1, max_value=ID_MAX, help_text=_("The need of the call (its id)."))
    achievement = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text=_("One of your organisation's published achievements.")
    )
    plan = serializers.CharField(max_length=PROFILE_MAX)
    budget_wan = serializers.DecimalField(
        min_value=Decimal(0), required=False, allow_null=True, default=None, max_digits=12, decimal_places=2,
        help_text=_("In 10k CNY; null: to be agreed."),
    )  # fmt: skip
    months = serializers.IntegerField(min_value=1, max_value=MAX_MONTHS, help_text=_("The timeline, in months."))
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="AgreementModeEnum")


class CallDecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class CallDeclineInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_MAX, help_text=_("Why the proposal is declined (the proposer is told).")
    )


class CallInvitationSerializer(serializers.ModelSerializer):
    achievement = CallAchievementSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "call_need", "achievement", "invited_at"]
        read_only_fields = fields


class CallInvitationInputSerializer(serializers.Serializer):
    call_need = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    achievement = serializers.IntegerField(min_value=1, max_value=ID_MAX)


class CallSuggestionSerializer(serializers.Serializer):
    achievement = CallAchievementSerializer(read_only=True)
    score = serializers.FloatField(read_only=True, help_text=_("The matching engine's score, 0 to 1."))

    def to_representation(self, instance: Match) -> dict[str, Any]:
        return {"achievement": CallAchievementSerializer(instance.achievement).data, "score": instance.score}
