from django.contrib import admin

from .models import Event, EventAgreement, Meeting, MeetingSlot, MeetingTable, PresentationApplication, Registration


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("person_name", "person_email", "organization", "status", "check_in_code", "checked_in_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class MeetingSlotInline(admin.TabularInline):
    model = MeetingSlot
    extra = 0


class MeetingTableInline(admin.TabularInline):
    model = MeetingTable
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "organizer", "city", "starts_at", "capacity", "confirmed_count", "status")
    list_filter = ("kind", "status", "city__province")
    search_fields = ("title", "organizer__name", "venue")
    autocomplete_fields = ("organizer", "city")
    filter_horizontal = ("domains", "clusters")
    readonly_fields = ("confirmed_count", "created_by", "created_at", "updated_at")
    date_hierarchy = "starts_at"
    inlines = [MeetingSlotInline, MeetingTableInline, RegistrationInline]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("person_name", "person_email", "organization", "event", "status", "checked_in_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("person_name", "person_email", "organization__name", "check_in_code")
    readonly_fields = ("status", "check_in_code", "checked_in_at", "promoted_at", "cancelled_at", "created_at")
    raw_id_fields = ("event", "organization", "registered_by")


@admin.register(PresentationApplication)
class PresentationApplicationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "event", "organization", "status", "slot_starts_at", "slot_ends_at")
    list_filter = ("status", "event__kind")
    search_fields = ("achievement__title", "need__title", "organization__name", "event__title")
    raw_id_fields = ("event", "organization", "achievement", "need", "applied_by")
    readonly_fields = ("status", "slot_starts_at", "slot_ends_at")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "event", "status", "slot", "table", "created_at")
    list_filter = ("status", "event")
    raw_id_fields = ("event", "requester", "invitee", "slot", "table")
    readonly_fields = ("status", "slot", "table", "responded_at")


@admin.register(EventAgreement)
class EventAgreementAdmin(admin.ModelAdmin):
    list_display = ("event", "agreement")
    raw_id_fields = ("event", "agreement")
