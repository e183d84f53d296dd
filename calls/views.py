"""Server-rendered pages of open calls: the list, a call with its needs (entering one of your needs, publishing and
closing for the organiser), a need of a call (proposing one of your achievements, the proposals and the engine's
suggestions for the reviewers), creating and editing a call, and the proposals page.

Reads start from ``calls.selectors`` (a call the user may not see is a 404 on every page, its needs and proposals
too); writes go through ``calls.services``, whose ``ApplicationError`` becomes a form error on the field it names (the
page shown again, status 400) or a message.

Who may do what (after the 404 for what the user may not see):

* the list, a call, a need of a call: anyone (a need's public fields only, never its contact);
* create a call: members of an organiser organisation (staff: for any organiser); edit a draft, publish, close,
  remove a need (saying why): the organiser's members and staff (others: 403);
* enter a need: members of its enterprise, while the call is open;
* propose: members of a university or research institute, while the call is open; withdraw: the proposer;
* the proposals of a need, shortlisting, declining, awarding, the suggestions and inviting: the need's enterprise,
  the organiser and staff; a proposer sees its own proposals only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import user_organization_ids
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.page_cache import public_page
from marketplace.models import Achievement, Need

from . import services
from .forms import CallForm, CallStatusForm, DecisionForm, EnterNeedForm, InviteForm, ProposalForm, RemoveEntryForm
from .models import Call, CallNeed, Invitation, Proposal
from .selectors import (
    call_entries,
    call_needs_visible_to,
    call_visible_to,
    calls_listed,
    enterable_needs,
    may_propose,
    organizer_choices,
    proposable_achievements,
    proposals_visible_to,
    suggested_achievements,
)

NEEDS_KIND = {"slug": "needs"}  # what marketplace/_posting_public.html reads of the kind


def _call(request: HttpRequest, pk: int) -> Call:
    return get_object_or_404(call_visible_to(request.user), pk=pk)


def _organizer_call(request: HttpRequest, pk: int) -> Call:
    """The call, for its organiser's members and staff only: 404 when hidden, 403 when visible but not theirs."""
    call = _call(request, pk)
    if not services.is_organizer(request.user, call):
        raise DjangoPermissionDenied
    return call


def _entry(request: HttpRequest, pk: int, need_id: int) -> CallNeed:
    return get_object_or_404(call_needs_visible_to(request.user), call_id=pk, need_id=need_id)


def _add_error(form: Any, error: ApplicationError) -> None:
    """The error on the field it names, or on the form when that field is not shown (the window's, the call's)."""
    if error.field in form.fields and not form.fields[error.field].widget.is_hidden:
        add_application_error(form, error)
    else:
        form.add_error(None, error.message)


@public_page
def call_list(request: HttpRequest) -> HttpResponse:
    context = {
        "calls": calls_listed(request.user),
        "can_create": request.user.is_authenticated and organizer_choices(request.user).exists(),
    }
    return render(request, "calls/call_list.html", context)


def _detail_context(request: HttpRequest, call: Call, enter_form: EnterNeedForm | None = None) -> dict[str, Any]:
    user = request.user
    organizer = request.user.is_authenticated and services.is_organizer(user, call)
    needs = enterable_needs(user, call)
    if enter_form is None and needs.exists():
        enter_form = EnterNeedForm(needs=needs)
    entries = call_entries(call=call, user=user)
    counts: dict[int, int] = {}
    if organizer:
        counts = dict(
            Proposal.objects.filter(call_need__call=call).values_list("call_need_id").annotate(n=Count("pk"))
        )
    for entry in entries:
        entry.proposal_count = counts.get(entry.pk, 0)  # type: ignore[attr-defined]
    mine = user_organization_ids(user=user) if user.is_authenticated else set()
    return {
        "call": call,
        "entries": entries,
        "is_organizer": organizer,
        "enter_form": enter_form,
        "own_organization_ids": mine,
        "domains": list(call.domains.all()),
        "provinces": list(call.provinces.all()),
    }


@public_page
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    return render(request, "calls/call_detail.html", _detail_context(request, call))


