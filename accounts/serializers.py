from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from .lockout import cooloff_minutes, lockout_message
from .models import Membership, Organization, User


class OrganizationSerializer(serializers.ModelSerializer):
    province = serializers.CharField(source="province.name_zh", read_only=True)
    city = serializers.CharField(source="city.name_zh", read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "province", "city", "website", "description", "verified"]


class MembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["organization", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "language", "is_staff", "memberships"]


class TokenObtainSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs: dict[str, str]) -> dict[str, object]:
        request = self.context.get("request")
        user = authenticate(request, username=attrs["email"], password=attrs["password"])
        if user is None and getattr(request, "axes_locked_out", False):  # too many wrong passwords (django-axes)
            raise exceptions.Throttled(wait=cooloff_minutes() * 60, detail=lockout_message())
        if user is None:
            raise serializers.ValidationError(
                _("No active account has this e-mail and password."), code="authorization"
            )
        return {"user": user}


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=_("Sent as the header Authorization: Token <token>."))
    expiry = serializers.DateTimeField(read_only=True, help_text=_("When the token stops working."))
