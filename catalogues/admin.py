"""Collections in admin: read, and publish or take back through the service; curating (adding, ordering) is on the
site's pages and the API, where the rules are (``catalogues.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

from . import services
from .models import Collection, CollectionItem


class CollectionItemInline(admin.TabularInline):
    model = CollectionItem
    fields = ["position", "achievement", "need", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["position"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["title", "organizer", "kind", "status", "published_at"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "organizer__name"]
    readonly_fields = ["organizer", "kind", "title", "description", "status", "published_at", "created_by",
                       "created_at", "updated_at"]  # fmt: skip
    inlines = [CollectionItemInline]
    actions = ["publish_selected", "unpublish_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created by an organiser's members on the site or through the API

    def _set(self, request: HttpRequest, queryset: QuerySet[Collection], published: bool) -> None:
        done = 0
        for collection in queryset:
            try:
                services.collection_set_published(collection=collection, by=request.user, published=published)
            except ApplicationError as error:
                self.message_user(request, f"{collection}: {error.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, _("%(count)s collections changed.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Publish the selected collections"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Collection]) -> None:
        self._set(request, queryset, True)

    @admin.action(description=_("Take the selected collections back to draft"))
    def unpublish_selected(self, request: HttpRequest, queryset: QuerySet[Collection]) -> None:
        self._set(request, queryset, False)
