"""Broker appointments in admin: read every one, and revoke through the service; appointing is the organisation's
owners' (the site's page and the API, ``brokers.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

from . import services
from .models import BrokerAppointment


@admin.register(BrokerAppointment)
class BrokerAppointmentAdmin(admin.ModelAdmin):
    list_display = ["broker", "agency", "organization", "appointed_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["broker__email", "organization__name", "agency__name"]
    readonly_fields = ["organization", "broker", "agency", "achievements", "needs", "note", "appointed_by",
                       "appointed_at", "revoked_at", "revoked_by", "revoke_reason"]  # fmt: skip
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the organisation's owners appoint, on the site or through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # kept, revoked, for the record of who acted for whom

    @admin.action(description=_("Revoke the selected appointments"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[BrokerAppointment]) -> None:
        done = 0
        for appointment in queryset:
            try:
                services.broker_revoke(appointment=appointment, by=request.user, reason=str(_("Revoked by staff.")))
            except ApplicationError as error:
                self.message_user(request, f"{appointment}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)s appointments revoked.") % {"count": done}, messages.SUCCESS)
