"""Many postings written at once under the services' rules: what ``posting_create``, ``posting_update`` and
``posting_transition`` do to one posting, done to a batch in a few queries (the importer writes 200,000 rows this way;
one by one they took 16 ms each).

The same rules hold: only a member of the organisation (or staff, or the system) writes; every field is checked by
the model's own validators (``clean_fields``: lengths, choices, ranges); a new posting starts as a draft and each
change of status is recorded; a posting's search document and index rows are rebuilt from its saved text; a
publication records its matching in the outbox in the same transaction and runs the publish hooks once on commit.
What ``full_clean`` would check with a query per row is checked for the whole batch instead: the places by the
importer's resolver, references by the importer (one per organisation in the file), the database's constraints at
insert (the transaction rolls back whole).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import acts_for
from core.audit import Kind as AuditKind
from core.audit import audit_record
from core.bulk_insert import insert_rows
from core.exceptions import ApplicationError, PermissionDenied

from . import services
from .models import Achievement, Need, PostingTransition, Status
from .search import document_terms, search_document_for
from .search_index import term_model
from .services import ALLOWED_MOVES, _permission, published_many_on_commit
from .signals import postings_published

Posting = Achievement | Need
# Checked elsewhere for a whole batch (see the module's docstring), not by a query per row.
_CHECKED_FOR_THE_BATCH = ["organization", "created_by", "province", "city"]
REASON = "bulk import"


@dataclass
class Item:
    """One posting to write: its organisation, its field values (``external_ref`` among them) and domain codes."""

    organization: Organization
    fields: dict[str, Any]
    domain_codes: list[str]
    row: int = 0  # where it came from, for errors


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    published: int = 0
    held: int = 0  # edits of published postings that wait for staff (``services.edit_hold_reason``)
    unindexed: list[int] = field(default_factory=list)  # new postings whose index rows the caller writes
    postings: list[Posting] = field(default_factory=list)


@transaction.atomic
def postings_save_many(
    *,
    model: type[Achievement] | type[Need],
    items: list[Item],
    by: User | None,
    publish: bool = False,
    index_new: bool = True,
) -> Outcome:
    """Create the items whose reference their organisation does not have yet (as drafts), update the others, and
    with ``publish`` publish those that are drafts or submitted. ``by`` is None for the system (a command).

    Without ``index_new`` the new postings' search index rows are left to the caller, who writes them after the
    commit (``search_index.index_postings``; ``index_sweep`` catches any a crash left out): the rows of 200,000
    postings are most of a large import's time. Updated postings are indexed here in any case."""
    outcome = Outcome()
    if not items:
        return outcome
    organizations = {item.organization.pk: item.organization for item in items}
    if by is not None:
        for organization in organizations.values():
            if not acts_for(by, organization.pk, permission=_permission("add", model)):
                raise PermissionDenied(_("Only members of the organisation post for it."))
    existing = {
        (posting.organization_id, posting.external_ref): posting
        for posting in model.objects.select_for_update().filter(
            organization_id__in=list(organizations), external_ref__in=[item.fields["external_ref"] for item in items]
        )
    }
    now = timezone.now()
    new: list[tuple[Posting, Item]] = []
    changed: list[tuple[Posting, Item]] = []
    names: set[str] = set()
    for item in items:
        posting = existing.get((item.organization.pk, item.fields["external_ref"]))
        if posting is None:
            posting = model(organization=item.organization, created_by=by, status=Status.DRAFT, **item.fields)
            new.append((posting, item))
        else:
            edited = copy.copy(posting)
            for name, value in item.fields.items():
                setattr(edited, name, value)
            _check(edited, item)
            reason = services.edit_hold_reason(posting=posting, edited=edited, by=by)
            if reason:  # a published posting's edit that waits for staff, as on the edit page
                services.posting_edit_hold(posting, fields=item.fields, domain_codes=item.domain_codes, reason=reason,
                                           by=by)  # fmt: skip
                outcome.held += 1
                continue
            posting = edited
            posting.updated_at = now
            changed.append((posting, item))
        names.update(item.fields)
        _check(posting, item)
        posting.search_document = search_document_for(
            title=posting.title, body=posting.body, keywords=posting.keywords, domain_codes=item.domain_codes
        )
    model.objects.bulk_create([posting for posting, _item in new], batch_size=1000)
    _update(model, [posting for posting, _item in changed], [*sorted(names), "search_document", "updated_at"])
    kind = "achievement" if model is Achievement else "need"
    PostingTransition.objects.bulk_create(
        [PostingTransition(**{kind: posting}, from_status="", to_status=Status.DRAFT, by=by) for posting, _ in new],
        batch_size=1000,
    )
    written = [*new, *changed]
    _domains_set(model, written, replace=bool(changed))
    _index(model, [posting for posting, _item in (written if index_new else changed)], replace=bool(changed))
    outcome.created, outcome.updated = len(new), len(changed)
    outcome.unindexed = [] if index_new else [posting.pk for posting, _item in new]
    outcome.postings = [posting for posting, _item in written]
    published = _publish(model, outcome.postings, by=by, now=now) if publish else []
    outcome.published = len(published)
    _audit(model, new, changed, published, by=by)
    return outcome


