"""Serializers of the achievements and needs API.

Output and input are separate serializers: postings are read with places and the organisation as objects, and
written with places as typed text ("安徽省", "合肥", "Hefei") and the organisation as an id. Input serializers only
check shapes and resolve references; the rules are the services' (``marketplace.services``), which the views call.

The confidential contact (``contact_name``, ``contact_phone``, ``contact_email``) is in the output only when
``can_see_contact`` allows it, and ``rejection_reason`` only for the owner's members and staff; otherwise the keys
are absent, which the schema documents by leaving them out of ``required``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Organization
from accounts.selectors import staff_may, user_organization_ids, user_primary_membership
from core.api import NamedChoiceField
from core.exceptions import ApplicationError
from core.limits import KEYWORD_MAX, NOTE_MAX
from reference.selectors import place_resolve_parts

from .models import Achievement, CooperationMode, Language, Need, Posting
from .selectors import can_see_contact
from .services import hold_reason_text

COMMON_FIELDS = [
    "id",
    "external_ref",
    "title",
    "domains",
    "keywords",
    "modes",
    "province",
    "city",
    "organization",
    "language",
    "status",
    "rejection_reason",
    "held_edit",
    "published_at",
    "created_at",
    "updated_at",
    *Posting.CONTACT_FIELDS,
]
OWNER_ONLY_FIELDS = ("rejection_reason", "held_edit")

ACHIEVEMENT_FIELDS = ["summary", "trl", "ip_status", "patent_numbers", "price_min_wan", "price_max_wan"]
NEED_FIELDS = ["description", "min_trl", "budget_wan", "region_scope", "deadline"]


# --- Output ----------------------------------------------------------------------------------------------------


class PlaceSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name_zh = serializers.CharField(read_only=True)
    name_en = serializers.CharField(read_only=True)


class PostingOrganizationSerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(choices=Organization.Kind.choices, enum_name="PostingOrganizationKindEnum", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "verified"]
        read_only_fields = fields


class PostingSerializer(serializers.ModelSerializer):
    """A posting as the requesting user may see it: the contact and the reason for a rejection are there only for
    members of the owning organisation and staff."""

    domains = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text=_("Domain codes (see /api/v1/domains/).")
    )
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    modes = serializers.ListField(child=serializers.ChoiceField(choices=CooperationMode.choices), read_only=True)
    province = PlaceSerializer(read_only=True)
    city = PlaceSerializer(read_only=True, allow_null=True)
    organization = PostingOrganizationSerializer(read_only=True)
    language = NamedChoiceField(choices=Language.choices, enum_name="PostingLanguageEnum", read_only=True)
    # Present only for some users: not read-only, so that the schema does not list them as required. This
    # serializer is never used for input.
    rejection_reason = serializers.CharField(
        required=False, help_text=_("Only for members of the owning organisation and staff.")
    )
    held_edit = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=_(
            "An edit waiting for review by staff (the posting shows the earlier values until then): its new values "
            "(fields, domains), why it waits and since when; null when none. Only for members of the owning "
            "organisation and staff."
        ),
    )
    contact_name = serializers.CharField(
        required=False, help_text=_("Confidential: only for members of the owning organisation and staff.")
    )
    contact_phone = serializers.CharField(
        required=False, help_text=_("Confidential: only for members of the owning organisation and staff.")
    )
    contact_email = serializers.EmailField(
        required=False,
        allow_blank=True,  # a posting may give no e-mail: the schema says "" or an address
        help_text=_("Confidential: only for members of the owning organisation and staff."),
    )

    class Meta:
        model: type[Model]
        fields: list[str]

    def to_representation(self, instance: Achievement | Need) -> dict[str, Any]:
        data = super().to_representation(instance)
        user = self._user()
        if not can_see_contact(user=user, posting=instance):
            for name in Posting.CONTACT_FIELDS:
                data.pop(name, None)
        if not self._is_owner(instance):
            for name in OWNER_ONLY_FIELDS:
                data.pop(name, None)
        elif instance.held_edit:
            data["held_edit"] = {
                **instance.held_edit,
                "reason": str(hold_reason_text(instance.held_reason)),
                "held_at": instance.held_at.isoformat() if instance.held_at else None,
            }
        return data

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None) or AnonymousUser()

    def _is_owner(self, instance: Achievement | Need) -> bool:
        """Member of the owning organisation or staff (the user's organisations are read once per response)."""
        user = self._user()
        if not user.is_authenticated:
            return False
        if staff_may(user, f"marketplace.view_{instance._meta.model_name}"):
            return True
        if "_organization_ids" not in self.context:
            self.context["_organization_ids"] = user_organization_ids(user=user)
        return instance.organization_id in self.context["_organization_ids"]


class AchievementSerializer(PostingSerializer):
    class Meta:
        model = Achievement
        fields = [*COMMON_FIELDS, *ACHIEVEMENT_FIELDS]
        read_only_fields = [name for name in fields if name not in (*Posting.CONTACT_FIELDS, *OWNER_ONLY_FIELDS)]


class NeedSerializer(PostingSerializer):
    expired = serializers.SerializerMethodField(
        help_text=_(
            "Past its deadline: still published until the daily task closes it, or closed by that task. Only its "
            "owner (and staff) see such a need; they may extend the deadline."
        )
    )

    class Meta:
        model = Need
        fields = [*COMMON_FIELDS, *NEED_FIELDS, "expired"]
        read_only_fields = [name for name in fields if name not in (*Posting.CONTACT_FIELDS, *OWNER_ONLY_FIELDS)]

    def get_expired(self, instance: Need) -> bool:
        return instance.deadline_lapsed


# --- Input -----------------------------------------------------------------------------------------------------


class PostingInputSerializer(serializers.ModelSerializer):
    """A posting as a poster writes it: places as typed text, domains as codes."""

    # validated_data holds model fields plus ``domains`` (codes) and, on creation, ``organization``: ready for
    # ``posting_create`` / ``posting_update``, which check the rules.

    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("The posting organisation's id; by default the user's primary organisation."),
    )
    province = serializers.CharField(
        max_length=100, help_text=_('The province as typed, in any spelling ("安徽省", "安徽", "Anhui").')
    )
    city = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=_('The city, county or district as typed ("合肥", "Hefei"); optional.'),
    )
    domains = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        help_text=_("Domain codes (see /api/v1/domains/)."),
    )
    keywords = serializers.ListField(child=serializers.CharField(max_length=KEYWORD_MAX), required=False)
    modes = serializers.ListField(child=serializers.ChoiceField(choices=CooperationMode.choices), required=False)
    language = NamedChoiceField(choices=Language.choices, enum_name="PostingLanguageEnum", required=False)

    class Meta:
        model: type[Model]
        fields: list[str]
        validators: list[Any] = []  # the services check the rules (uniqueness of external_ref included)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        self._resolve_place(attrs)
        if self.instance is None:
            attrs["organization"] = attrs.get("organization") or self._default_organization()
        return attrs

    def _user(self) -> Any:
        return self.context["request"].user

    def _resolve_place(self, attrs: dict[str, Any]) -> None:
        """Typed province and city -> rows. An edit naming only the city keeps the province; an edit naming only
        the province drops the old city."""
        if "province" not in attrs and "city" not in attrs:
            return
        province_text = attrs.pop("province", None)
        city_text = attrs.pop("city", None) or None
        if province_text is None and self.instance is not None:
            province_text = self.instance.province.name_zh
        try:
            if province_text:
                place_resolve_parts(province=province_text, city=None, field="province")
            attrs["province"], attrs["city"] = place_resolve_parts(province=province_text, city=city_text, field="city")
        except ApplicationError as error:
            raise serializers.ValidationError({error.field or "province": [error.message]}) from error

    def _default_organization(self) -> Organization:
        membership = user_primary_membership(user=self._user())
        if membership is None:
            raise serializers.ValidationError(
                {"organization": [_("You belong to no organisation: say which one posts.")]}
            )
        return membership.organization


