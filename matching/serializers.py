"""Serializers of the matches API.

A match is read with both postings' public fields only (never their contacts), the reasons in the request's
language, and the side the user acts for. Keys that only some users may read are absent for the others, which the
schema documents by leaving them out of ``required``:

* ``decline_reason``: the two sides and staff;
* ``counterpart_contact``: a side, once ``match_contact_visible`` allows it (both sides accepted);
* ``contacts`` (both postings' contacts): staff who act for neither side.

Input serializers only check shapes; the rules are ``matching.services``'s, which the views call.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.selectors import staff_may
from core.api import NamedChoiceField
from core.limits import NOTE_MAX
from marketplace.models import Achievement, CooperationMode, Need
from marketplace.serializers import PlaceSerializer, PostingOrganizationSerializer

from .explaining import ensure_explained
from .models import Agreement, Match, MatchEvent
from .selectors import match_contact_visible, posting_contact
from .services import match_side

SIDES = [("achievement", _("achievement side")), ("need", _("need side"))]


def reason_language(language: str | None = None) -> str:
    """ "zh" when the active language is Chinese, else "en" (the two languages reasons are written in)."""
    language = language or translation.get_language() or ""
    return "zh" if language.lower().startswith("zh") else "en"


def localized_reasons(match: Match, language: str | None = None) -> list[dict[str, Any]]:
    """The match's reasons in one language: ``[{component, value, text, broken}]``; written first when the match
    has none yet (``matching.explaining``), empty when they are still on their way."""
    if match.reasons is None:
        ensure_explained([match])
    key = reason_language(language)
    return [
        {
            "component": reason.get("component", ""),
            "value": reason.get("value", 0.0),
            "text": reason.get(key) or reason.get("en") or reason.get("zh") or "",
            "broken": bool(reason.get("broken", False)),
        }
        for reason in match.reasons or []
    ]


# --- Output ----------------------------------------------------------------------------------------------------


class MatchReasonSerializer(serializers.Serializer):
    component = serializers.CharField(read_only=True, help_text=_("text, domain, region, readiness, price or mode"))
    value = serializers.FloatField(read_only=True, help_text=_("The component's score, 0 to 1."))
    text = serializers.CharField(read_only=True, help_text=_("Why, in the request's language (zh or en)."))
    broken = serializers.BooleanField(read_only=True, help_text=_("A hard constraint this pair breaks."))


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    source = NamedChoiceField(
        choices=[("posting", "posting"), ("organization", "organization"), ("author", "author"), ("member", "member")],
        enum_name="ContactSourceEnum",
        read_only=True,
        help_text=_(
            "Where the contact comes from: the posting's own, its organisation's, its author's, or (no author) the "
            "organisation's first owner's."
        ),
    )


class MatchContactsSerializer(serializers.Serializer):
    achievement = ContactSerializer(read_only=True)
    need = ContactSerializer(read_only=True)


class MatchPostingSerializer(serializers.ModelSerializer):
    """A posting's public fields; the confidential contact is never here."""

    domains = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    modes = serializers.ListField(child=serializers.ChoiceField(choices=CooperationMode.choices), read_only=True)
    province = PlaceSerializer(read_only=True)
    city = PlaceSerializer(read_only=True, allow_null=True)
    organization = PostingOrganizationSerializer(read_only=True)


class MatchAchievementSerializer(MatchPostingSerializer):
    class Meta:
        model = Achievement
        fields = [
            "id", "title", "summary", "organization", "province", "city", "domains", "trl", "price_min_wan",
            "price_max_wan", "modes",
        ]  # fmt: skip
        read_only_fields = fields


class MatchNeedSerializer(MatchPostingSerializer):
    class Meta:
        model = Need
        fields = [
            "id", "title", "description", "organization", "province", "city", "domains", "min_trl", "budget_wan",
            "modes", "region_scope", "deadline",
        ]  # fmt: skip
        read_only_fields = fields


class AgreementSerializer(serializers.ModelSerializer):
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="AgreementModeEnum", read_only=True)

    class Meta:
        model = Agreement
        fields = ["id", "mode", "amount_wan", "signed_on", "note", "created_at"]
        read_only_fields = fields


