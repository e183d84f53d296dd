"""Every write of conversations: opening a match's thread, enquiring about a posting, posting a message, agreement
proposals and their answers, read markers, and staff's moderation (approving or rejecting an enquiry, hiding a
message). Views, the API and admin actions call these and nothing else.

Decisions:

* A match's thread opens only once both sides accepted (in contact or deal): before that neither side knows who the
  other is. It is opened on demand by either side (or staff), one per match.
* An enquiry is one thread per (enquiring organisation, posting); a second enquiry about the same posting is a new
  message in it. It is held for staff when ``moderation.enquiry_hold_reason`` says so, and the enquirer may add
  nothing until staff approve it; the owner is told only when it opens. Enquiries are limited per user per day.
* Messages are plain text (rendered escaped, links as text), at most ``MESSAGE_MAX`` characters, and limited per
  user per minute and per day (``CONVERSATIONS_MESSAGES_PER_MINUTE`` / ``_PER_DAY``).
* The other side's members are mailed about a new message after the transaction commits, at most once per thread
  and recipient every ``CONVERSATIONS_MAIL_INTERVAL_MINUTES`` while they have not read it: a notice after which the
  recipient opened the thread does not hold back the next one. The mail carries a link, not the message.
* An agreement proposal (a match's thread only) is accepted by the other side, which records the agreement through
  ``matching.services.agreement_record`` (the match becomes a deal); the other side may decline it and the
  proposing organisation withdraw it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import is_member, staff_may, user_memberships
from core.exceptions import ApplicationError, PermissionDenied
from core.site import absolute_url
from core.tasks import mail_on_commit
from marketplace.models import Achievement, Need, Status
from matching.models import Match
from matching.selectors import CONTACT_STATUSES
from matching.services import acts_as_broker, agreement_record, agreement_terms_check, match_side

from .models import MESSAGE_MAX, SUBJECT_MAX, Message, ReadMarker, Thread
from .moderation import enquiry_hold_reason, limit
from .selectors import VIEW_PERMISSION, enquiries_started_since, messages_sent_since

MODERATE_PERMISSION = "conversations.change_thread"
HIDE_PERMISSION = "conversations.change_message"


# --- Who acts for which party ------------------------------------------------------------------------------------


def thread_party(*, user: User, thread: Thread) -> Organization | None:
    """The party of the thread the user acts for (None for outsiders and staff acting for neither). The owner of a
    held enquiry is no party yet."""
    if not user.is_authenticated:
        return None
    if is_member(user, thread.first_party_id):
        return thread.first_party
    if thread.state == Thread.State.OPEN and is_member(user, thread.second_party_id):
        return thread.second_party
    return None


def _acting_party(user: User, thread: Thread) -> Organization:
    party = thread_party(user=user, thread=thread)
    if party is None:
        raise PermissionDenied(_("Only the two organisations write in a conversation."))
    return party


def _other_party(thread: Thread, party: Organization) -> Organization:
    return thread.second_party if party.pk == thread.first_party_id else thread.first_party


def _check_writable(thread: Thread) -> None:
    if thread.state == Thread.State.HELD:
        raise ApplicationError(_("This enquiry is waiting for review by platform staff."), field="thread")
    if thread.state == Thread.State.REJECTED:
        raise ApplicationError(_("Platform staff did not pass this enquiry."), field="thread")
    if thread.kind == Thread.Kind.MATCH and thread.match.status not in CONTACT_STATUSES:
        raise ApplicationError(_("This match is no longer in contact."), field="thread")


def _clean_body(body: str, *, required: bool = True) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if required and not body:
        raise ApplicationError(_("Write a message."), field="body")
    if len(body) > MESSAGE_MAX:
        raise ApplicationError(
            _("A message has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": MESSAGE_MAX, "count": len(body)},
            field="body",
        )
    return body


def _check_rate(user: User) -> None:
    per_minute = limit("CONVERSATIONS_MESSAGES_PER_MINUTE")
    if messages_sent_since(user=user, seconds=60) >= per_minute:
        raise ApplicationError(
            _("You may send at most %(limit)d messages a minute; wait a moment and send it again.")
            % {"limit": per_minute},
            field="body",
            code="throttled",
        )
    per_day = limit("CONVERSATIONS_MESSAGES_PER_DAY")
    if messages_sent_since(user=user, seconds=86_400) >= per_day:
        raise ApplicationError(
            _("You may send at most %(limit)d messages a day; try again tomorrow.") % {"limit": per_day},
            field="body",
            code="throttled",
        )


# --- Opening threads ---------------------------------------------------------------------------------------------


def _match_subject(match: Match) -> str:
    return f"{match.need.title} ⇄ {match.achievement.title}"[:SUBJECT_MAX]


@transaction.atomic
def match_thread_open(*, match: Match, by: User) -> Thread:
    """The match's thread, opened on first use: by either side or staff, once both sides accepted."""
    match = Match.objects.select_related("achievement__organization", "need__organization").get(pk=match.pk)
    side = match_side(user=by, match=match)
    if (side is None or acts_as_broker(user=by, match=match, side=side)) and not staff_may(by, VIEW_PERMISSION):
        raise PermissionDenied(_("Only the two organisations of a match write to each other."))
    if match.status not in CONTACT_STATUSES:
        raise ApplicationError(_("A conversation opens once both sides have accepted the match."), field="match")
    existing = Thread.objects.filter(match=match).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Thread.objects.create(
                kind=Thread.Kind.MATCH, match=match, first_party=match.achievement.organization,
                second_party=match.need.organization, subject=_match_subject(match), created_by=by,
            )  # fmt: skip
    except IntegrityError:  # opened by the other side at the same moment
        return Thread.objects.get(match=match)


