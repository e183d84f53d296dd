"""Reads with rules for achievements and needs: who may see what, search and filters.

``posting_visible_to`` is the one scoping function: the public sees published postings; members of the owning
organisation see all of its postings; staff see everything. Every page, endpoint and export starts from it, so a
posting a user may not see is a 404 everywhere.

A need past its deadline (``Need.expired_q``) is treated as closed on read, before the daily task closes it: the
public does not see it (its page is a 404, as a closed need's is; one rule, and a link to it leaks nothing), and
``posting_live`` (lists, search, the home page) leaves it out for everyone. Its owner still sees it, as expired.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Concat

from accounts.models import User
from accounts.selectors import staff_may, user_organization_ids

from .models import Achievement, Need, PostingTransition, Status
from .search import TermGroup, query_groups, to_tsquery

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
