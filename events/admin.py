"""Events in admin. What has rules (status, places, registrations, meetings, presentations, agreements) is
read-only here and changed by actions that call the events services, as the pages and the API do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, run_for_each
from core.exceptions import ApplicationError

from . import services
from .models import (
    Event,
    EventAgreement,
    Meeting,
    MeetingSlot,
    MeetingTable,
    PresentationApplication,
    Registration,
    SchedulePlan,
)


class RegistrationInline(ReadOnlyInline):
    model = Registration
    fields = ("person_name", "person_email", "organization", "status", "check_in_code", "checked_in_at", "created_at")
    readonly_fields = fields


class MeetingSlotInline(ReadOnlyInline):
    model = MeetingSlot


class MeetingTableInline(ReadOnlyInline):
    model = MeetingTable


def _event_changes(form: forms.ModelForm) -> dict[str, Any]:
    """What the admin form changes, as ``event_update`` takes it."""
    changes: dict[str, Any] = {
        name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS
    }
    if "domains" in form.changed_data:
        changes["domain_codes"] = [domain.pk for domain in form.cleaned_data["domains"]]
    if "clusters" in form.changed_data:
        changes["cluster_codes"] = [cluster.pk for cluster in form.cleaned_data["clusters"]]
    return changes


class EventAdminForm(forms.ModelForm):
    """Checks an edit by the rules of ``event_update`` (tried, then rolled back), so that a broken rule is an error
    on its field, not a failed save."""

    by: Any = None  # the staff member editing, set by ``EventAdmin.get_form``

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None or self.errors:
            return cleaned
        try:
            with transaction.atomic():
                services.event_update(event=Event.objects.get(pk=self.instance.pk), by=self.by,
                                      **_event_changes(self))  # fmt: skip
                transaction.set_rollback(True)  # only a check: the save runs it again
        except ApplicationError as error:
            raise ValidationError({error.field if error.field in self.fields else None: error.message}) from error
        return cleaned


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Organisers create events on the site (``event_create``); here staff edit them through ``event_update``, the
    service of the organiser's edit page (a raised capacity gives its places to the waiting list, in order), and move
    the status by the actions."""

    form = EventAdminForm

    list_display = ("title", "kind", "organizer", "city", "starts_at", "capacity", "confirmed_count", "status")
    list_filter = ("kind", "status", "city__province")
    search_fields = ("title", "organizer__name", "venue")
    autocomplete_fields = ("city",)
    filter_horizontal = ("domains", "clusters")
    readonly_fields = (
        "organizer", "kind", "status", "agenda_status", "confirmed_count", "created_by", "created_at", "updated_at"
    )
    date_hierarchy = "starts_at"
    inlines = [MeetingSlotInline, MeetingTableInline, RegistrationInline]
    actions = ["publish_selected", "cancel_selected", "finish_selected"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        form.by = request.user
        return form

    def save_model(self, request: HttpRequest, obj: Event, form: forms.ModelForm, change: bool) -> None:
        services.event_update(event=Event.objects.get(pk=obj.pk), by=request.user, **_event_changes(form))

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """Domains and clusters were saved by ``event_update``; the inlines are read-only (saving them writes
        nothing, and tells admin's history what changed)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _move(self, request: HttpRequest, queryset: QuerySet[Event], status: str, done: str) -> None:
        run_for_each(self, request, queryset, lambda event: services.event_set_status(
            event=event, by=request.user, status=status), done)  # fmt: skip

    @admin.action(description=_("Publish the selected events"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        self._move(request, queryset, Event.Status.PUBLISHED, _("%(count)d events published."))

    @admin.action(description=_("Cancel the selected events"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        self._move(request, queryset, Event.Status.CANCELLED, _("%(count)d events cancelled."))

    @admin.action(description=_("Mark the selected events finished"))
    def finish_selected(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        self._move(request, queryset, Event.Status.FINISHED, _("%(count)d events finished."))


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("person_name", "person_email", "organization", "event", "status", "checked_in_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("person_name", "person_email", "organization__name", "check_in_code")
    actions = ["cancel_selected"]

    @admin.action(description=_("Cancel the selected registrations (a freed place goes to the waiting list)"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Registration]) -> None:
        run_for_each(self, request, queryset, lambda registration: services.registration_cancel(
            registration=registration, by=request.user), _("%(count)d registrations cancelled."))  # fmt: skip


@admin.register(PresentationApplication)
class PresentationApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "event", "organization", "status", "slot_starts_at", "slot_ends_at")
    list_filter = ("status", "event__kind")
    search_fields = ("achievement__title", "need__title", "organization__name", "event__title")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "event", "status", "slot", "table", "pinned", "created_at")
    list_filter = ("status", "pinned", "event")


@admin.register(SchedulePlan)
class SchedulePlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The scheduler's plans, as the organiser previewed and applied them (read-only: the organiser's grid runs,
    applies and discards them through ``events.scheduling.service``)."""

    list_display = ("event", "kind", "status", "placed_count", "requests_count", "bound", "moved_count",
                    "solver_status", "solve_seconds", "created_at")  # fmt: skip
    list_filter = ("kind", "status")
    search_fields = ("event__title",)


@admin.register(EventAgreement)
class EventAgreementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "agreement")
