"""Server-rendered pages of the market: lists with filters, details, posting forms, my organisation, imports.

Achievements and needs share every view; the URL says which kind (see ``KINDS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.forms import OrganizationContactForm
from accounts.models import Organization
from accounts.selectors import user_memberships
from core.downloads import file_response
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import public_fragment, public_page
from reference import cache as reference_cache
from reference.forms import place_from

from . import hooks, import_jobs, import_results, importers, services
from .filters import AchievementFilterSet, NeedFilterSet, PostingFilterSet
from .forms import AchievementForm, CloseForm, ExtendDeadlineForm, ImportForm, NeedForm, PostingForm
from .highlight import highlight
from .models import Achievement, Need, Status
from .search import query_terms
from .search_index import NEWEST_ORDER
from .selectors import (
    CachedCountPaginator,
    can_see_contact,
    live_counts,
    needs_with_last_reason,
    posting_live,
    posting_similar_cached,
    posting_visible_to,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type[Achievement] | type[Need]
    filterset: type[PostingFilterSet]
    form: type[PostingForm]
    title: str
    singular: str


KINDS = {
    "achievements": Kind(
        "achievements", Achievement, AchievementFilterSet, AchievementForm, gettext_lazy("Achievements"),
        gettext_lazy("achievement"),
    ),
    "needs": Kind("needs", Need, NeedFilterSet, NeedForm, gettext_lazy("Needs"), gettext_lazy("need")),
}  # fmt: skip


def _kind(slug: str) -> Kind:
    try:
        return KINDS[slug]
    except KeyError as error:
        raise Http404 from error


def _posting(request: HttpRequest, kind: Kind, pk: int) -> Achievement | Need:
    # One posting: its domains are read when shown (on a posting's page, in the part kept for every reader).
    visible = posting_visible_to(model=kind.model, user=request.user).prefetch_related(None)
    return get_object_or_404(visible, pk=pk)


@public_page
def home(request: HttpRequest) -> HttpResponse:
    def market() -> str:
        newest = {
            slug: posting_live(posting_visible_to(model=kind.model, user=AnonymousUser())).order_by(*NEWEST_ORDER)[:6]
            for slug, kind in KINDS.items()
        }
        context = {
            "newest": newest,
            "counts": live_counts(),  # cached briefly (marketplace.selectors)
            "top_domains": reference_cache.top_domains(),  # reference data, kept by the process (reference.cache)
            "clusters": reference_cache.clusters(),
        }
        return render_to_string("_home_market.html", context)

    # What is on the market reads the same for every reader: kept once for all (core.page_cache).
    return render(request, "home.html", {"market": public_fragment(request, "home-market", market)})


@public_page
def posting_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    params = request.GET.copy()
    params.pop("page", None)
    query = params.urlencode()  # the filters, for the pages' links and a saved search
    context: dict[str, object] = {"kind": spec, "query": query}
    if request.GET.get("status"):  # a member's own postings by status: theirs alone
        context.update(_list_parts(request, spec, posting_visible_to(model=spec.model, user=request.user), query))
    else:
        # What is on the market is public: the same rows for every reader, asked in the same SQL, and the heading,
        # the filters and the cards read the same for every reader: built once for all (core.page_cache).
        def build() -> dict[str, str]:
            live = posting_live(posting_visible_to(model=spec.model, user=AnonymousUser()))
            return _list_parts(request, spec, live, query)

        context.update(public_fragment(request, "posting-list", build))
    return render(request, "marketplace/posting_list.html", context)


def _list_parts(request: HttpRequest, spec: Kind, queryset: QuerySet[Any], query: str) -> dict[str, str]:
    """A list page's heading, filters and cards (what every reader of the same query sees alike)."""
    filterset = spec.filterset(request.GET or None, queryset=queryset, request=request)
    valid = filterset.is_bound and filterset.is_valid()
    results = filterset.qs if valid else queryset
    if not results.query.order_by:  # a search or a chosen sort orders the results; otherwise newest first
        results = results.order_by(*NEWEST_ORDER)  # the order an index serves (migration 0011)
    page = CachedCountPaginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    searched = (filterset.form.cleaned_data.get("q") or "").strip() if valid else ""
    if searched:
        _highlight(page, searched)
    context = {"kind": spec, "filter": filterset, "page": page, "query": query, "searched": bool(searched)}
    return {
        "heading_html": render_to_string("marketplace/_posting_list_heading.html", context),
        "filters_html": render_to_string("marketplace/_posting_filters.html", context),
        "results_html": render_to_string("marketplace/_posting_results.html", context),
    }


@public_page
def posting_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    return _detail(request, spec, _posting(request, spec, pk))


