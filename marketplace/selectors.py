"""Reads with rules for achievements and needs: who may see what, search and filters.

``posting_visible_to`` is the one scoping function: the public sees published postings; members of the owning
organisation see all of its postings; staff see everything. Every page, endpoint and export starts from it, so a
posting a user may not see is a 404 everywhere.

A need past its deadline (``Need.expired_q``) is treated as closed on read, before the daily task closes it: the
public does not see it (its page is a 404, as a closed need's is; one rule, and a link to it leaks nothing), and
``posting_live`` (lists, search, the home page) leaves it out for everyone. Its owner still sees it, as expired.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat
from django.utils.functional import cached_property

from accounts.models import User
from accounts.selectors import staff_may, user_organization_ids
from core.page_cache import pages_changed
from core.versions import SharedVersion

from .models import Achievement, Need, PostingTransition, Status
from .search import TermGroup, query_groups, to_tsquery
from .search_index import in_order, posting_similar

P = TypeVar("P", Achievement, Need)


def posting_visible_to(*, model: type[P], user: User | AnonymousUser) -> QuerySet[P]:
    queryset = model.objects.select_related("organization", "province", "city").prefetch_related("domains")
    if staff_may(user, f"marketplace.view_{model._meta.model_name}"):
        return queryset
    public = _live(model)
    organization_ids = user_organization_ids(user=user) if user.is_authenticated else set()
    if organization_ids:
        return queryset.filter(public | Q(organization_id__in=organization_ids))
    return queryset.filter(public)


def _live(model: type[Achievement] | type[Need]) -> Q:
    live = Q(status=Status.PUBLISHED)
    return live & ~Need.expired_q() if model is Need else live


def posting_live(queryset: QuerySet[P]) -> QuerySet[P]:
    """What counts as open on the market: published, and for needs not past their deadline."""
    return queryset.filter(_live(queryset.model))


def needs_expired(*, today: date | None = None) -> QuerySet[Need]:
    """Published needs past their deadline: what the daily task closes."""
    return Need.objects.filter(Need.expired_q(today=today))


def needs_with_last_reason(queryset: QuerySet[Need]) -> QuerySet[Need]:
    """Needs with the reason of their latest status change, so that ``closed_at_deadline`` needs no query each."""
    latest = PostingTransition.objects.filter(need=OuterRef("pk")).order_by("-at", "-pk").values("reason")[:1]
    return queryset.annotate(last_transition_reason=Subquery(latest))


def can_see_contact(*, user: User | AnonymousUser, posting: Achievement | Need) -> bool:
    """The confidential contact is for the owner's members and staff (and, later, accepted match partners)."""
    if not user.is_authenticated:
        return False
    return staff_may(user, f"marketplace.view_{posting._meta.model_name}") or (
        posting.organization_id in user_organization_ids(user=user)
    )


def posting_search(queryset: QuerySet[P], query: str) -> QuerySet[P]:
    """Postings whose text matches every word of the query (Chinese or English)."""
    groups = query_groups(query)
    if not groups:
        return queryset
    if connection.vendor == "postgresql":
        return queryset.annotate(search_vector=SearchVector("search_document", config="simple")).filter(
            search_vector=SearchQuery(to_tsquery(groups), search_type="raw", config="simple")
        )
    condition = Q()
    for group in groups:
        condition &= _group_condition(group)
    return queryset.annotate(padded=_padded()).filter(condition)


def _padded() -> Concat:
    return Concat(Value(" "), "search_document", Value(" "), output_field=TextField())


def _group_condition(group: TermGroup) -> Q:
    whole = Q(padded__contains=f" {group.word} ")
    if not group.parts:
        return whole
    parts = Q()
    for part in group.parts:
        parts &= Q(padded__contains=f" {part} ")
    return whole | parts


# --- Counts and similar postings, cached briefly -------------------------------------------------------------------
# Counting every published posting (the home page, a list page's "N results") reads the whole table or index at
# 10^5 rows; the counts are kept in the shared cache (Redis in production) for COUNT_SECONDS under a key made of the
# query's SQL and the postings' version. Saving or deleting a posting through the ORM (every service) bumps the
# version (``postings_changed``, connected in ``MarketplaceConfig.ready``), so that a change shows at once; rows
# written in bulk without signals (``marketplace.bulk`` sends its own) show within COUNT_SECONDS. A count depends on
# nothing but its SQL, so users of one role share it and a user never sees a count of what another may see.

COUNT_SECONDS = 60
SIMILAR_SECONDS = 6 * 3600
POSTINGS_VERSION_KEY = "marketplace:postings-version"
POSTINGS_VERSION = SharedVersion(POSTINGS_VERSION_KEY)
postings_version = POSTINGS_VERSION.get
_bump_postings_version = POSTINGS_VERSION.bump


def postings_changed(**kwargs: object) -> None:
    """A posting was saved, deleted or its domains changed (or a batch published, needs expired): cached counts and
    the pages kept for visitors (``core.page_cache``) are read again, now and once more at commit."""
    POSTINGS_VERSION.changed()
    pages_changed()


def cached_count(queryset: QuerySet) -> int:
    """``queryset.count()``, kept for COUNT_SECONDS (or until a posting changes) under the query's SQL."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return 0
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:32]
    key = f"marketplace:count:{postings_version()}:{digest}"
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, COUNT_SECONDS)
    return count


def live_counts() -> dict[str, int]:
    """How many achievements and needs are on the market (the home page's figures)."""
    return {
        "achievements": cached_count(posting_live(Achievement.objects.all())),
        "needs": cached_count(posting_live(Need.objects.all())),
    }


class CachedCountPaginator(Paginator):
    """A paginator whose total comes from ``cached_count`` (a list page's "N results" and its page numbers)."""

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet) and type(object_list).count is QuerySet.count:
            return cached_count(object_list)
        return super().count


def posting_similar_cached(*, posting: P, limit: int = 5) -> list[P]:
    """``search_index.posting_similar`` among the postings on the market: the same for every reader (what is live is
    public), so the ids are kept for SIMILAR_SECONDS (or until this posting changes) and read back in one query among
    those still on the market. Finding them costs 50-90 ms of PostgreSQL at 10^5 postings, so they are not found
    again whenever any posting changes (as counts are): one closed since drops out when read back, one published
    since joins the list within SIMILAR_SECONDS."""
    model = type(posting)
    # What the list of similar postings shows: the title, the organisation's and the province's names (not the
    # postings' text nor their search documents, the bulk of a row).
    shown = ("title", "organization__name", "province__name_zh", "province__name_en")
    rows = model.objects.select_related("organization", "province").only(*shown)
    on_market = posting_live(rows)
    key = f"marketplace:similar:{model._meta.model_name}:{posting.pk}:{posting.updated_at.timestamp()}:{limit}"
    ids = cache.get(key)
    if ids is None:
        found = posting_similar(posting=posting, queryset=on_market, limit=limit)
        cache.set(key, [similar.pk for similar in found], SIMILAR_SECONDS)
        return found
    if not ids:
        return []
    return list(in_order(on_market, ids))
