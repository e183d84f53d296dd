"""Reads with rules for collections: who sees which, and what a collection shows.

Everybody sees published collections, and in them only the postings on the market; the organiser's members and
staff also see drafts and every item. A posting's contact is never in a collection (pages, exports, API)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Organization, User
from accounts.selectors import organisers_acted_for, staff_may, user_organization_ids
from marketplace.models import Achievement, Need, Status

from .models import Collection, CollectionItem


def collections_visible_to(*, user: User | AnonymousUser) -> QuerySet[Collection]:
    """Published collections; drafts too for the organiser's members and staff."""
    queryset = Collection.objects.select_related("organizer")
    if staff_may(user, "catalogues.view_collection"):
        return queryset
    condition = Q(status=Collection.Status.PUBLISHED)
    if user.is_authenticated:
        condition |= Q(organizer_id__in=user_organization_ids(user=user))
    return queryset.filter(condition)


def collections_published() -> QuerySet[Collection]:
    """The public list: published collections with how many postings each shows."""
    on_market = Q(items__achievement__status=Status.PUBLISHED) | Q(items__need__status=Status.PUBLISHED)
    return (
        Collection.objects.filter(status=Collection.Status.PUBLISHED)
        .select_related("organizer")
        .annotate(shown=Count("items", filter=on_market))
        .order_by("-published_at", "-pk")
    )


def collection_items(*, collection: Collection, everything: bool = False) -> list[CollectionItem]:
    """The items in order, with what their cards and exports show; only those on the market unless ``everything``
    (the curators' view)."""
    model: type[Achievement] | type[Need] = (
        Achievement if collection.kind == Collection.Kind.ACHIEVEMENTS else Need
    )
    field = "achievement" if model is Achievement else "need"
    postings = model.objects.select_related("organization", "province", "city").prefetch_related("domains")
    items = collection.items.filter(**{f"{field}__isnull": False}).prefetch_related(Prefetch(field, postings))
    if not everything:
        items = items.filter(**{f"{field}__status": Status.PUBLISHED})
    return list(items.order_by("position"))


def collection_summary(items: list[CollectionItem]) -> dict[str, Any]:
    """What a catalogue's cover says: how many postings, from how many provinces, which provinces and domains."""
    provinces: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    for item in items:
        posting = item.posting
        provinces[posting.province.name] += 1
        for domain in posting.domains.all():
            domains[domain.name] += 1
    return {
        "count": len(items),
        "provinces": provinces.most_common(),
        "domains": domains.most_common(),
    }


def curator_organizers(user: User | AnonymousUser) -> QuerySet[Organization]:
    """The organiser organisations the user may curate collections for: their own (staff: every organiser)."""
    return organisers_acted_for(user, permission="catalogues.add_collection")
