"""Reads with rules for users and organisations."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from core.audit import note_staff_permission
from core.versions import SharedVersion

from .models import Membership, Notification, Organization, User, normalize_email

# Bumped when a membership or an organisation is saved or deleted (accounts.apps): what is kept per user of them
# (the header's organisation) is read again.
MEMBERSHIPS_VERSION = SharedVersion("memberships:version")


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


def is_member(user: User, organization_id: int | None, *, owner: bool = False) -> bool:
    """Whether the user belongs to the organisation (as an owner, with ``owner``): the one membership check every
    app's services and views make (asked of the database each time: a membership added earlier in the same request
    counts)."""
    if not (organization_id and user.is_authenticated):
        return False
    memberships = Membership.objects.filter(user=user, organization_id=organization_id)
    return (memberships.filter(role=Membership.Role.OWNER) if owner else memberships).exists()


def staff_may(user: User | AnonymousUser, permission: str) -> bool:
    """Whether the user acts as platform staff for this: ``is_staff`` and the Django permission (``app.action_model``)
    that admin asks for the same act (a superuser has them all). An ``is_staff`` account without it is an ordinary
    user in the API and on the pages, as it is in admin. A right granted is noted for the audit log (a write through
    the API that it allowed is recorded as a staff action, ``core.audit``)."""
    allowed = bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(permission))
    if allowed:
        note_staff_permission(user, permission)
    return allowed


def acts_for(user: User, organization_id: int | None, *, permission: str, owner: bool = False) -> bool:
    """Whether the user may act for the organisation: a member (an owner, with ``owner``), or platform staff with
    ``permission``."""
    return user.is_authenticated and (staff_may(user, permission) or is_member(user, organization_id, owner=owner))


def organisers_acted_for(user: User | AnonymousUser, *, permission: str) -> QuerySet[Organization]:
    """The organiser organisations the user acts for (events, collections, auctions): their own; staff holding
    ``permission``, every organiser."""
    organisers = Organization.objects.filter(kind=Organization.Kind.ORGANISER)
    if not user.is_authenticated:
        return organisers.none()
    if staff_may(user, permission):
        return organisers
    return organisers.filter(pk__in=user_organization_ids(user=user))


def user_awaiting_verification(*, email: str, password: str) -> User | None:
    """The account at this address that has not opened its sign-up link yet, if ``password`` is its password (a
    sign-in that failed asks, to tell that user what to do, and nobody else). The password is hashed whether or not
    there is such an account, so the time taken does not tell."""
    user = User.objects.filter(
        email__iexact=normalize_email(email), email_verified_at__isnull=True, is_active=False
    ).first()
    if user is None:
        make_password(password)
        return None
    return user if user.check_password(password) else None


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The notifications a user reads: their organisations' own, and those addressed to them alone (not another
    member's alerts)."""
    return Notification.objects.filter(
        Q(user__isnull=True) | Q(user=user), organization_id__in=user_organization_ids(user=user)
    )
