"""Staff read every conversation in admin (messages inline, read-only), review held enquiries and hide messages:
the actions call ``conversations.services``; nothing is added or edited here. Staff reading marks nothing read."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, run_for_each

from . import services
from .models import Message, Thread


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "organization", "author", "kind", "body", "proposal_state", "hidden", "hidden_reason"]
    readonly_fields = fields
    ordering = ["pk"]


@admin.register(Thread)
class ThreadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "kind", "state", "first_party", "second_party", "last_message_at", "held_reason_text"]
    list_filter = ["state", "kind"]
    search_fields = ["subject", "first_party__name", "second_party__name"]
    readonly_fields = [
        "kind", "state", "subject", "match", "achievement", "need", "first_party", "second_party", "held_reason_text",
        "created_by", "created_at", "last_message_at", "reviewed_by", "reviewed_at",
    ]  # fmt: skip
    fields = readonly_fields
    inlines = [MessageInline]
    actions = ["approve_selected", "reject_selected"]
    list_select_related = ["first_party", "second_party"]

    @admin.action(description=_("Pass the selected enquiries to their owners"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Thread]) -> None:
        run_for_each(
            self, request, queryset, lambda thread: services.enquiry_approve(thread=thread, by=request.user),
            _("%(count)d enquiries passed."),
        )  # fmt: skip

    @admin.action(description=_("Reject the selected enquiries"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Thread]) -> None:
        run_for_each(
            self, request, queryset, lambda thread: services.enquiry_reject(thread=thread, by=request.user),
            _("%(count)d enquiries rejected."),
        )  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Actions ask for the change permission; the form stays read-only (every field is).
        return obj is None and request.user.has_perm("conversations.change_thread")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "thread", "organization", "author", "kind", "short_body", "hidden"]
    list_filter = ["hidden", "kind"]
    search_fields = ["body", "thread__subject", "organization__name"]
    list_select_related = ["thread", "organization", "author"]
    actions = ["hide_selected"]

    @admin.display(description=_("message"))
    def short_body(self, message: Message) -> str:
        return message.body[:80]

    @admin.action(description=_("Hide the selected messages"), permissions=["change"])
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        run_for_each(
            self, request, queryset, lambda message: services.message_hide(message=message, by=request.user),
            _("%(count)d messages hidden."),
        )  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and request.user.has_perm("conversations.change_message")
