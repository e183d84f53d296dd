"""Open calls in admin. Everything with rules is read-only here and changed by actions that call the calls services,
as the pages and the API do: staff publish and close calls, remove needs from their calls, and shortlist, award or
decline proposals (the reasons the services ask for are said to be staff's). Calls are created by organisers' members
on the site or through the API; needs are entered and proposals submitted there."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, run_for_each

from . import services
from .models import Call, CallNeed, Invitation, Proposal


class CallNeedInline(ReadOnlyInline):
    model = CallNeed
    fields = ("need", "entered_by", "entered_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Call)
class CallAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "organizer", "status", "opens_at", "closes_at", "published_at")
    list_filter = ("status",)
    search_fields = ("title", "organizer__name")
    date_hierarchy = "opens_at"
    inlines = [CallNeedInline]
    actions = ["publish_selected", "close_selected"]

    def _move(self, request: HttpRequest, queryset: QuerySet[Call], status: str, done: str) -> None:
        run_for_each(self, request, queryset, lambda call: services.call_set_status(
            call=call, by=request.user, status=status), done)  # fmt: skip

    @admin.action(description=gettext_lazy("Publish the selected calls"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        self._move(request, queryset, Call.Status.PUBLISHED, _("%(count)d calls published."))

    @admin.action(description=gettext_lazy("Close the selected calls"))
    def close_selected(self, request: HttpRequest, queryset: QuerySet[Call]) -> None:
        self._move(request, queryset, Call.Status.CLOSED, _("%(count)d calls closed."))


class ProposalInline(ReadOnlyInline):
    model = Proposal
    fields = ("achievement", "organization", "status", "submitted_at", "decided_at", "agreement")
    readonly_fields = fields
    show_change_link = True


class InvitationInline(ReadOnlyInline):
    model = Invitation
    fields = ("achievement", "invited_by", "invited_at")
    readonly_fields = fields


@admin.register(CallNeed)
class CallNeedAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("need", "call", "entered_by", "entered_at")
    list_filter = ("call",)
    search_fields = ("need__title", "call__title", "need__organization__name")
    list_select_related = ("need", "call", "entered_by")
    inlines = [ProposalInline, InvitationInline]
    actions = ["remove_selected"]

    @admin.action(description=gettext_lazy("Remove the selected needs from their calls"))
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[CallNeed]) -> None:
        reason = _("Removed by platform staff.")
        run_for_each(self, request, queryset.select_related("call", "need"),
                     lambda entry: services.call_need_remove(call_need=entry, by=request.user, reason=reason),
                     _("%(count)d needs removed from their calls."))  # fmt: skip


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("achievement", "organization", "call_need", "status", "budget_wan", "months", "submitted_at")
    list_filter = ("status", "call_need__call")
    search_fields = ("achievement__title", "organization__name", "call_need__need__title")
    list_select_related = ("achievement", "organization", "call_need__need", "call_need__call")
    actions = ["shortlist_selected", "award_selected", "decline_selected"]

    @admin.action(description=gettext_lazy("Shortlist the selected proposals"))
    def shortlist_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        run_for_each(self, request, queryset, lambda proposal: services.proposal_shortlist(
            proposal=proposal, by=request.user), _("%(count)d proposals shortlisted."))  # fmt: skip

    @admin.action(description=gettext_lazy("Award the selected proposals (each becomes an agreement)"))
    def award_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        run_for_each(self, request, queryset, lambda proposal: services.proposal_award(
            proposal=proposal, by=request.user), _("%(count)d proposals awarded."))  # fmt: skip

    @admin.action(description=gettext_lazy("Decline the selected proposals"))
    def decline_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        reason = _("Declined by platform staff.")
        run_for_each(self, request, queryset, lambda proposal: services.proposal_decline(
            proposal=proposal, by=request.user, reason=reason), _("%(count)d proposals declined."))  # fmt: skip