@login_required
def call_create(request: HttpRequest) -> HttpResponse:
    organizers = organizer_choices(request.user)
    if not organizers.exists():
        raise DjangoPermissionDenied
    form = CallForm(request.POST or None, organizers=organizers)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(
                organizer=form.cleaned_data["organizer"], by=request.user, **form.service_fields()
            )
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Saved as a draft: publish it from its page when it is ready."))
            return redirect("calls:detail", pk=call.pk)
    return render(request, "calls/call_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _organizer_call(request, pk)
    if call.status != Call.Status.DRAFT:
        messages.error(request, _("Only a draft call is edited."))
        return redirect("calls:detail", pk=call.pk)
    form = CallForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            services.call_update(call=call, by=request.user, **form.service_fields())
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("calls:detail", pk=call.pk)
    context = {"form": form, "call": call}
    return render(request, "calls/call_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def call_status(request: HttpRequest, pk: int) -> HttpResponse:
    call = _organizer_call(request, pk)
    form = CallStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
        return redirect("calls:detail", pk=call.pk)
    try:
        call = services.call_set_status(call=call, by=request.user, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The call is now %(status)s.") % {"status": call.get_status_display()})
    return redirect("calls:detail", pk=call.pk)


@login_required
@require_POST
def call_enter(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    # Any need of the user's organisations: the service says why one does not fit.
    needs = Need.objects.filter(organization_id__in=user_organization_ids(user=request.user))
    form = EnterNeedForm(request.POST, needs=needs.select_related("organization"))
    if form.is_valid():
        try:
            services.call_need_enter(call=call, need=form.cleaned_data["need"], by=request.user)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Your need is entered in the call."))
            return redirect("calls:detail", pk=call.pk)
    return render(request, "calls/call_detail.html", _detail_context(request, call, form), status=400)


def _need_context(
    request: HttpRequest, entry: CallNeed, *, proposal_form: ProposalForm | None = None,
    remove_form: RemoveEntryForm | None = None,
) -> dict[str, Any]:  # fmt: skip
    user = request.user
    call = entry.call
    reviewer = services.may_review(user, entry)
    organizer = user.is_authenticated and services.is_organizer(user, call)
    achievements = proposable_achievements(user, entry)
    if proposal_form is None and call.collecting and achievements.exists():
        proposal_form = ProposalForm(achievements=achievements)
    mine = user_organization_ids(user=user) if user.is_authenticated else set()
    invitations = (
        Invitation.objects.filter(call_need=entry, achievement__organization_id__in=mine)
        .select_related("achievement")
        if mine else []
    )  # fmt: skip
    return {
        "call": call,
        "entry": entry,
        "need": entry.need,
        "kind": NEEDS_KIND,
        "reviewer": reviewer,
        "is_organizer": organizer,
        "proposals": proposals_visible_to(user).filter(call_need=entry).order_by("-submitted_at", "-pk"),
        "proposal_form": proposal_form if call.collecting else None,
        "proposer": may_propose(user),
        "suggestions": suggested_achievements(entry) if reviewer else [],
        "invitations": invitations,
        # A need with proposals stays in the call (its proposals are declined instead): no form to remove it.
        "remove_form": remove_form or (RemoveEntryForm() if organizer and not entry.proposals.exists() else None),
        "own_organization_ids": mine,
    }


@public_page
def call_need_detail(request: HttpRequest, pk: int, need_id: int) -> HttpResponse:
    entry = _entry(request, pk, need_id)
    return render(request, "calls/call_need.html", _need_context(request, entry))


@login_required
@require_POST
def proposal_submit(request: HttpRequest, pk: int, need_id: int) -> HttpResponse:
    entry = _entry(request, pk, need_id)
    # Any achievement of the user's organisations: the service says why one may not be proposed.
    achievements = Achievement.objects.filter(
        organization_id__in=user_organization_ids(user=request.user)
    ).select_related("organization")
    form = ProposalForm(request.POST, achievements=achievements)
    if form.is_valid():
        try:
            services.proposal_submit(call_need=entry, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("Your proposal is submitted: the enterprise and the organiser review it."))
            return redirect("calls:need", pk=pk, need_id=need_id)
    context = _need_context(request, entry, proposal_form=form)
    context["proposal_form"] = form  # the errors are shown even when the refusal was that the window closed
    return render(request, "calls/call_need.html", context, status=400)


@login_required
@require_POST
def call_need_remove(request: HttpRequest, pk: int, need_id: int) -> HttpResponse:
    entry = _entry(request, pk, need_id)
    if not services.is_organizer(request.user, entry.call):
        raise DjangoPermissionDenied
    form = RemoveEntryForm(request.POST)
    if form.is_valid():
        try:
            services.call_need_remove(call_need=entry, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("The need is removed from the call; its enterprise is told why."))
            return redirect("calls:detail", pk=pk)
    return render(request, "calls/call_need.html", _need_context(request, entry, remove_form=form), status=400)


@login_required
@require_POST
def invite(request: HttpRequest, pk: int, need_id: int) -> HttpResponse:
    entry = _entry(request, pk, need_id)
    if not services.may_review(request.user, entry):
        raise DjangoPermissionDenied
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an achievement to invite."))
        return redirect("calls:need", pk=pk, need_id=need_id)
    try:
        invitation = services.invitation_create(
            call_need=entry, achievement=form.cleaned_data["achievement"], by=request.user
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(organization)s is invited to propose.") % {"organization": invitation.achievement.organization.name},
        )
    return redirect("calls:need", pk=pk, need_id=need_id)


def _proposal(request: HttpRequest, pk: int) -> Proposal:
    return get_object_or_404(proposals_visible_to(request.user), pk=pk)


def _back(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    entry = proposal.call_need
    return redirect("calls:need", pk=entry.call_id, need_id=entry.need_id)


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    if not services.may_review(request.user, proposal.call_need):
        raise DjangoPermissionDenied
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Shortlist, decline or award the proposal."))
        return _back(request, proposal)
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
    try:
        if decision == "shortlist":
            services.proposal_shortlist(proposal=proposal, by=request.user, note=note)
            messages.success(request, _("The proposal is shortlisted."))
        elif decision == "decline":
            services.proposal_decline(proposal=proposal, by=request.user, reason=note)
            messages.success(request, _("The proposal is declined; the proposer is told why."))
        else:
            services.proposal_award(proposal=proposal, by=request.user, note=note)
            messages.success(request, _("The proposal is awarded: the agreement is recorded on the match."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return _back(request, proposal)


@login_required
@require_POST
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    try:
        services.proposal_withdraw(proposal=proposal, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your proposal is withdrawn."))
    return _back(request, proposal)


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    """The user's organisations' proposals, and those they review (for their needs and their calls)."""
    mine = user_organization_ids(user=request.user)
    proposals = proposals_visible_to(request.user).order_by("-submitted_at", "-pk")[:500]
    own = [proposal for proposal in proposals if proposal.organization_id in mine]
    review = [proposal for proposal in proposals if proposal.organization_id not in mine]
    context = {"own": own, "review": review, "proposer": may_propose(request.user)}
    return render(request, "calls/proposals.html", context)
