from django.contrib import admin

from .models import Match, MatchingConfig, MatchRun


@admin.register(MatchingConfig)
class MatchingConfigAdmin(admin.ModelAdmin):
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return not MatchingConfig.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        obj.pk = 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "trigger", "status", "progress_done", "progress_total", "duration_seconds",
                    "created_at")  # fmt: skip
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in MatchRun._meta.fields]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ("need", "achievement", "score", "status", "updated_at")
    list_filter = ("status",)
    list_select_related = ("need", "achievement")
    search_fields = ("need__title", "achievement__title")
    raw_id_fields = ("need", "achievement", "run")