class MatchEventSerializer(serializers.ModelSerializer):
    from_status = NamedChoiceField(choices=Match.Status.choices, enum_name="MatchStatusEnum", read_only=True)
    to_status = NamedChoiceField(choices=Match.Status.choices, enum_name="MatchStatusEnum", read_only=True)

    class Meta:
        model = MatchEvent
        fields = ["action", "side", "by_broker", "from_status", "to_status", "at", "note"]
        read_only_fields = fields


class MatchSerializer(serializers.ModelSerializer):
    status = NamedChoiceField(choices=Match.Status.choices, enum_name="MatchStatusEnum", read_only=True)
    achievement_decision = NamedChoiceField(
        choices=Match.Decision.choices, enum_name="MatchDecisionEnum", read_only=True
    )
    need_decision = NamedChoiceField(choices=Match.Decision.choices, enum_name="MatchDecisionEnum", read_only=True)
    components = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text=_("Each component's score, 0 to 1.")
    )
    broken = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text=_("The hard constraints the pair breaks.")
    )
    reasons = serializers.SerializerMethodField()
    my_side = serializers.SerializerMethodField()
    achievement = MatchAchievementSerializer(read_only=True)
    need = MatchNeedSerializer(read_only=True)
    agreements = AgreementSerializer(many=True, read_only=True)
    events = MatchEventSerializer(many=True, read_only=True)
    # Present only for some users: not read-only, so that the schema leaves them out of ``required``. This
    # serializer is never used for input.
    decline_reason = serializers.CharField(required=False, help_text=_("Only for the two sides and staff."))
    counterpart_contact = ContactSerializer(
        required=False,
        help_text=_("The other side's contact: only once both sides accepted (in contact or deal)."),
    )
    contacts = MatchContactsSerializer(
        required=False, help_text=_("Both postings' contacts: only for staff who act for neither side.")
    )

    class Meta:
        model = Match
        fields = [
            "id", "status", "score", "components", "reasons", "broken", "my_side", "achievement_decision",
            "need_decision", "decline_reason", "achievement", "need", "counterpart_contact", "contacts",
            "agreements", "events", "contact_revealed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            name for name in fields if name not in ("decline_reason", "counterpart_contact", "contacts")
        ]

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None) or AnonymousUser()

    def _side(self, match: Match) -> str | None:
        user = self._user()
        return match_side(user=user, match=match) if user.is_authenticated else None

    @extend_schema_field(MatchReasonSerializer(many=True))
    def get_reasons(self, match: Match) -> list[dict[str, Any]]:
        return localized_reasons(match)

    @extend_schema_field(
        NamedChoiceField(
            choices=SIDES,
            enum_name="MatchSideEnum",
            allow_null=True,
            help_text=_("The side the user acts for; null for staff acting for neither."),
        )
    )
    def get_my_side(self, match: Match) -> str | None:
        return self._side(match)

    def to_representation(self, instance: Match) -> dict[str, Any]:
        data = super().to_representation(instance)
        user = self._user()
        side = self._side(instance)
        is_staff = staff_may(user, "matching.view_match")
        data.pop("counterpart_contact", None)
        data.pop("contacts", None)
        if side is None and not is_staff:
            data.pop("decline_reason", None)
        if not is_staff:  # staff's notes on their review stay with staff
            for event in data.get("events", []):
                if event["side"] == "staff":
                    event["note"] = ""
        if match_contact_visible(user=user, match=instance):
            if side == "achievement":
                data["counterpart_contact"] = posting_contact(instance.need)
            elif side == "need":
                data["counterpart_contact"] = posting_contact(instance.achievement)
            elif is_staff:
                data["contacts"] = {
                    "achievement": posting_contact(instance.achievement),
                    "need": posting_contact(instance.need),
                }
        return data


# --- Input -----------------------------------------------------------------------------------------------------


class MatchDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=False,
        max_length=NOTE_MAX,
        help_text=_("Why the match is declined (required); the other side sees it."),
    )


class MatchApproveSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX, help_text=_("Optional.")
    )


class MatchRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=False, max_length=NOTE_MAX, help_text=_("Why the suggestion is rejected (required).")
    )


class AgreementInputSerializer(serializers.Serializer):
    mode = NamedChoiceField(choices=CooperationMode.choices, enum_name="AgreementModeEnum")
    signed_on = serializers.DateField()
    amount_wan = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, help_text=_("In 10k CNY.")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)
