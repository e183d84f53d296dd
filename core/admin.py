"""Admin pieces shared by the apps: records whose writes have rules are read-only in admin, their changes made by
actions that call the same services as the pages and the API (one door for every write with rules)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .exceptions import ApplicationError, PermissionDenied


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
