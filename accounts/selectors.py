"""Reads with rules for users and organisations."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Organization, User


def user_memberships(*, user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization__province", "organization__city")


def user_primary_membership(*, user: User) -> Membership | None:
    """The membership that acts by default: the oldest one, owner roles first."""
    return user_memberships(user=user).order_by("-role", "created_at").first() if user.is_authenticated else None


def user_organization_ids(*, user: User) -> set[int]:
    """The ids of the user's organisations, cached on the user object for the length of a request (as Django
    caches permissions), since every scoped query and every serialized posting asks."""
    if not user.is_authenticated:
        return set()
    cached: set[int] | None = getattr(user, "_organization_ids_cache", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user).values_list("organization_id", flat=True))
        user._organization_ids_cache = cached  # type: ignore[attr-defined]
    return set(cached)


def organization_is_member(*, user: User, organization: Organization) -> bool:
    return user.is_authenticated and Membership.objects.filter(user=user, organization=organization).exists()
