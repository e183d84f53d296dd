from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyInline

from . import services
from .models import Membership, Organization, User


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(ReadOnlyInline):
    """Members are added on the Memberships page (through ``membership_add``), not inline."""

    model = Membership
    fields = ("user", "organization", "role", "created_at")
    readonly_fields = fields


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "language")
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    inlines = [MembershipInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "province", "city", "verified", "created_at")
    list_filter = ("verified", "kind", "province")
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("province", "city")
    readonly_fields = ("verified", "verified_at", "verified_by", "created_at", "updated_at")
    list_select_related = ("province", "city")
    inlines = [MembershipInline]
    actions = ["mark_verified", "mark_unverified"]

    @admin.action(description=_("Mark the selected organisations as verified"))
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            services.organization_set_verified(organization=organization, verified=True, by=request.user)
        self.message_user(
            request, _("%(count)d organisations verified.") % {"count": queryset.count()}, messages.SUCCESS
        )

    @admin.action(description=_("Withdraw verification of the selected organisations"))
    def mark_unverified(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            services.organization_set_verified(organization=organization, verified=False, by=request.user)
        self.message_user(
            request, _("%(count)d organisations unverified.") % {"count": queryset.count()}, messages.SUCCESS
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Adding goes through ``membership_add`` (who may add, and its checks); a membership is not edited, it is
    removed and added again."""

    list_display = ("user", "organization", "role", "created_at")
    list_filter = ("role", "organization__kind")
    search_fields = ("user__email", "organization__name")
    autocomplete_fields = ("user", "organization")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        # Admin has checked the add permission the service asks of staff, and the user exists (chosen in the form).
        made = services.membership_add(organization=obj.organization, email=obj.user.email, role=obj.role,
                                       by=request.user)  # fmt: skip
        obj.pk = made.pk