def _enquiring_organization(user: User, posting: Achievement | Need) -> Organization:
    for membership in user_memberships(user=user).order_by("-role", "created_at"):
        if membership.organization_id != posting.organization_id:
            return membership.organization
    if user_memberships(user=user).exists():
        raise ApplicationError(_("This is your own organisation's posting."), field="posting")
    raise PermissionDenied(_("Join an organisation to write to a posting's owner."))


@transaction.atomic
def enquiry_send(*, posting: Achievement | Need, by: User, body: str) -> Thread:
    """A member of another organisation writes to a published posting's owner (see the module's docstring)."""
    posting = type(posting).objects.select_related("organization").get(pk=posting.pk)
    organization = _enquiring_organization(by, posting)
    if posting.status != Status.PUBLISHED or getattr(posting, "is_expired", False):
        raise ApplicationError(_("Only a published posting takes enquiries."), field="posting")
    body = _clean_body(body)
    field = "achievement" if isinstance(posting, Achievement) else "need"
    thread = (
        Thread.objects.select_for_update()
        .filter(kind=Thread.Kind.ENQUIRY, first_party=organization, **{field: posting})
        .first()
    )
    if thread is not None:
        message_post(thread=thread, by=by, body=body)
        return thread
    per_day = limit("CONVERSATIONS_ENQUIRIES_PER_DAY")
    if enquiries_started_since(user=by, seconds=86_400) >= per_day:
        raise ApplicationError(
            _("You may send at most %(limit)d enquiries a day; try again tomorrow.") % {"limit": per_day},
            field="body",
            code="throttled",
        )
    _check_rate(by)
    reason = enquiry_hold_reason(organization=organization, text=body)
    thread = Thread.objects.create(
        kind=Thread.Kind.ENQUIRY, state=Thread.State.HELD if reason else Thread.State.OPEN, first_party=organization,
        second_party=posting.organization, subject=posting.title[:SUBJECT_MAX], held_reason=reason[:200],
        created_by=by, **{field: posting},
    )  # fmt: skip
    _add_message(thread, by=by, organization=organization, body=body)
    return thread


# --- Messages ----------------------------------------------------------------------------------------------------


def _add_message(thread: Thread, *, by: User, organization: Organization, **fields: object) -> Message:
    message = Message.objects.create(thread=thread, author=by, organization=organization, **fields)
    thread.last_message_at = message.created_at
    thread.save(update_fields=["last_message_at"])
    _advance_marker(thread, by, message.pk)
    _notify(thread, message)
    return message


