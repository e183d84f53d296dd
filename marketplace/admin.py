"""The moderation queue: submitted postings wait here for staff to approve or reject them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.admin import ReadOnlyAdminMixin, run_for_each
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.limits import NOTE_MAX
from reference.admin_filters import ClusterFilter, DomainWithSubdomainsFilter

from . import import_results, services
from .forms import ImportFileForm
from .import_jobs import import_job_create
from .models import Achievement, ImportJob, Need, PostingTransition


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the organisation sees it)"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AdminImportForm(ImportFileForm):
    organization = forms.ModelChoiceField(
        label=_("Owner of every row"),
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("Leave empty to use the organisation named in each row."),
    )
    create_orgs = forms.BooleanField(label=_("Create organisations named in the rows"), required=False)
    publish = forms.BooleanField(label=_("Publish the records"), required=False)
    dry_run = forms.BooleanField(label=_("Only check the file"), required=False)


class TransitionInline(admin.TabularInline):
    model = PostingTransition
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class HeldEditFilter(admin.SimpleListFilter):
    title = _("edit waiting for review")
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(held_at__isnull=False).order_by("held_at")
        if self.value() == "no":
            return queryset.filter(held_at__isnull=True)
        return queryset


class PostingAdmin(admin.ModelAdmin):
    list_display = ("title", "organization", "status", "province", "city", "language", "created_at", "published_at")
    list_filter = (
        "status",
        ("organization", admin.RelatedOnlyFieldListFilter),
        DomainWithSubdomainsFilter,
        "province",
        ClusterFilter,
        "language",
        "organization__kind",
        "organization__verified",
        HeldEditFilter,
    )
    search_fields = ("title", "external_ref", "organization__name")
    autocomplete_fields = ("organization", "province", "city")
    filter_horizontal = ("domains",)
    list_select_related = ("organization", "province", "city")
    readonly_fields = (
        "status",
        "held_edit_shown",
        "rejection_reason",
        "created_by",
        "created_at",
        "updated_at",
        "published_at",
        "closed_at",
    )
    inlines = [TransitionInline]
    actions = ["approve_selected", "reject_selected", "approve_held_edits", "reject_held_edits"]
    date_hierarchy = "created_at"
    change_list_template = "admin/marketplace/posting_changelist.html"
    import_kind = ""

    def get_urls(self) -> list:
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_import"
        custom = [path("import/", self.admin_site.admin_view(self.import_view), name=name)]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """The bulk importer, for staff: the same service as the command line and the members' upload form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AdminImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    kind=self.import_kind,
                    filename=upload.name,
                    data=upload.read(),
                    organization=form.cleaned_data["organization"],
                    create_orgs=form.cleaned_data["create_orgs"],
                    publish=form.cleaned_data["publish"],
                    dry_run=form.cleaned_data["dry_run"],
                    by=request.user,
                )
            except ApplicationError as error:
                add_application_error(form, error)
            else:
                self.message_user(request, _("The file is being imported; this page follows it."), messages.INFO)
                return redirect("marketplace:import-job", pk=job.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %(name)s") % {"name": self.model._meta.verbose_name_plural},
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/marketplace/import.html", context)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        # Status moves only through the actions; field edits are re-indexed for search like any other edit.
        super().save_related(request, form, formsets, change)
        services.posting_reindex(posting=form.instance)

    @admin.display(description=_("edit waiting for review"))
    def held_edit_shown(self, posting: Achievement | Need) -> str:
        if not posting.held_edit:
            return "—"
        lines = [services.hold_reason_text(posting.held_reason)]
        for name, value in posting.held_edit["fields"].items():
            lines.append(f"{posting._meta.get_field(name).verbose_name}: {value}")
        if posting.held_edit.get("domains") is not None:
            lines.append(f"{_('domains')}: {', '.join(posting.held_edit['domains'])}")
        return format_html_join("\n", "<p>{}</p>", ((line,) for line in lines))

    @admin.action(description=_("Publish the held edits of the selected postings"))
    def approve_held_edits(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(self, request, queryset.filter(held_at__isnull=False),
                     lambda posting: services.posting_edit_approve(posting=posting, by=request.user),
                     _("%(count)d edits published."))  # fmt: skip

    @admin.action(description=_("Reject the held edits of the selected postings (with a reason)"))
    def reject_held_edits(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = RejectForm(request.POST if "reason" in request.POST else None)
        held = queryset.filter(held_at__isnull=False)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            run_for_each(self, request, held,
                         lambda posting: services.posting_edit_reject(posting=posting, by=request.user, reason=reason),
                         _("%(count)d edits rejected."))  # fmt: skip
            return None
        return render(
            request,
            "admin/marketplace/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject held edits"),
                "intro": _("These edits will be discarded (the public text stays) and their organisations told why:"),
                "action": "reject_held_edits",
                "form": form,
                "postings": held,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Approve and publish the selected postings"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done, errors = 0, []
        # One transaction (each approval in a savepoint of its own): the postings published are matched in one
        # batch when it commits, not one run each.
        with transaction.atomic():
            for posting in queryset:
                try:
                    services.posting_approve(posting=posting, by=request.user)
                    done += 1
                except ApplicationError as error:
                    errors.append(f"{posting.title}: {error.message}")
        if done:
            self.message_user(request, _("%(count)d postings published.") % {"count": done}, messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.ERROR)

    @admin.action(description=_("Reject the selected postings (with a reason)"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done, errors = 0, []
            for posting in queryset:
                try:
                    services.posting_reject(posting=posting, by=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except ApplicationError as error:
                    errors.append(f"{posting.title}: {error.message}")
            if done:
                self.message_user(request, _("%(count)d postings rejected.") % {"count": done}, messages.SUCCESS)
            for error in errors:
                self.message_user(request, error, messages.ERROR)
            return None
        return render(
            request,
            "admin/marketplace/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject postings"),
                "form": form,
                "postings": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(Achievement)
class AchievementAdmin(PostingAdmin):
    import_kind = "achievements"
    list_filter = (*PostingAdmin.list_filter, "ip_status", "trl")


@admin.register(Need)
class NeedAdmin(PostingAdmin):
    import_kind = "needs"
    list_filter = (*PostingAdmin.list_filter, "region_scope")


@admin.register(PostingTransition)
class PostingTransitionAdmin(admin.ModelAdmin):
    list_display = ("at", "achievement", "need", "from_status", "to_status", "by", "reason")
    list_filter = ("to_status",)
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Imports in the background: who sent which file, how it went (the page of each follows it)."""

    list_display = ("filename", "kind", "organization", "created_by", "state", "rows", "errors_total", "created_at")
    list_filter = ("state", "kind")
    search_fields = ("filename", "organization__name", "created_by__email")
    date_hierarchy = "created_at"
    exclude = ("data", "errors", "preview")
    readonly_fields = ("problems", "page")

    @admin.display(description=_("problems"))
    def problems(self, job: ImportJob) -> str:
        """The errors by row and column, in the reader's language (``import_results``)."""
        lines = import_results.job_errors(job)
        if not lines:
            return "—"
        return format_html(
            '<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>',
            _("Row"), _("Column"), _("Problem"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                             ((line.row or "—", line.column, line.reason) for line in lines)),
        )  # fmt: skip

    @admin.display(description=_("page"))
    def page(self, job: ImportJob) -> str:
        """The job's page: its preview and, for its uploader, the button that imports a checked file."""
        return format_html('<a href="{}">{}</a>', reverse("marketplace:import-job", kwargs={"pk": job.pk}),
                           _("How it went"))  # fmt: skip