def _detail(
    request: HttpRequest, spec: Kind, posting: Achievement | Need, extend_form: ExtendDeadlineForm | None = None
) -> HttpResponse:
    can_edit = services.can_edit(request.user, posting)
    context = {
        "kind": spec,
        "posting": posting,
        "show_contact": can_see_contact(user=request.user, posting=posting),
        "can_edit": can_edit,
        "held_reason_text": services.hold_reason_text(posting.held_reason) if can_edit and posting.held_edit else "",
        "transitions": posting.transitions.select_related("by") if can_edit else [],
        "close_form": CloseForm(),
        "can_extend": can_edit and isinstance(posting, Need) and posting.extendable,
        "extend_form": extend_form or ExtendDeadlineForm(initial={"deadline": getattr(posting, "deadline", None)}),
    }  # fmt: skip

    def build() -> dict[str, str]:
        parts = {"kind": spec, "posting": posting, "similar": _similar(request, spec, posting)}
        return {
            "public_html": render_to_string("marketplace/_posting_public.html", parts),
            "similar_html": render_to_string("marketplace/_posting_similar.html", parts),
        }

    # A posting on the market reads the same for every reader but for the parts above (the owner's actions, the
    # contact, the matches): its text, facts and similar postings are built once for all (core.page_cache).
    on_market = posting.status == Status.PUBLISHED and request.method == "GET"
    context.update(public_fragment(request, "posting", build) if on_market else build())
    return render(request, "marketplace/posting_detail.html", context, status=400 if extend_form else 200)


@login_required
@require_POST
def need_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner moves a need's deadline (publishing it again when the deadline closed it)."""
    spec = KINDS["needs"]
    need = _posting(request, spec, pk)
    if not services.can_edit(request.user, need):
        raise Http404
    form = ExtendDeadlineForm(request.POST)
    if form.is_valid():
        was_published = need.status == Status.PUBLISHED
        try:
            need = services.need_extend_deadline(need=need, new_deadline=form.cleaned_data["deadline"], by=request.user)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            params = {"date": need.deadline.isoformat() if need.deadline else ""}
            if was_published:
                messages.success(request, _("The deadline is now %(date)s.") % params)
            else:
                messages.success(request, _("The deadline is now %(date)s; the need is published again.") % params)
            return redirect("marketplace:detail", kind="needs", pk=pk)
    return _detail(request, spec, need, extend_form=form)


def _highlight(page: Page, query: str) -> None:
    """Mark the words the query matched in the title and in a snippet of the body of each posting of the page."""
    tokens = set(query_terms(query))
    page.object_list = list(page.object_list)
    for posting in page.object_list:
        posting.search_highlight = highlight(title=posting.title, body=posting.body, tokens=tokens)


def _similar(request: HttpRequest, spec: Kind, posting: Achievement | Need) -> list[Achievement | Need]:
    """The postings of the same kind most like this one, among those on the market (what is on the market is public,
    so every reader sees the same list, which is cached)."""
    return posting_similar_cached(posting=posting)


def _organization_for(request: HttpRequest) -> Organization:
    membership = user_memberships(user=request.user).filter(pk=request.GET.get("membership") or None).first()
    membership = membership or user_memberships(user=request.user).order_by("-role", "created_at").first()
    if membership is None:
        raise ApplicationError(_("Join or register an organisation before posting."))
    return membership.organization


