from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyInline
from core.exceptions import ApplicationError

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


class EmailVerifiedFilter(admin.SimpleListFilter):
    title = _("e-mail verified")
    parameter_name = "email_verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No: the sign-up link was not opened"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() in ("yes", "no"):
            return queryset.filter(email_verified_at__isnull=self.value() == "no")
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "email_verified_at", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", EmailVerifiedFilter, "language")
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined", "email_verified_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "email_verified_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        services.user_save_by_staff(user=obj)


class ResemblesFilter(admin.SimpleListFilter):
    """Organisations whose name contains a verified one's (``accounts.names``): staff check before verifying."""

    title = _("resembles a verified organisation")
    parameter_name = "resembles_verified"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Organization]) -> QuerySet[Organization]:
        if self.value() == "yes":
            return queryset.filter(resembles__verified=True)
        if self.value() == "no":
            return queryset.exclude(resembles__verified=True)
        return queryset


class OrganizationAdminForm(forms.ModelForm):
    """A name added or changed here is checked as at sign-up (``services.organization_name_check``)."""

    class Meta:
        model = Organization
        fields = ("name", "kind", "province", "city", "credit_code", "description", "website")

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    def clean_name(self) -> str:
        try:
            name = services.organization_name_check(name=self.cleaned_data["name"], exclude_pk=self.instance.pk)[0]
        except ApplicationError as error:
            raise ValidationError(error.message) from error
        return name


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    list_display = ("name", "kind", "province", "city", "verified", "resembles_column", "created_at")
    list_filter = ("verified", ResemblesFilter, "kind", "province")
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("province", "city")
    readonly_fields = ("resembles", "verified", "verified_at", "verified_by", "created_at", "updated_at")
    list_select_related = ("province", "city", "resembles")
    inlines = [MembershipInline]
    actions = ["mark_verified", "mark_unverified"]

    @admin.display(description=_("resembles"), ordering="resembles__name")
    def resembles_column(self, obj: Organization) -> str:
        if obj.resembles is None:
            return "-"
        label = _("verified") if obj.resembles.verified else _("not verified")
        return format_html("⚠ {} ({})", obj.resembles.name, label)

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        services.organization_save_by_staff(organization=obj, name_changed="name" in form.changed_data)

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
