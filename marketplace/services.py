"""Writes with rules for achievements and needs: create, edit, and every change of status.

``posting_transition`` is the one function that moves a posting through its life cycle; the named helpers
(``posting_submit``, ``posting_approve`` ...) say who may do what and call it.

Deadlines: ``need_expire_overdue`` (run daily by ``marketplace.tasks``) closes the needs past their deadline and sends
``signals.need_expired`` in the same transaction (the matching app withdraws their open suggestions on it);
``need_extend_deadline`` moves a need's deadline, and publishes again a need the deadline closed, the one move out of
"closed" that skips the draft (the posting was approved before and only its date lapsed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may
from accounts.services import organization_notify
from core.audit import Kind as AuditKind
from core.audit import audit_record
from core.contact_details import contact_details_in, contact_labels
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from core.i18n import message
from reference.models import Domain

from .models import Achievement, Need, PostingTransition, Status
from .search import search_document_for
from .search_index import index_posting
from .selectors import needs_expired
from .signals import need_expired, posting_published

P = TypeVar("P", Achievement, Need)
Posting = Achievement | Need

# Which moves the life cycle allows: from -> {to}.
ALLOWED_MOVES: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED, Status.PUBLISHED, Status.CLOSED},
    Status.SUBMITTED: {Status.PUBLISHED, Status.REJECTED, Status.DRAFT, Status.CLOSED},
    Status.REJECTED: {Status.DRAFT, Status.SUBMITTED, Status.CLOSED},
    Status.PUBLISHED: {Status.CLOSED},
    Status.CLOSED: {Status.DRAFT},
}

# Callbacks run on commit when a posting is published (the matching app registers its task here), by their
# qualified name: an app's ``ready`` run again (the app registry repopulated, as ``override_settings(INSTALLED_APPS)``
# does) replaces its callbacks instead of adding a second of each, which would match every publication twice.
_on_publish: dict[str, Callable[[Posting], None]] = {}
# Callbacks run once on commit with every posting one transaction published (a bulk import or a bulk approval is one
# batch): the matching app matches a batch in one run.
_on_publish_many: dict[str, Callable[[list[Posting]], None]] = {}


def _name(callback: Callable[..., None]) -> str:
    return f"{getattr(callback, '__module__', '')}.{getattr(callback, '__qualname__', repr(callback))}"


def on_publish(callback: Callable[[Posting], None]) -> Callable[[Posting], None]:
    """Register a function run after the transaction that published a posting commits."""
    _on_publish[_name(callback)] = callback
    return callback


def on_publish_many(callback: Callable[[list[Posting]], None]) -> Callable[[list[Posting]], None]:
    """Register a function run once after a transaction that published postings commits, with all of them."""
    _on_publish_many[_name(callback)] = callback
    return callback


class _Published(list):
    """The postings one transaction published, run once after it commits: the per-posting callbacks, then the batch
    ones, for those still published then."""

    def __call__(self) -> None:
        published = []
        for model in (Achievement, Need):
            mine = [p for p in self if isinstance(p, model)]
            if mine:
                rows = model.objects.filter(pk__in=[p.pk for p in mine], status=Status.PUBLISHED)
                still = set(rows.values_list("pk", flat=True))
                published += [p for p in mine if p.pk in still]
        for posting in published:
            for callback in _on_publish.values():
                callback(posting)
        if published:
            for many in _on_publish_many.values():
                many(published)


def _published_on_commit(posting: Posting) -> None:
    """Add the posting to the batch its transaction is building, or start one."""
    published_many_on_commit([posting])


def published_many_on_commit(postings: list[Posting]) -> None:
    """Add the postings to the batch their transaction is building, or start one. The batch is registered again at
    the end of the commit callbacks (its earlier entry left empty), with the savepoints it was first registered in:
    one of them rolling back takes the batch with it, and the next publication starts another."""
    connection = transaction.get_connection()
    waiting = connection.run_on_commit
    for sids, callback, robust in reversed(waiting):
        if isinstance(callback, _Published) and callback:
            batch = _Published([*callback, *postings])
            callback.clear()
            waiting.append((sids, batch, robust))
            return
    transaction.on_commit(_Published(postings))


def _permission(action: str, model: Any) -> str:
    """The Django permission admin asks for this act on this kind of posting (``marketplace.change_need``)."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def can_edit(user: User, posting: Posting) -> bool:
    return acts_for(user, posting.organization_id, permission=_permission("change", posting))