@transaction.atomic
def message_post(*, thread: Thread, by: User, body: str) -> Message:
    """A member of either party writes in an open thread."""
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("match", "first_party", "second_party")
        .get(pk=thread.pk)
    )
    party = _acting_party(by, thread)
    _check_writable(thread)
    body = _clean_body(body)
    _check_rate(by)
    return _add_message(thread, by=by, organization=party, body=body)


def _advance_marker(thread: Thread, user: User, message_id: int) -> None:
    marker, _created = ReadMarker.objects.get_or_create(thread=thread, user=user)
    if marker.last_read_id < message_id:
        marker.last_read_id, marker.last_read_at = message_id, timezone.now()
        marker.save(update_fields=["last_read_id", "last_read_at"])


@transaction.atomic
def thread_mark_read(*, thread: Thread, user: User, up_to: int | None = None) -> None:
    """The party member has read the thread to its end (or to message ``up_to``). Staff acting for neither party
    mark nothing."""
    if thread_party(user=user, thread=thread) is None:
        return
    messages = thread.messages.filter(pk__lte=up_to) if up_to is not None else thread.messages.all()
    last = messages.order_by("-pk").values_list("pk", flat=True).first()
    if last is not None:
        _advance_marker(thread, user, last)


def _notify(thread: Thread, message: Message) -> None:
    """Mail the other party's members about the message, throttled per thread and recipient (module docstring)."""
    if thread.state != Thread.State.OPEN:
        return
    other = _other_party(thread, message.organization)
    now = timezone.now()
    quiet = now - timedelta(minutes=limit("CONVERSATIONS_MAIL_INTERVAL_MINUTES"))
    path = reverse("conversations:thread", args=[thread.pk])
    for user in User.objects.filter(memberships__organization=other, is_active=True).exclude(pk=message.author_id):
        marker, _created = ReadMarker.objects.get_or_create(thread=thread, user=user)
        read_since = (
            marker.last_read_at is not None
            and marker.notified_at is not None
            and (marker.last_read_at >= marker.notified_at)
        )
        if marker.notified_at is not None and marker.notified_at > quiet and not read_since:
            continue
        marker.notified_at = now
        marker.save(update_fields=["notified_at"])
        with translation.override(user.language or settings.LANGUAGE_CODE):  # in the recipient's language
            mail_on_commit(
                subject=_("New message: %(subject)s") % {"subject": thread.subject},
                body=_("%(organization)s wrote to you.") % {"organization": message.organization.name}
                + f"\n\n{absolute_url(path)}",
                recipients=[user.email],
            )


def _notify_owner_of_enquiry(thread: Thread) -> None:
    last = thread.messages.order_by("-pk").first()
    if last is not None:
        _notify(thread, last)


# --- Agreement proposals -----------------------------------------------------------------------------------------


@transaction.atomic
def proposal_create(
    *,
    thread: Thread,
    by: User,
    mode: str,
    signed_on: date,
    amount_wan: Decimal | None = None,
    note: str = "",
) -> Message:
    """One side proposes the terms of an agreement in a match's thread; the other side answers."""
    thread = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("match", "first_party", "second_party")
        .get(pk=thread.pk)
    )
    party = _acting_party(by, thread)
    if thread.kind != Thread.Kind.MATCH:
        raise ApplicationError(_("Agreements are proposed in a match's conversation."), field="thread")
    _check_writable(thread)
    agreement_terms_check(mode=mode, amount_wan=amount_wan, signed_on=signed_on)
    note = _clean_body(note, required=False)
    _check_rate(by)
    return _add_message(
        thread, by=by, organization=party, body=note, kind=Message.Kind.PROPOSAL, mode=mode, amount_wan=amount_wan,
        signed_on=signed_on, proposal_state=Message.ProposalState.PROPOSED,
    )  # fmt: skip


