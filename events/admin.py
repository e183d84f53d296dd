from django.contrib import admin

from .models import Event, Registration


class RegistrationInline(admin.TabularInline):
    model = Registration
    fields = ("person_name", "person_email", "organization", "status", "check_in_code", "checked_in_at", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "organizer", "city", "starts_at", "capacity", "confirmed_count", "status")
    list_filter = ("kind", "status", "city__province")
    search_fields = ("title", "organizer__name", "venue")
    autocomplete_fields = ("organizer", "city")
    filter_horizontal = ("domains", "clusters")
    readonly_fields = ("confirmed_count", "created_by", "created_at", "updated_at")
    date_hierarchy = "starts_at"
    inlines = [RegistrationInline]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ("person_name", "person_email", "organization", "event", "status", "checked_in_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("person_name", "person_email", "organization__name", "check_in_code")
    readonly_fields = ("status", "check_in_code", "checked_in_at", "promoted_at", "cancelled_at", "created_at")
    raw_id_fields = ("event", "organization", "registered_by")
