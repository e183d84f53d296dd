"""Pages of conversations: the inbox, a thread (read, write, propose and answer agreements), opening a match's
thread, and the enquiry form of a posting.

Every page starts from a scoping function (``thread_visible_to``, ``match_visible_to``, ``posting_visible_to``): what
the user may not see is a 404. Writes go through ``conversations.services``. Messages are rendered escaped with line
breaks (``linebreaksbr``), never ``urlize``: a link in a message stays text.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import staff_may
from core.exceptions import ApplicationError
from core.forms import add_application_error
from marketplace.models import Achievement, Need
from marketplace.selectors import posting_live, posting_visible_to
from matching.selectors import match_visible_to

from . import services
from .forms import EnquiryForm, MessageForm, ProposalForm
from .models import Message, Thread
from .selectors import inbox as inbox_threads
from .selectors import thread_messages, thread_visible_to

PAGE_SIZE = 20
MODELS = {"achievements": Achievement, "needs": Need}


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_threads(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "conversations/inbox.html",
        {"page": page, "is_staff": staff_may(request.user, "conversations.view_thread")},
    )


def _thread(request: HttpRequest, pk: int) -> Thread:
    return get_object_or_404(thread_visible_to(user=request.user), pk=pk)


def _render_thread(
    request: HttpRequest,
    thread: Thread,
    *,
    form: MessageForm | None = None,
    proposal_form: ProposalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    party = services.thread_party(user=request.user, thread=thread)
    rows = list(thread_messages(thread=thread))
    services.thread_mark_read(thread=thread, user=request.user)
    open_for_writing = thread.state == Thread.State.OPEN and (
        thread.kind != Thread.Kind.MATCH or thread.match.status in ("in_contact", "deal")
    )
    context = {
        "thread": thread,
        "party": party,
        "other": None
        if party is None
        else (thread.second_party if party == thread.first_party else thread.first_party),
        "rows": [
            {
                "message": message,
                "ours": party is not None and message.organization_id == party.pk,
                "can_answer": party is not None
                and message.kind == Message.Kind.PROPOSAL
                and message.proposal_state == Message.ProposalState.PROPOSED
                and message.organization_id != party.pk,
                "can_withdraw": party is not None
                and message.kind == Message.Kind.PROPOSAL
                and message.proposal_state == Message.ProposalState.PROPOSED
                and message.organization_id == party.pk,
            }
            for message in rows
        ],
        "can_write": party is not None and open_for_writing,
        "can_propose": party is not None and open_for_writing and thread.kind == Thread.Kind.MATCH,
        "staff_reader": party is None,
        "form": form or MessageForm(),
        "proposal_form": proposal_form or ProposalForm(initial={"signed_on": timezone.localdate()}),
    }
    return render(request, "conversations/thread.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    if request.method != "POST":
        return _render_thread(request, thread)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_post(thread=thread, by=request.user, body=form.cleaned_data["body"])
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            return redirect("conversations:thread", pk=thread.pk)
    return _render_thread(request, thread, form=form, status=400)


@login_required
@require_POST
def proposal_create(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_create(thread=thread, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Your proposal is sent; the other side will answer it here."))
            return redirect("conversations:thread", pk=thread.pk)
    return _render_thread(request, thread, proposal_form=form, status=400)


@login_required
@require_POST
def proposal_answer(request: HttpRequest, pk: int, message_pk: int, answer: str) -> HttpResponse:
    thread = _thread(request, pk)
    message = get_object_or_404(thread.messages.filter(kind=Message.Kind.PROPOSAL), pk=message_pk)
    service = {
        "accept": services.proposal_accept,
        "decline": services.proposal_decline,
        "withdraw": services.proposal_withdraw,
    }[answer]
    try:
        service(message=message, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        done = {
            "accept": _("Accepted: the agreement is recorded and the match is a deal."),
            "decline": _("Declined: the other side sees your answer."),
            "withdraw": _("Your proposal is withdrawn."),
        }[answer]
        messages.success(request, done)
    return redirect("conversations:thread", pk=thread.pk)


@login_required
def match_thread(request: HttpRequest, match_pk: int) -> HttpResponse:
    """The match's thread, opened on first visit once both sides accepted."""
    match = get_object_or_404(match_visible_to(user=request.user), pk=match_pk)
    try:
        thread = services.match_thread_open(match=match, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("matching:detail", pk=match.pk)
    return redirect("conversations:thread", pk=thread.pk)


@login_required
@require_http_methods(["GET", "POST"])
def enquire(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = MODELS[kind]
    posting = get_object_or_404(posting_live(posting_visible_to(model=model, user=request.user)), pk=pk)
    form = EnquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.enquiry_send(posting=posting, by=request.user, body=form.cleaned_data["body"])
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            if thread.state == Thread.State.HELD:
                messages.info(
                    request, _("Your enquiry is sent to platform staff for review; the owner sees it once passed.")
                )
            else:
                messages.success(request, _("Your enquiry is sent to the owner."))
            return redirect("conversations:thread", pk=thread.pk)
    return render(
        request,
        "conversations/enquire.html",
        {"posting": posting, "kind": kind, "form": form},
        status=400 if request.method == "POST" else 200,
    )
