"""Admin pieces shared by the apps: records whose writes have rules are read-only in admin, their changes made by
actions that call the same services as the pages and the API (one door for every write with rules)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from .exceptions import ApplicationError, PermissionDenied
from .models import AuditEvent


class ReadOnlyAdminMixin:
    """No adding, editing or deleting in admin: the record is written by its services only."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


def run_for_each(model_admin: admin.ModelAdmin, request: HttpRequest, items: Any, service: Any, done: str) -> None:
    """Call ``service(item)`` for each selected item; report how many succeeded and each refusal, by item."""
    succeeded = 0
    for item in items:
        try:
            service(item)
        except (ApplicationError, PermissionDenied, DjangoPermissionDenied) as error:
            model_admin.message_user(request, _("%(item)s: %(error)s") % {"item": item, "error": error}, messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, done % {"count": succeeded}, messages.SUCCESS)


# --- The audit log ---------------------------------------------------------------------------------------------


class _ChosenOrListed(admin.SimpleListFilter):
    """A filter by an id: it lists a few choices (``listed``) and always the chosen one, which a link in the list
    sets (the choices of every actor or organisation would not fit the side bar)."""

    field_name = ""

    def listed(self) -> list[tuple[str, str]]:
        return []

    def chosen_label(self, value: str) -> str:
        return value

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        choices = self.listed()
        value = self.value()
        if value and value.isdigit() and value not in {key for key, _label in choices}:
            choices.append((value, self.chosen_label(value)))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.field_name: int(value)})
        return queryset


class AuditActorFilter(_ChosenOrListed):
    title = gettext_lazy("actor")
    parameter_name = "actor"
    field_name = "actor_id"

    def listed(self) -> list[tuple[str, str]]:
        staff = get_user_model().objects.filter(is_staff=True).order_by("email").values_list("pk", "email")
        return [(str(pk), email) for pk, email in staff[:50]]

    def chosen_label(self, value: str) -> str:
        row = AuditEvent.objects.filter(actor_id=value).exclude(actor_email="").values_list("actor_email").first()
        return row[0] if row else value


class AuditOrganizationFilter(_ChosenOrListed):
    title = gettext_lazy("organisation")
    parameter_name = "organization"
    field_name = "organization_id"

    def chosen_label(self, value: str) -> str:
        row = AuditEvent.objects.filter(organization_id=value).values_list("organization_name").first()
        return row[0] if row else value


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit log, newest first: read-only, for staff given its view permission."""

    list_display = ("at", "kind", "actor_link", "organization_link", "target_type", "target_label", "ip")
    list_filter = (
        "kind",
        ("at", admin.DateFieldListFilter),
        AuditActorFilter,
        AuditOrganizationFilter,
        ("target_type", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("actor_email", "target_label", "organization_name")
    date_hierarchy = "at"
    list_select_related = ("target_type",)
    show_full_result_count = False  # the log grows large: no second count of the whole table
    fields = (
        "at", "kind", "actor", "actor_email", "organization_id", "organization_name", "target_type", "target_id",
        "target_label", "ip", "detail_text",
    )  # fmt: skip
    readonly_fields = fields

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # As ``accounts.selectors.staff_may`` decides (core may not import accounts): staff with the permission.
        user = request.user
        return bool(user.is_active and user.is_staff and user.has_perm("core.view_auditevent"))

    @admin.display(description=gettext_lazy("actor"), ordering="actor_email")
    def actor_link(self, event: AuditEvent) -> str:
        if event.actor_id is None:
            return event.actor_email or "-"
        return format_html('<a href="?actor={}">{}</a>', event.actor_id, event.actor_email or event.actor_id)

    @admin.display(description=gettext_lazy("organisation"), ordering="organization_name")
    def organization_link(self, event: AuditEvent) -> str:
        if event.organization_id is None:
            return "-"
        return format_html('<a href="?organization={}">{}</a>', event.organization_id, event.organization_name)

    @admin.display(description=gettext_lazy("detail"))
    def detail_text(self, event: AuditEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.detail, ensure_ascii=False, indent=2, sort_keys=True))


# --- Labels the admin shows that other code owns ---------------------------------------------------------------
# Django's admin and the third-party apps listed in INSTALLED_APPS name some things in English only: their Chinese
# catalogues lack these strings (django-axes has none). Marked here, ``makemessages`` keeps them in the project's
# catalogue, which Django reads before theirs; so the admin reads one language at a time.
THIRD_PARTY_MSGIDS = (
    # django.contrib.admin (the index's table headers, for screen readers)
    gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # django-axes (its models and fields, through its own gettext_lazy)
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access failure"),
    gettext_noop("access failures"), gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("Username"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"), gettext_noop("GET Data"),
    gettext_noop("POST Data"), gettext_noop("Failed Logins"), gettext_noop("Access Attempt"),
    gettext_noop("Expires At"), gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"), gettext_noop("Session key hash (sha256)"), gettext_noop("Locked Out"),
)


def label_third_party_apps() -> None:
    """Name django-axes and django-knox (whose app and token fields have no translatable names) in the reader's
    language in admin."""
    from django.apps import apps

    names = {"axes": gettext_lazy("Sign-in lockout"), "knox": gettext_lazy("API tokens")}
    for label, name in names.items():
        if apps.is_installed(label):
            apps.get_app_config(label).verbose_name = name
    if apps.is_installed("knox"):
        token = apps.get_model("knox", "AuthToken")
        token._meta.verbose_name = gettext_lazy("API token")
        token._meta.verbose_name_plural = gettext_lazy("API tokens")
        fields = {"digest": gettext_lazy("token digest"), "token_key": gettext_lazy("token key"),
                  "user": gettext_lazy("user"), "created": gettext_lazy("created at"),
                  "expiry": gettext_lazy("expires at")}  # fmt: skip
        for name, verbose_name in fields.items():
            token._meta.get_field(name).verbose_name = verbose_name


label_third_party_apps()
