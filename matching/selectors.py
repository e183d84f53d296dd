"""Reads with rules for matches: who sees which, and when the other side's contact shows."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import user_organization_ids

from .models import Match

# What the two organisations see: staff's suggestions and rejections stay with staff.
VISIBLE_TO_SIDES = (Match.Status.APPROVED, Match.Status.DECLINED, Match.Status.IN_CONTACT, Match.Status.DEAL)
CONTACT_STATUSES = (Match.Status.IN_CONTACT, Match.Status.DEAL)


def match_visible_to(*, user: User | AnonymousUser) -> QuerySet[Match]:
    """The one scoping function for matches: staff see all; members see their organisations' approved matches."""
    queryset = Match.objects.select_related(
        "achievement__organization", "need__organization", "achievement__province", "need__province"
    )
    if not user.is_authenticated:
        return queryset.none()
    if user.is_staff:
        return queryset
    organizations = user_organization_ids(user=user)
    return queryset.filter(
        Q(achievement__organization_id__in=organizations) | Q(need__organization_id__in=organizations),
        status__in=VISIBLE_TO_SIDES,
    )


def match_contact_visible(*, user: User | AnonymousUser, match: Match) -> bool:
    """The other side's contact shows once both sides accepted (staff always see it)."""
    if not user.is_authenticated:
        return False
    return user.is_staff or match.status in CONTACT_STATUSES