@login_required
def posting_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    try:
        organization = _organization_for(request)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:profile")
    form = spec.form(request.POST or None, initial={"location": organization.location_label, "language": "zh"})
    if request.method == "POST" and form.is_valid():
        try:
            province, city = place_from(form.cleaned_data)
            posting = services.posting_create(
                model=spec.model,
                organization=organization,
                by=request.user,
                domain_codes=[d.code for d in form.cleaned_data["domains"]],
                province=province,
                city=city,
                **form.service_fields(),
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Saved as a draft. Submit it when it is ready."))
            return redirect("marketplace:detail", kind=kind, pk=posting.pk)
    return render(request, "marketplace/posting_form.html", {"kind": spec, "form": form, "organization": organization})


@login_required
def posting_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    posting = _posting(request, spec, pk)
    if not services.can_edit(request.user, posting):
        raise Http404
    form = spec.form(request.POST or None, initial=spec.form.initial_from(posting))
    if request.method == "POST" and form.is_valid():
        try:
            province, city = place_from(form.cleaned_data)
            posting = services.posting_update(
                posting=posting,
                by=request.user,
                domain_codes=[d.code for d in form.cleaned_data["domains"]],
                province=province,
                city=city,
                **form.service_fields(),
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            if posting.held_edit:
                messages.info(
                    request,
                    _("Your changes wait for review by platform staff; the posting shows the earlier text until then. "
                      "%(reason)s") % {"reason": services.hold_reason_text(posting.held_reason)},
                )  # fmt: skip
            else:
                messages.success(request, _("Your changes were saved."))
            return redirect("marketplace:detail", kind=kind, pk=posting.pk)
    return render(
        request,
        "marketplace/posting_form.html",
        {"kind": spec, "form": form, "posting": posting, "organization": posting.organization},
    )


@login_required
@require_POST
def posting_action(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    spec = _kind(kind)
    posting = _posting(request, spec, pk)
    if not services.can_edit(request.user, posting):
        raise Http404
    try:
        if action == "submit":
            posting = services.posting_submit(posting=posting, by=request.user)
            text = (
                _("Published.") if posting.status == Status.PUBLISHED else _("Submitted; staff will review it shortly.")
            )
        elif action == "close":
            services.posting_close(posting=posting, by=request.user, reason=request.POST.get("reason", ""))
            text = _("Closed.")
        elif action == "reopen":
            services.posting_reopen(posting=posting, by=request.user)
            text = _("Back to draft.")
        else:
            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, text)
    return redirect("marketplace:detail", kind=kind, pk=pk)


@login_required
def my_organization(request: HttpRequest) -> HttpResponse:
    memberships = list(user_memberships(user=request.user))
    if not memberships:
        messages.info(request, _("You belong to no organisation yet."))
        return redirect("accounts:profile")
    chosen = next((m for m in memberships if str(m.organization_id) == request.GET.get("org")), memberships[0])
    organization = chosen.organization
    listed = {}
    for spec in KINDS.values():
        postings = spec.model.objects.filter(organization=organization).order_by("-updated_at")
        if spec.model is Need:
            postings = needs_with_last_reason(postings)
        listed[spec.slug] = list(postings)
    # What apps above marketplace add (the dashboard's match counts), in one call for the page (marketplace.hooks).
    hooks.annotate_postings(user=request.user, organization_ids=[organization.pk], postings_by_kind=listed)
    sections = []
    for spec in KINDS.values():
        postings = listed[spec.slug]
        by_status = [(status, label, [p for p in postings if p.status == status]) for status, label in Status.choices]
        sections.append((spec, [group for group in by_status if group[2]], len(postings)))
    return render(
        request,
        "marketplace/my_organization.html",
        {
            "organization": organization,
            "memberships": memberships,
            "sections": sections,
            "contact_form": OrganizationContactForm(instance=organization) if chosen.is_owner else None,
        },
    )


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """The file is recorded as a job and imported in the background; the job's page follows it."""
    try:
        organization = _organization_for(request)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("accounts:profile")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_jobs.import_job_create(
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
                organization=organization,
                dry_run=form.cleaned_data["dry_run"],
                by=request.user,
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            return redirect("marketplace:import-job", pk=job.pk)
    recent = import_jobs.import_jobs_visible_to(request.user).filter(organization=organization)[:10]
    return render(request, "marketplace/import.html", {"form": form, "organization": organization, "recent": recent})


@login_required
def import_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """How an import went, or how far it is (the page reloads itself while it runs)."""
    job = get_object_or_404(import_jobs.import_jobs_visible_to(request.user), pk=pk)
    context = {
        "job": job,
        "progress": import_jobs.job_progress(job),
        "errors": import_results.job_errors(job),
        "preview": import_results.job_preview(job),
        "preview_rows": import_jobs.PREVIEW_ROWS,
        "committable": import_jobs.import_job_committable(job, request.user),
        "commits": list(job.commits.all()[:1]),
    }
    return render(request, "marketplace/import_job.html", context)


@login_required
@require_POST
def import_job_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import, as it is, the file a dry run checked (its page's button); a job the user may not see is a 404."""
    job = get_object_or_404(import_jobs.import_jobs_visible_to(request.user), pk=pk)
    try:
        imported = import_jobs.import_job_commit(job_id=job.pk, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("marketplace:import-job", pk=job.pk)
    return redirect("marketplace:import-job", pk=imported.pk)


def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in importers.KINDS or fmt not in ("csv", "xlsx", "jsonl"):
        raise Http404
    return file_response(importers.template_file(kind=kind, fmt=fmt), f"{kind}-template.{fmt}")


@login_required
def export_own(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """An organisation's members export its postings, contacts included (they are their own)."""
    spec = _kind(kind)
    if fmt not in ("csv", "xlsx", "jsonl"):
        raise Http404
    try:
        organization = _organization_for(request)
    except ApplicationError as error:  # no organisation yet: said on the profile page, not a server error
        messages.info(request, error.message)
        return redirect("accounts:profile")
    queryset = spec.model.objects.filter(organization=organization).order_by("pk")
    data = importers.export_records(queryset, kind=kind, fmt=fmt, include_contacts=True)
    return file_response(data, f"{kind}.{fmt}")


@login_required
@require_POST
def submit_drafts(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    try:
        organization = _organization_for(request)
    except ApplicationError as error:  # no organisation yet: said on the profile page, not a server error
        messages.info(request, error.message)
        return redirect("accounts:profile")
    count = 0
    for posting in spec.model.objects.filter(organization=organization, status=Status.DRAFT):
        services.posting_submit(posting=posting, by=request.user)
        count += 1
    messages.success(request, _("%(count)d drafts submitted.") % {"count": count})
    return redirect("marketplace:my-organization")
