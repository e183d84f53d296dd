"""Alerts in admin: read-mostly. Saved searches and follows are the users' own, written on the alerts page; staff
look, and may pause alerts (an action calling the service). The digest log is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from . import services
from .models import Digest, Follow, SavedSearch


@admin.action(description=_("Pause the selected alerts"))
def pause_selected(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    paused = services.alerts_pause(alerts=list(queryset))
    model_admin.message_user(request, _("%(count)d alerts paused.") % {"count": paused})


@admin.register(SavedSearch)
class SavedSearchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "user", "kind", "query", "frequency", "created_at", "last_digest_at")
    list_filter = ("kind", "frequency")
    search_fields = ("name", "user__email", "query")
    readonly_fields = ("user", "name", "kind", "params", "query", "frequency", "created_at", "last_digest_at")
    actions = [pause_selected]


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "user", "frequency", "created_at", "last_digest_at")
    list_filter = ("frequency",)
    search_fields = ("user__email",)
    list_select_related = ("user", "domain", "province", "cluster")
    readonly_fields = ("user", "domain", "province", "cluster", "frequency", "created_at", "last_digest_at")
    actions = [pause_selected]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "period", "sent_at", "posting_count", "match_count", "subject")
    list_filter = ("period",)
    search_fields = ("user__email", "subject")
    date_hierarchy = "sent_at"
    readonly_fields = (
        "user", "period", "sent_at", "matches_since", "posting_count", "match_count", "subject", "items",
    )  # fmt: skip