INPUT_COMMON_FIELDS = [
    "organization",
    "external_ref",
    "title",
    "domains",
    "keywords",
    "modes",
    "province",
    "city",
    "language",
    *Posting.CONTACT_FIELDS,
]


class AchievementInputSerializer(PostingInputSerializer):
    patent_numbers = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)

    class Meta(PostingInputSerializer.Meta):
        model = Achievement
        fields = [*INPUT_COMMON_FIELDS, *ACHIEVEMENT_FIELDS]
        extra_kwargs = {"price_min_wan": {"min_value": 0}, "price_max_wan": {"min_value": 0}}


class NeedInputSerializer(PostingInputSerializer):
    class Meta(PostingInputSerializer.Meta):
        model = Need
        fields = [*INPUT_COMMON_FIELDS, *NEED_FIELDS]
        extra_kwargs = {"budget_wan": {"min_value": 0}}


class AchievementUpdateSerializer(AchievementInputSerializer):
    """Editing does not move a posting to another organisation."""

    class Meta(AchievementInputSerializer.Meta):
        fields = [name for name in AchievementInputSerializer.Meta.fields if name != "organization"]


class NeedUpdateSerializer(NeedInputSerializer):
    """Editing does not move a posting to another organisation."""

    class Meta(NeedInputSerializer.Meta):
        fields = [name for name in NeedInputSerializer.Meta.fields if name != "organization"]


# --- Actions ---------------------------------------------------------------------------------------------------


class NeedExtendSerializer(serializers.Serializer):
    deadline = serializers.DateField(help_text=_("The new deadline (YYYY-MM-DD), after today."))


class PostingCloseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX, help_text=_("Optional.")
    )


class PostingRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=False, max_length=NOTE_MAX, help_text=_("Why the posting is refused; the owner sees it.")
    )
