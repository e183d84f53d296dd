"""Writes with rules for collections: an organiser's members (or staff) create, edit, fill, order and publish them.

Every interface (pages, API, admin, the demo) calls these. Items are added only from postings on the market, of the
collection's kind, once each; the order is a permutation of the items, positions 1..n without gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from accounts.selectors import acts_for, staff_may
from core.exceptions import ApplicationError, PermissionDenied, model_validate
from marketplace.models import Achievement, Need, Status

from .models import Collection, CollectionItem

MAX_ITEMS = 500  # a printed catalogue of more is not read; the XLSX and the page stay small


def may_curate(user: User, collection: Collection) -> bool:
    return acts_for(user, collection.organizer_id, permission="catalogues.change_collection")


def _check_curator(user: User, collection: Collection) -> None:
    if not may_curate(user, collection):
        raise PermissionDenied(_("Only members of the organiser curate its collections."))


def _lock(collection: Collection) -> Collection:
    return Collection.objects.select_for_update().get(pk=collection.pk)


def _check_fields(*, title: str, kind: str) -> None:
    if not title.strip():
        raise ApplicationError(_("The collection needs a title."), field="title")
    if kind not in Collection.Kind.values:
        raise ApplicationError(_("A collection holds achievements or needs."), field="kind")


@transaction.atomic
def collection_create(
    *, organizer: Organization, by: User, title: str, kind: str, description: str = ""
) -> Collection:
    """An organiser's member starts a draft collection."""
    if organizer.kind != Organization.Kind.ORGANISER and not staff_may(by, "catalogues.add_collection"):
        raise PermissionDenied(_("Collections are curated by organiser organisations."))
    if not acts_for(by, organizer.pk, permission="catalogues.add_collection"):
        raise PermissionDenied(_("Only members of the organiser create its collections."))
    _check_fields(title=title, kind=kind)
    collection = Collection(
        organizer=organizer, kind=kind, title=title.strip(), description=description.strip(), created_by=by
    )
    model_validate(collection, exclude=["organizer", "created_by"])
    collection.save()
    return collection


@transaction.atomic
def collection_update(*, collection: Collection, by: User, **fields: Any) -> Collection:
    """The title and introduction change; the kind stays (its items are of that kind)."""
    collection = _lock(collection)
    _check_curator(by, collection)
    unknown = set(fields) - {"title", "description"}
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError(_("%(field)s cannot be changed.") % {"field": name}, field=name)
    for name, value in fields.items():
        setattr(collection, name, value.strip())
    _check_fields(title=collection.title, kind=collection.kind)
    model_validate(collection, exclude=["organizer", "created_by"])
    collection.save()
    return collection


@transaction.atomic
def collection_set_published(*, collection: Collection, by: User, published: bool) -> Collection:
    """Publish (the page, the exports open to all) or take back to draft."""
    collection = _lock(collection)
    _check_curator(by, collection)
    if published and not collection.items.exists():
        raise ApplicationError(_("Add at least one posting before publishing the collection."), field="items")
    collection.status = Collection.Status.PUBLISHED if published else Collection.Status.DRAFT
    if published and collection.published_at is None:
        collection.published_at = timezone.now()
    collection.save()
    return collection


def _model(collection: Collection) -> type[Achievement] | type[Need]:
    return Achievement if collection.kind == Collection.Kind.ACHIEVEMENTS else Need


@transaction.atomic
def collection_add(
    *, collection: Collection, by: User, posting_ids: Sequence[int], note: str = ""
) -> list[CollectionItem]:
    """Postings (by number) go to the end of the collection, in the order given. All or none: a number that is not a
    posting of this kind on the market, or that is in the collection already, refuses the whole batch and names it."""
    collection = _lock(collection)
    _check_curator(by, collection)
    model = _model(collection)
    field = "achievement" if model is Achievement else "need"
    wanted = list(dict.fromkeys(int(pk) for pk in posting_ids))
    if not wanted:
        raise ApplicationError(_("Name at least one posting to add."), field="postings")
    found = set(model.objects.filter(pk__in=wanted, status=Status.PUBLISHED).values_list("pk", flat=True))
    for pk in wanted:
        if pk not in found:
            raise ApplicationError(
                _("No. %(number)s is not a published %(kind)s.")
                % {"number": pk, "kind": model._meta.verbose_name},
                field="postings",
            )
    present = set(collection.items.filter(**{f"{field}_id__in": wanted}).values_list(f"{field}_id", flat=True))
    if present:
        raise ApplicationError(
            _("No. %(number)s is in the collection already.") % {"number": min(present)}, field="postings"
        )
    count = collection.items.count()
    if count + len(wanted) > MAX_ITEMS:
        raise ApplicationError(
            _("A collection holds at most %(limit)s postings.") % {"limit": MAX_ITEMS}, field="postings"
        )
    last = collection.items.aggregate(last=Max("position"))["last"] or 0
    items = [
        CollectionItem(collection=collection, position=last + offset, note=note.strip(), **{f"{field}_id": pk})
        for offset, pk in enumerate(wanted, start=1)
    ]
    model_validate(items[0], exclude=["collection", "achievement", "need"], validate_constraints=False)  # the note
    created = CollectionItem.objects.bulk_create(items)
    collection.save(update_fields=["updated_at"])
    return created


@transaction.atomic
def collection_remove(*, collection: Collection, by: User, item_id: int) -> None:
    """An item leaves; the ones after it move up."""
    collection = _lock(collection)
    _check_curator(by, collection)
    item = collection.items.filter(pk=item_id).first()
    if item is None:
        raise ApplicationError(_("That posting is not in this collection."), field="item")
    item.delete()
    _renumber(collection, list(collection.items.order_by("position").values_list("pk", flat=True)))
    if collection.status == Collection.Status.PUBLISHED and not collection.items.exists():
        collection.status = Collection.Status.DRAFT  # nothing left to show
    collection.save()


@transaction.atomic
def collection_reorder(*, collection: Collection, by: User, item_ids: Iterable[int]) -> None:
    """The items in a new order: every item of the collection, each once."""
    collection = _lock(collection)
    _check_curator(by, collection)
    order = [int(pk) for pk in item_ids]
    current = set(collection.items.values_list("pk", flat=True))
    if len(order) != len(set(order)) or set(order) != current:
        raise ApplicationError(_("The new order must list every item of the collection once."), field="order")
    _renumber(collection, order)
    collection.save(update_fields=["updated_at"])


@transaction.atomic
def collection_move(*, collection: Collection, by: User, item_id: int, offset: int) -> None:
    """One item up (offset -1) or down (+1), as the page's arrows do."""
    order = list(collection.items.order_by("position").values_list("pk", flat=True))
    if item_id not in order:
        raise ApplicationError(_("That posting is not in this collection."), field="item")
    index = order.index(item_id)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    collection_reorder(collection=collection, by=by, item_ids=order)


def _renumber(collection: Collection, order: list[int]) -> None:
    """Positions 1..n in this order. The items that move go out of the way first (past every position in use), so
    that the unique position holds after each statement."""
    items = {item.pk: item for item in collection.items.all()}
    changed = [pk for position, pk in enumerate(order, start=1) if items[pk].position != position]
    if not changed:
        return
    aside = max(item.position for item in items.values()) + 1
    for offset, pk in enumerate(changed):
        items[pk].position = aside + offset
    CollectionItem.objects.bulk_update([items[pk] for pk in changed], ["position"])
    for position, pk in enumerate(order, start=1):
        items[pk].position = position
    CollectionItem.objects.bulk_update([items[pk] for pk in changed], ["position"])