def _open_proposal(message: Message, by: User) -> tuple[Message, Organization]:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("thread__match", "organization")
        .get(pk=message.pk)
    )
    if message.kind != Message.Kind.PROPOSAL:
        raise ApplicationError(_("This message is not an agreement proposal."), field="message")
    party = _acting_party(by, message.thread)
    if message.proposal_state != Message.ProposalState.PROPOSED:
        raise ApplicationError(
            _("This proposal was already %(state)s.") % {"state": message.get_proposal_state_display()},
            field="message",
        )
    return message, party


def _answer(message: Message, by: User, state: str, note: str = "") -> Message:
    message.proposal_state, message.answered_by, message.answered_at = state, by, timezone.now()
    message.answer_note = (note or "").strip()[:2000]
    message.save(update_fields=["proposal_state", "answered_by", "answered_at", "answer_note", "agreement"])
    return message


@transaction.atomic
def proposal_accept(*, message: Message, by: User) -> Message:
    """The other side accepts the proposal: the agreement is recorded on the match, which becomes a deal."""
    message, party = _open_proposal(message, by)
    if party.pk == message.organization_id:
        raise PermissionDenied(_("The other side answers a proposal."))
    _check_writable(message.thread)
    message.agreement = agreement_record(
        match=message.thread.match, by=by, mode=message.mode, signed_on=message.signed_on,
        amount_wan=message.amount_wan, note=message.body[:2000],
    )  # fmt: skip
    return _answer(message, by, Message.ProposalState.ACCEPTED)


@transaction.atomic
def proposal_decline(*, message: Message, by: User, note: str = "") -> Message:
    message, party = _open_proposal(message, by)
    if party.pk == message.organization_id:
        raise PermissionDenied(_("The other side answers a proposal."))
    return _answer(message, by, Message.ProposalState.DECLINED, note)


@transaction.atomic
def proposal_withdraw(*, message: Message, by: User) -> Message:
    message, party = _open_proposal(message, by)
    if party.pk != message.organization_id:
        raise PermissionDenied(_("Only the proposing organisation withdraws a proposal."))
    return _answer(message, by, Message.ProposalState.WITHDRAWN)


# --- Staff -------------------------------------------------------------------------------------------------------


@transaction.atomic
def enquiry_approve(*, thread: Thread, by: User) -> Thread:
    """Staff pass a held enquiry: the owner sees it and is told."""
    if not staff_may(by, MODERATE_PERMISSION):
        raise PermissionDenied(_("Only platform staff review enquiries."))
    thread = (
        Thread.objects.select_for_update(of=("self",)).select_related("first_party", "second_party").get(pk=thread.pk)
    )
    if thread.state != Thread.State.HELD:
        raise ApplicationError(_("This enquiry is not waiting for review."), field="state")
    thread.state, thread.reviewed_by, thread.reviewed_at = Thread.State.OPEN, by, timezone.now()
    thread.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    _notify_owner_of_enquiry(thread)
    return thread


@transaction.atomic
def enquiry_reject(*, thread: Thread, by: User) -> Thread:
    """Staff stop a held enquiry: the owner never sees it; the enquirer sees it was not passed."""
    if not staff_may(by, MODERATE_PERMISSION):
        raise PermissionDenied(_("Only platform staff review enquiries."))
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.state != Thread.State.HELD:
        raise ApplicationError(_("This enquiry is not waiting for review."), field="state")
    thread.state, thread.reviewed_by, thread.reviewed_at = Thread.State.REJECTED, by, timezone.now()
    thread.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return thread


@transaction.atomic
def message_hide(*, message: Message, by: User, reason: str = "") -> Message:
    """Staff hide a message (a dispute, abuse): the parties see that it was hidden, not what it said."""
    if not staff_may(by, HIDE_PERMISSION):
        raise PermissionDenied(_("Only platform staff hide messages."))
    message = Message.objects.select_for_update().get(pk=message.pk)
    message.hidden, message.hidden_by, message.hidden_at = True, by, timezone.now()
    message.hidden_reason = reason.strip()[:200]
    message.save(update_fields=["hidden", "hidden_by", "hidden_at", "hidden_reason"])
    return message