def _validate(posting: Posting) -> None:
    model_validate(posting, exclude=["organization", "created_by"])
    if posting.external_ref:
        taken = type(posting).objects.filter(organization_id=posting.organization_id, external_ref=posting.external_ref)
        if taken.exclude(pk=posting.pk).exists():
            raise ApplicationError(
                _('The organisation already has a posting with the reference "%(ref)s".')
                % {"ref": posting.external_ref},
                field="external_ref",
            )


def _check_domains(codes: list[str]) -> None:
    known = set(Domain.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ApplicationError(_("Unknown domain code(s): %(codes)s.") % {"codes": ", ".join(unknown)}, field="domains")


def _save(posting: P, domain_codes: Iterable[str] | None) -> P:
    codes = sorted(set(domain_codes)) if domain_codes is not None else None
    if codes is not None:
        _check_domains(codes)
    if codes is None:
        codes = list(posting.domains.values_list("code", flat=True)) if posting.pk else []
    posting.search_document = _document(posting, codes)
    posting.save()
    posting.domains.set(codes)
    index_posting(posting)
    return posting


def _document(posting: Posting, domain_codes: list[str]) -> str:
    return search_document_for(
        title=posting.title, body=posting.body, keywords=posting.keywords, domain_codes=domain_codes
    )


def posting_reindex(*, posting: Posting) -> None:
    """Rebuild a posting's search documents from its saved fields (after an edit made outside the services)."""
    codes = list(posting.domains.values_list("code", flat=True))
    type(posting).objects.filter(pk=posting.pk).update(search_document=_document(posting, codes))
    index_posting(posting)


@transaction.atomic
def posting_create(
    *, model: type[P], organization: Organization, by: User | None, domain_codes: Iterable[str] = (), **fields: Any
) -> P:
    """Create a draft posting for the organisation. ``by`` must be a member (or staff, or None for imports)."""
    if by is not None and not acts_for(by, organization.pk, permission=_permission("add", model)):
        raise PermissionDenied(_("Only members of the organisation post for it."))
    posting = model(organization=organization, created_by=by, status=Status.DRAFT, **fields)
    _validate(posting)
    posting = _save(posting, list(domain_codes))
    PostingTransition.objects.create(**{_kind(posting): posting}, from_status="", to_status=Status.DRAFT, by=by)
    _audit_transition(posting, before="", by=by, reason="")
    return posting


@transaction.atomic
def posting_update(*, posting: P, by: User | None, domain_codes: Iterable[str] | None = None, **fields: Any) -> P:
    """Edit a posting's fields. A published posting that is edited stays published (its text is re-indexed), unless
    the edit is held for review (``edit_hold_reason``): then its public values stay as they were, the new ones wait
    in ``held_edit`` for staff (``posting_edit_approve`` / ``posting_edit_reject``), and the owner is told."""
    if by is not None and not can_edit(by, posting):
        raise PermissionDenied(_("Only members of the organisation edit its postings."))
    posting = type(posting).objects.select_for_update().get(pk=posting.pk)
    edited = type(posting).objects.get(pk=posting.pk)
    for name, value in fields.items():
        setattr(edited, name, value)
    _validate(edited)
    if domain_codes is not None:
        _check_domains(list(domain_codes))
    reason = edit_hold_reason(posting=posting, edited=edited, by=by)
    if reason:
        return posting_edit_hold(posting, fields=fields, domain_codes=domain_codes, reason=reason, by=by)
    return _save(edited, domain_codes if domain_codes is None else list(domain_codes))


# --- Edits held for review --------------------------------------------------------------------------------------

HOLD_UNVERIFIED = "unverified"
HOLD_CONTACT = "contact"  # followed by ":" and the kinds found, e.g. "contact:phone,wechat"


def edit_hold_reason(*, posting: Posting, edited: Posting, by: User | None) -> str:
    """Why an edit of a published posting waits for staff, or "" when it is published at once: the system (``by``
    None) and staff edit freely; an unverified organisation's edits are all reviewed, and anyone's edit that puts
    contact details in the public text (a posting's contact stays hidden until both sides of a match accept)."""
    if posting.status != Status.PUBLISHED or by is None or staff_may(by, _permission("change", posting)):
        return ""
    found = contact_details_in(edited.title, edited.body, edited.keywords)
    if found:
        return f"{HOLD_CONTACT}:{','.join(found)}"
    if not posting.organization.verified:
        return HOLD_UNVERIFIED
    return ""


def hold_reason_text(reason: str) -> str:
    """A held edit's reason as the reader reads it."""
    if reason.startswith(HOLD_CONTACT):
        return _("The text holds contact details (%(kinds)s); they stay hidden until both sides of a match accept.") % {
            "kinds": contact_labels(reason.partition(":")[2].split(","))
        }
    if reason == HOLD_UNVERIFIED:
        return _("Edits of an organisation not yet verified are reviewed before they are public.")
    return reason


def held_edit_values(model: type[Posting], fields: dict[str, Any], domain_codes: Iterable[str] | None) -> dict:
    """The edit as JSON (decimals and dates as text; read back with each field's ``to_python``)."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)  # an unknown name fails here, not when staff approve
        if isinstance(value, Model):  # a place given as a record (the edit page): kept as its key
            name, value = field.attname, value.pk
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        values[name] = value
    return {"fields": values, "domains": None if domain_codes is None else sorted(set(domain_codes))}


def posting_edit_hold(
    posting: P, *, fields: dict[str, Any], domain_codes: Iterable[str] | None, reason: str, by: User | None
) -> P:
    """Keep an edit of a locked, published posting for staff (``reason``: ``edit_hold_reason``'s)."""
    posting.held_edit = held_edit_values(type(posting), fields, domain_codes)
    posting.held_reason, posting.held_at = reason, timezone.now()
    posting.save(update_fields=["held_edit", "held_reason", "held_at", "updated_at"])
    PostingTransition.objects.create(**{_kind(posting): posting}, from_status=posting.status,
                                     to_status=posting.status, by=by, reason=f"edit held: {reason}")  # fmt: skip
    return posting


@transaction.atomic
def posting_edit_approve(*, posting: P, by: User) -> P:
    """Staff make a held edit public (checked again against the posting as it is now)."""
    if not staff_may(by, _permission("change", posting)):
        raise PermissionDenied(_("Only platform staff review edits."))
    posting = type(posting).objects.select_for_update().get(pk=posting.pk)
    if not posting.held_edit:
        raise ApplicationError(_("This posting has no edit waiting for review."), field="held_edit")
    held = posting.held_edit
    for name, value in held["fields"].items():
        field = posting._meta.get_field(name)
        setattr(posting, field.attname, field.to_python(value))
    posting.held_edit, posting.held_reason, posting.held_at = None, "", None
    _validate(posting)
    posting = _save(posting, held["domains"])
    PostingTransition.objects.create(**{_kind(posting): posting}, from_status=posting.status,
                                     to_status=posting.status, by=by, reason="edit approved")  # fmt: skip
    return posting


@transaction.atomic
def posting_edit_reject(*, posting: P, by: User, reason: str) -> P:
    """Staff discard a held edit, saying why; the organisation is told, the public values stay."""
    if not staff_may(by, _permission("change", posting)):
        raise PermissionDenied(_("Only platform staff review edits."))
    if not reason.strip():
        raise ApplicationError(_("Say why the edit is rejected; the organisation sees the reason."), field="reason")
    posting = type(posting).objects.select_for_update().get(pk=posting.pk)
    if not posting.held_edit:
        raise ApplicationError(_("This posting has no edit waiting for review."), field="held_edit")
    posting.held_edit, posting.held_reason, posting.held_at = None, "", None
    posting.save(update_fields=["held_edit", "held_reason", "held_at", "updated_at"])
    note = f"edit rejected: {reason.strip()}"
    PostingTransition.objects.create(**{_kind(posting): posting}, from_status=posting.status,
                                     to_status=posting.status, by=by, reason=note)  # fmt: skip
    organization_notify(
        organization=posting.organization,
        subject=message(gettext_noop("Your edit was not published: %(title)s"), title=posting.title[:150]),
        body=reason.strip(),  # typed by staff: shown as it is
        link=reverse("marketplace:detail", kwargs={"kind": f"{_kind(posting)}s", "pk": posting.pk}),
    )
    return posting


@transaction.atomic
def posting_transition(*, posting: P, to: str, by: User | None, reason: str = "") -> P:
    """Move a posting to another status, record the move, and run the publish hooks on commit."""
    posting = type(posting).objects.select_for_update().get(pk=posting.pk)
    current = posting.status
    if to == current:
        return posting
    if to not in ALLOWED_MOVES.get(current, set()):
        raise ApplicationError(
            _("A %(current)s posting cannot become %(to)s.")
            % {"current": posting.get_status_display(), "to": dict(Status.choices).get(to, to)},
            field="status",
            code="transition",
        )
    return _move(posting, to=to, by=by, reason=reason)


def _move(posting: P, *, to: str, by: User | None, reason: str) -> P:
    """Change the status of a posting locked by the caller, record it, and run the publish hooks on commit."""
    current = posting.status
    now = timezone.now()
    posting.status = to
    if to == Status.PUBLISHED:
        posting.published_at = now
        posting.rejection_reason = ""
    elif to == Status.CLOSED:
        posting.closed_at = now
    elif to == Status.REJECTED:
        posting.rejection_reason = reason
    posting.save(update_fields=["status", "published_at", "closed_at", "rejection_reason", "updated_at"])
    PostingTransition.objects.create(
        **{_kind(posting): posting}, from_status=current, to_status=to, by=by, reason=reason
    )
    _audit_transition(posting, before=current, by=by, reason=reason)
    if to == Status.PUBLISHED:
        posting_published.send(sender=type(posting), posting=posting)
        _published_on_commit(posting)
    return posting


def posting_submit(*, posting: P, by: User) -> P:
    """A member submits a draft. Postings of verified organisations publish at once when the setting allows."""
    if not can_edit(by, posting):
        raise PermissionDenied(_("Only members of the organisation submit its postings."))
    if posting.status not in (Status.DRAFT, Status.REJECTED):
        raise ApplicationError(
            _("Only drafts are submitted; this posting is %(status)s.")
            % {"status": posting.get_status_display()},
            field="status",
        )
    found = contact_details_in(posting.title, posting.body, posting.keywords)
    if settings.MARKETPLACE_VERIFIED_AUTO_PUBLISH and posting.organization.verified and not found:
        return posting_transition(posting=posting, to=Status.PUBLISHED, by=by, reason="verified organisation")
    # Held for staff: an unverified organisation's posting, or one whose text carries contact details.
    return posting_transition(posting=posting, to=Status.SUBMITTED, by=by,
                              reason=f"{HOLD_CONTACT}:{','.join(found)}" if found else "")  # fmt: skip


def posting_approve(*, posting: P, by: User) -> P:
    if not staff_may(by, _permission("change", posting)):
        raise PermissionDenied(_("Only platform staff approve postings."))
    if posting.status != Status.SUBMITTED:
        raise ApplicationError(
            _("Only submitted postings are approved; this one is %(status)s.")
            % {"status": posting.get_status_display()},
            field="status",
        )
    return posting_transition(posting=posting, to=Status.PUBLISHED, by=by)


def posting_reject(*, posting: P, by: User, reason: str) -> P:
    if not staff_may(by, _permission("change", posting)):
        raise PermissionDenied(_("Only platform staff reject postings."))
    if not reason.strip():
        raise ApplicationError(_("Say why the posting is rejected; the organisation sees the reason."), field="reason")
    if posting.status != Status.SUBMITTED:
        raise ApplicationError(
            _("Only submitted postings are rejected; this one is %(status)s.")
            % {"status": posting.get_status_display()},
            field="status",
        )
    return posting_transition(posting=posting, to=Status.REJECTED, by=by, reason=reason.strip())


def posting_close(*, posting: P, by: User, reason: str = "") -> P:
    if not can_edit(by, posting):
        raise PermissionDenied(_("Only members of the organisation close its postings."))
    return posting_transition(posting=posting, to=Status.CLOSED, by=by, reason=reason)


def posting_reopen(*, posting: P, by: User) -> P:
    """A closed or rejected posting goes back to draft, to be edited and submitted again."""
    if not can_edit(by, posting):
        raise PermissionDenied(_("Only members of the organisation reopen its postings."))
    return posting_transition(posting=posting, to=Status.DRAFT, by=by)


def _kind(posting: Posting) -> str:
    return "achievement" if isinstance(posting, Achievement) else "need"


def _audit_transition(posting: Posting, *, before: str, by: User | None, reason: str) -> None:
    """The change of status just recorded, in the audit log too (same transaction): the log keeps it when the
    posting and its history are deleted, and shows it among the other events."""
    audit_record(
        AuditKind.TRANSITION,
        actor=by,
        organization=posting.organization,
        target=posting,
        detail={"from": before, "to": posting.status, "reason": reason},
    )


# --- Deadlines -------------------------------------------------------------------------------------------------


@transaction.atomic
def need_expire_overdue(*, today: date | None = None) -> list[Need]:
    """Close every need past its deadline (``Need.expired_q``), recorded as a status change by the system with the
    reason ``PostingTransition.DEADLINE_PASSED``; tell each owner; send ``need_expired`` so that other apps act in
    this transaction. Safe to run twice: a closed need is no longer expired, so a second run closes nothing."""
    overdue = list(needs_expired(today=today).select_for_update().select_related("organization").order_by("pk"))
    closed = []
    for need in overdue:
        closed.append(
            posting_transition(posting=need, to=Status.CLOSED, by=None, reason=PostingTransition.DEADLINE_PASSED)
        )
        organization_notify(
            organization=need.organization,
            subject=message(gettext_noop("Need closed, its deadline passed: %(title)s"), title=need.title[:150]),
            body=message(
                gettext_noop(
                    "The deadline of your need (%(deadline)s) has passed: it is closed, no longer matched or found "
                    "in search, and its pending suggestions are withdrawn. Extend the deadline to publish it again."
                ),
                deadline=need.deadline.isoformat() if need.deadline else "-",
            ),
            link=reverse("marketplace:detail", kwargs={"kind": "needs", "pk": need.pk}),
        )
    if closed:
        need_expired.send(sender=Need, needs=closed, reason=PostingTransition.DEADLINE_PASSED)
    return closed


@transaction.atomic
def need_extend_deadline(*, need: Need, new_deadline: date, by: User) -> Need:
    """The owner (a member of the organisation, or staff) moves the deadline to a later day. A published need keeps
    its status; a need the deadline closed is published again (recorded, and matched again like any publication).
    Other needs are edited instead."""
    if not can_edit(by, need):
        raise PermissionDenied(gettext("Only members of the organisation extend its needs."))
    today = timezone.localdate()
    if not isinstance(new_deadline, date) or new_deadline <= today:
        raise ApplicationError(
            gettext("The new deadline must be a day after today (%(today)s).") % {"today": today.isoformat()},
            field="deadline",
        )
    need = Need.objects.select_for_update().get(pk=need.pk)
    if not need.extendable:
        raise ApplicationError(
            gettext(
                "Only a published need, or one closed because its deadline passed, is extended; this one is "
                "%(status)s: edit its deadline instead."
            )
            % {"status": need.get_status_display()},
            field="status",
        )
    need.deadline = new_deadline
    need.save(update_fields=["deadline", "updated_at"])
    if need.status == Status.PUBLISHED:
        return need
    return _move(need, to=Status.PUBLISHED, by=by, reason=PostingTransition.DEADLINE_EXTENDED)
