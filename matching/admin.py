"""Staff review in admin: the queue of suggested matches with their score broken down, runs with their progress,
the engine's settings, and statistics of what staff and users decided, per component."""

from __future__ import annotations

from collections.abc import Iterator

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin
from core.exceptions import ApplicationError
from core.exceptions import PermissionDenied as CorePermissionDenied
from reference.admin_filters import ClusterFilter, DomainWithSubdomainsFilter

from . import services
from .engine import COMPONENTS
from .models import Agreement, Match, MatchEvent, MatchingConfig, MatchRun, PendingMatch
from .selectors import match_statistics
from .serializers import localized_reasons
from .tasks import full_rebuild_enqueue
from .views import ACTION_LABELS, COMPONENT_LABELS, SIDE_LABELS

# What started a matching run (``MatchRun.trigger``), as staff read it.
TRIGGER_LABELS = {
    "admin": _("staff, in admin"),
    "command": _("command line"),
    "publish": _("publication"),
    "schedule": _("schedule"),
    "sweep": _("sweep of waiting publications"),
    "drift": _("refit after many additions"),
}
OUTCOME_LABELS = {
    "accepted": _("accepted by both sides"), "declined": _("declined"), "rejected": _("rejected by staff"),
}  # fmt: skip


def _bar(value: float, *, broken: bool = False) -> SafeString:
    colour = "#b3261e" if broken else "#0b5cad"
    return format_html(
        '<span style="display:inline-block;width:120px;height:10px;background:#eef2f6;border-radius:5px;'
        'vertical-align:middle"><span style="display:block;height:10px;width:{}%;background:{};border-radius:5px">'
        "</span></span> {}",
        round(value * 100),
        colour,
        f"{value:.2f}",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept to tune the weights)"), widget=forms.Textarea(attrs={"rows": 3}))


class ScoreFilter(admin.SimpleListFilter):
    title = _("score")
    parameter_name = "score"
    RANGES = {"high": (0.7, 1.01), "medium": (0.5, 0.7), "low": (0.0, 0.5)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("high", "≥ 0.7"), ("medium", "0.5 – 0.7"), ("low", "< 0.5")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in self.RANGES:
            return queryset
        low, high = self.RANGES[self.value()]
        return queryset.filter(score__gte=low, score__lt=high)


class WaitingFilter(admin.SimpleListFilter):
    """The match's status; the queue opens on what waits for staff (suggested), "all" shows every status."""

    title = _("status")
    parameter_name = "status__exact"  # as the field's own filter named it: links made before keep working
    DEFAULT = Match.Status.SUGGESTED.value

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [*Match.Status.choices, ("all", _("all"))]

    def value(self) -> str:
        return super().value() or self.DEFAULT

    def choices(self, changelist: object) -> list[dict[str, object]]:
        return [
            {
                "selected": self.value() == str(value),
                "query_string": changelist.get_query_string({self.parameter_name: value}),  # type: ignore[attr-defined]
                "display": label,
            }
            for value, label in self.lookup_choices
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "all":
            return queryset
        return queryset.filter(status=self.value())


class FloorFilter(admin.SimpleListFilter):
    """Suggested pairs scoring below the queue's floor (``MatchingConfig.queue_floor``) are hidden unless asked
    for ("below the floor", or "all"); matches staff or the sides acted on always show."""

    title = _("score floor")
    parameter_name = "floor"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        floor = MatchingConfig.get_solo().queue_floor
        return [("below", _("below the floor (%(floor).2f)") % {"floor": floor}), ("all", _("all"))]

    def choices(self, changelist: object) -> Iterator[dict[str, object]]:
        floor = MatchingConfig.get_solo().queue_floor
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),  # type: ignore[attr-defined]
            "display": _("at or above the floor (%(floor).2f)") % {"floor": floor},
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),  # type: ignore[attr-defined]
                "display": label,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        floor = MatchingConfig.get_solo().queue_floor
        if self.value() == "all":
            return queryset
        if self.value() == "below":
            return queryset.filter(status=Match.Status.SUGGESTED, score__lt=floor)
        return queryset.exclude(status=Match.Status.SUGGESTED, score__lt=floor)


class DomainFilter(DomainWithSubdomainsFilter):
    domain_lookups = ("need__domains__code", "achievement__domains__code")