def _audit(
    model: type[Posting],
    new: list[tuple[Posting, Item]],
    changed: list[tuple[Posting, Item]],
    published: list[Posting],
    *,
    by: User | None,
) -> None:
    """One audit row per batch (the log of single changes has one per change): how many postings it created,
    updated and published, their first and last ids, and their organisation when they have one (a member's import
    always; a staff import naming many owners counts them)."""
    postings = [p for p, _i in new] + [p for p, _i in changed]
    if not postings:
        return
    organizations = {posting.organization_id: posting.organization for posting in postings}
    counts = {"created": len(new), "updated": len(changed), "published": len(published)}
    ids = [posting.pk for posting in postings]
    audit_record(
        AuditKind.TRANSITION,
        actor=by,
        organization=next(iter(organizations.values())) if len(organizations) == 1 else None,
        label=f"{model._meta.verbose_name_plural}: {REASON}",
        detail={**{k: v for k, v in counts.items() if v}, "organisations": len(organizations), "reason": REASON,
                "to": Status.PUBLISHED if published else Status.DRAFT, "first_id": min(ids), "last_id": max(ids)},
    )  # fmt: skip


def _update(model: type[Posting], postings: list[Posting], names: list[str]) -> None:
    """Save these fields of these postings: one prepared UPDATE run for all of them (``bulk_update`` builds a CASE
    expression per field and row, 5 ms a row)."""
    if not postings:
        return
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [f.get_db_prep_save(getattr(posting, f.attname), connection) for f in fields] + [posting.pk]
                for posting in postings
            ],
        )


def _check(posting: Posting, item: Item) -> None:
    try:
        posting.clean_fields(exclude=_CHECKED_FOR_THE_BATCH)
    except ValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(
            _("Row %(row)d: %(reason)s") % {"row": item.row, "reason": " ".join(messages)}, field=name
        ) from error


def _domains_set(model: type[Posting], written: list[tuple[Posting, Item]], *, replace: bool) -> None:
    through = model.domains.through
    column = f"{model._meta.model_name}_id"
    if replace:
        through.objects.filter(**{f"{column}__in": [posting.pk for posting, _item in written]}).delete()
    links = ((posting.pk, code) for posting, item in written for code in sorted(set(item.domain_codes)))
    insert_rows(through, [model._meta.model_name, "domain"], links)


def _index(model: type[Posting], postings: list[Posting], *, replace: bool) -> None:
    """The search index rows of the postings, from their text (``search_index.index_posting`` for a batch)."""
    terms = term_model(model)
    if replace:
        terms.objects.filter(posting_id__in=[posting.pk for posting in postings]).delete()
    rows = (
        (posting.pk, token, impact)
        for posting in postings
        for token, impact in document_terms(title=posting.title, keywords=posting.keywords or [], body=posting.body)
        .items()
    )  # fmt: skip
    insert_rows(terms, ["posting", "token", "impact"], rows)


def _publish(model: type[Posting], postings: list[Posting], *, by: User | None, now: Any) -> list[Posting]:
    """Publish those that may move to published (drafts, submitted), as ``posting_transition`` does one."""
    movable = [p for p in postings if Status.PUBLISHED in ALLOWED_MOVES.get(p.status, set())]
    if not movable:
        return []
    model.objects.filter(pk__in=[p.pk for p in movable]).update(
        status=Status.PUBLISHED, published_at=now, rejection_reason="", updated_at=now
    )
    kind = "achievement" if model is Achievement else "need"
    PostingTransition.objects.bulk_create(
        [
            PostingTransition(**{kind: p}, from_status=p.status, to_status=Status.PUBLISHED, by=by, reason=REASON)
            for p in movable
        ],
        batch_size=1000,
    )
    for posting in movable:
        posting.status, posting.published_at, posting.rejection_reason = Status.PUBLISHED, now, ""
    postings_published.send(sender=model, postings=movable)
    published_many_on_commit(movable)
    return movable