class ProvinceFilter(admin.SimpleListFilter):
    title = _("province (either side)")
    parameter_name = "province"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        from reference.models import Province

        return [(p.code, p.name) for p in Province.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        return queryset.filter(Q(need__province_id=self.value()) | Q(achievement__province_id=self.value()))


class EitherSideClusterFilter(ClusterFilter):
    title = _("regional cluster (either side)")
    place_prefixes = ("need__", "achievement__")


class CrossRegionFilter(admin.SimpleListFilter):
    title = _("cross-region")
    parameter_name = "cross_region"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("different provinces")), ("no", _("same province"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(need__province_id=F("achievement__province_id"))
        if self.value() == "no":
            return queryset.filter(need__province_id=F("achievement__province_id"))
        return queryset


class MatchEventInline(admin.TabularInline):
    model = MatchEvent
    fields = ("at", "action_label", "side_label", "from_status", "to_status", "by", "note")
    readonly_fields = fields

    @admin.display(description=_("action"))
    def action_label(self, event: MatchEvent) -> str:
        return str(ACTION_LABELS.get(event.action, event.action))

    @admin.display(description=_("side"))
    def side_label(self, event: MatchEvent) -> str:
        return str(SIDE_LABELS.get(event.side, event.side))
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    """The review queue: it opens on what waits (suggested) best first, without the pairs below the floor; approve
    or reject one by one or in bulk, or release what the release rule now allows (``services.matches_release``)."""

    list_display = ("need_title", "achievement_title", "score_bar", "status", "released_by", "cross_region",
                    "updated_at")  # fmt: skip
    list_filter = (WaitingFilter, FloorFilter, ScoreFilter, DomainFilter, ProvinceFilter, EitherSideClusterFilter,
                   CrossRegionFilter)  # fmt: skip
    list_select_related = ("need__organization", "achievement__organization", "need__province",
                           "achievement__province")  # fmt: skip
    search_fields = ("need__title", "achievement__title", "need__organization__name", "achievement__organization__name")
    ordering = ("-score", "pk")
    actions = ["approve_selected", "reject_selected"]
    change_list_template = "admin/matching/match_changelist.html"
    readonly_fields = (
        "side_by_side", "component_bars", "status", "achievement_decision", "need_decision",
        "review_reason", "decline_reason", "reviewed_by", "reviewed_at", "contact_revealed_at", "run",
    )  # fmt: skip
    fields = readonly_fields
    inlines = [MatchEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("need"), ordering="need__title")
    def need_title(self, match: Match) -> str:
        return f"{match.need.title} ({match.need.organization.name})"

    @admin.display(description=_("achievement"), ordering="achievement__title")
    def achievement_title(self, match: Match) -> str:
        return f"{match.achievement.title} ({match.achievement.organization.name})"

    @admin.display(description=_("score"), ordering="score")
    def score_bar(self, match: Match) -> SafeString:
        return _bar(match.score, broken=bool(match.broken))

    @admin.display(description=_("released by"))
    def released_by(self, match: Match) -> str:
        """Who let the two sides see it: a staff member, the release rule, or no one yet."""
        if match.reviewed_at is None or match.status == Match.Status.REJECTED:
            return "-"
        return str(match.reviewed_by) if match.reviewed_by_id else str(_("the release rule"))

    @admin.display(description=_("cross-region"), boolean=True)
    def cross_region(self, match: Match) -> bool:
        return match.need.province_id != match.achievement.province_id

    @admin.display(description=_("the two postings"))
    def side_by_side(self, match: Match) -> SafeString:
        def column(posting: object, body: str, facts: list[tuple[str, object]]) -> SafeString:
            rows = format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", ((k, v) for k, v in facts if v not in (None, ""))
            )
            return format_html(
                '<td style="vertical-align:top;width:50%"><h3>{}</h3><p>{}</p><table>{}</table></td>',
                posting.title, body, rows,  # type: ignore[attr-defined]
            )  # fmt: skip

        need, achievement = match.need, match.achievement
        return format_html(
            "<table><tr>{}{}</tr></table>",
            column(need, need.description, [
                (_("organisation"), need.organization.name), (_("province"), need.province.name),
                (_("lowest readiness"), need.min_trl), (_("budget (10k CNY)"), need.budget_wan),
                (_("modes"), ", ".join(need.mode_labels)), (_("region scope"), need.get_region_scope_display()),
            ]),
            column(achievement, achievement.summary, [
                (_("organisation"), achievement.organization.name), (_("province"), achievement.province.name),
                (_("readiness"), achievement.trl), (_("price from (10k CNY)"), achievement.price_min_wan),
                (_("modes"), ", ".join(achievement.mode_labels)),
            ]),
        )  # fmt: skip

    @admin.display(description=_("score components"))
    def component_bars(self, match: Match) -> SafeString:
        reasons: dict[str, list[str]] = {}
        broken: dict[str, bool] = {}
        for reason in localized_reasons(match):  # in the active language only
            reasons.setdefault(reason["component"], []).append(reason["text"])
            broken[reason["component"]] = broken.get(reason["component"], False) or reason["broken"]
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (COMPONENT_LABELS.get(name, name),
                 _bar(match.components.get(name, 0.0), broken=broken.get(name, False)),
                 "; ".join(reasons.get(name, [])))
                for name in COMPONENTS
            ),
        )  # fmt: skip
        return format_html("<p>{}</p><table>{}</table>", _bar(match.score, broken=bool(match.broken)), rows)

    def _each(self, request: HttpRequest, queryset: QuerySet, action, done_message: str) -> None:  # type: ignore[no-untyped-def]
        done, errors = 0, []
        for match in queryset:
            try:
                action(match)
                done += 1
            except ApplicationError as error:
                errors.append(f"{match}: {error.message}")
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=_("Approve the selected matches (both sides see them)"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, lambda m: services.match_approve(match=m, by=request.user),
                   str(_("%(count)d matches approved.")))  # fmt: skip

    @admin.action(description=_("Reject the selected matches (with a reason)"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(request, queryset, lambda m: services.match_reject(match=m, by=request.user, reason=reason),
                       str(_("%(count)d matches rejected.")))  # fmt: skip
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject matches"),
            "form": form,
            "items": queryset,
            "action": "reject_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        }
        return render(request, "admin/matching/reason_form.html", context)

    def get_urls(self) -> list:
        custom = [
            path("statistics/", self.admin_site.admin_view(self.statistics_view), name="matching_match_statistics"),
            path("release/", self.admin_site.admin_view(self.release_view), name="matching_match_release"),
        ]
        return custom + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        config = MatchingConfig.get_solo()
        extra = {"release_rule": config.get_release_rule_display(), "release_possible": config.release_q() is not None}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def release_view(self, request: HttpRequest) -> HttpResponse:
        """Release the suggestions waiting that the release rule now allows (the same service as every run)."""
        if request.method != "POST":
            return redirect(reverse("admin:matching_match_changelist"))
        try:
            released = services.matches_release(by=request.user)
        except CorePermissionDenied as error:
            raise DjangoPermissionDenied from error
        if released:
            self.message_user(request, _("%(count)d matches released by the rule.") % {"count": released},
                              messages.SUCCESS)  # fmt: skip
        else:
            self.message_user(request, _("The release rule allows none of the waiting matches."), messages.INFO)
        return redirect(reverse("admin:matching_match_changelist"))

    def statistics_view(self, request: HttpRequest) -> HttpResponse:
        """How each component scored on the matches people accepted, declined and staff rejected."""
        stats = match_statistics()
        outcomes = [(OUTCOME_LABELS.get(o, o), stats["counts"].get(o, 0)) for o in stats["outcomes"]]
        rows = [(COMPONENT_LABELS.get(name, name), [row.get(o) for o in stats["outcomes"]])
                for name, row in stats["means"].items()]  # fmt: skip
        context = {**self.admin_site.each_context(request), "title": _("Match statistics"), "opts": self.model._meta,
                   "stats": stats, "outcomes": outcomes, "rows": rows}  # fmt: skip
        return render(request, "admin/matching/statistics.html", context)


class TriggerFilter(admin.SimpleListFilter):
    title = _("trigger")
    parameter_name = "trigger"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, object]]:
        used = MatchRun.objects.order_by("trigger").values_list("trigger", flat=True).distinct()
        return [(code, TRIGGER_LABELS.get(code, code)) for code in used]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(trigger=self.value()) if self.value() else queryset


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "trigger_label", "status", "progress", "duration_seconds", "created_at")
    list_filter = ("kind", "status", TriggerFilter)
    # The trigger shown by its label (``TRIGGER_LABELS``), not its code.
    fields = readonly_fields = [
        ("trigger_label" if f.name == "trigger" else f.name) for f in MatchRun._meta.fields if f.name != "id"
    ]
    change_list_template = "admin/matching/matchrun_changelist.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("trigger"), ordering="trigger")
    def trigger_label(self, run: MatchRun) -> str:
        return str(TRIGGER_LABELS.get(run.trigger, run.trigger))

    @admin.display(description=_("progress"))
    def progress(self, run: MatchRun) -> SafeString:
        share = run.progress_done / run.progress_total if run.progress_total else (1.0 if run.status == "done" else 0)
        return format_html("{} ({}/{})", _bar(share, broken=run.status == "failed"), run.progress_done,
                           run.progress_total)  # fmt: skip

    def get_urls(self) -> list:
        custom = [path("rebuild/", self.admin_site.admin_view(self.rebuild_view), name="matching_matchrun_rebuild")]
        return custom + super().get_urls()

    def rebuild_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return redirect(reverse("admin:matching_matchrun_changelist"))
        if not request.user.has_perm("matching.change_matchrun"):
            raise DjangoPermissionDenied
        run = full_rebuild_enqueue(trigger="admin", by=request.user)
        self.message_user(request, _("Full rebuild #%(id)d started.") % {"id": run.pk}, messages.SUCCESS)
        return redirect(reverse("admin:matching_matchrun_changelist"))


@admin.register(PendingMatch)
class PendingMatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, read only: publications waiting for their matching (the sweep matches those left over)."""

    list_display = ("kind", "posting_id", "queued_at", "attempts", "last_error")
    list_filter = ("kind",)


@admin.register(MatchingConfig)
class MatchingConfigAdmin(admin.ModelAdmin):
    """The engine's settings and the release rule; saved through ``services.matching_config_save`` (a new release
    rule applies from the moment it is saved)."""

    readonly_fields = ("release_since", "updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MatchingConfig.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: MatchingConfig, form: forms.ModelForm, change: bool) -> None:
        services.matching_config_save(config=obj, by=request.user, changed=form.changed_data)


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Recorded by either side or staff on the match page or the API (``agreement_record``: the signing-date rule and
    the move of the match to a deal); read-only here."""

    list_display = ("achievement", "need", "mode", "amount_wan", "signed_on", "recorded_by")
    list_filter = ("mode",)
    date_hierarchy = "signed_on"
    raw_id_fields = ("match", "achievement", "need")
