"""Reads with rules for brokers: which listings a user works as a broker (what ``matching`` asks to show and to let
them act on), and which appointments a user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from accounts.models import User
from accounts.selectors import staff_may, user_organization_ids

from .models import BrokerAppointment


@dataclass(frozen=True)
class Brokered:
    """The listings a user works as a broker, each with the organisation they act for."""

    achievements: dict[int, int]  # achievement id -> organisation id
    needs: dict[int, int]  # need id -> organisation id

    def __bool__(self) -> bool:
        return bool(self.achievements or self.needs)


NOTHING = Brokered({}, {})


def brokered_listings(*, user: User | AnonymousUser) -> Brokered:
    """The listings of the user's standing appointments, cached on the user object for the length of a request (as
    ``user_organization_ids`` is): every scoped match query and every serialized match asks."""
    if not user.is_authenticated:
        return NOTHING
    cached: Brokered | None = getattr(user, "_brokered_cache", None)
    if cached is None:
        appointments = BrokerAppointment.objects.filter(broker=user, revoked_at__isnull=True)
        active = dict(appointments.values_list("pk", "organization_id"))
        cached = NOTHING  # most users broker nothing: one query, and the listings are not asked for
        if active:
            achievements = _granted(BrokerAppointment.achievements.through, "achievement_id", active)
            needs = _granted(BrokerAppointment.needs.through, "need_id", active)
            cached = Brokered(achievements, needs)
        user._brokered_cache = cached  # type: ignore[attr-defined]
    return cached


def _granted(through: type[Model], column: str, active: dict[int, int]) -> dict[int, int]:
    """Posting id -> organisation id, over the standing appointments ``active`` (id -> organisation id)."""
    rows = through.objects.filter(brokerappointment_id__in=active).values_list("brokerappointment_id", column)
    return {posting: active[appointment] for appointment, posting in rows}


def appointments_visible_to(*, user: User | AnonymousUser) -> QuerySet[BrokerAppointment]:
    """The one scoping function for appointments: an organisation's members see its appointments; a broker their
    own; a service agency's members those of its brokers; staff every one."""
    queryset = BrokerAppointment.objects.select_related("organization", "broker", "agency", "revoked_by")
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "brokers.view_brokerappointment"):
        return queryset
    organizations = user_organization_ids(user=user)
    return queryset.filter(Q(organization_id__in=organizations) | Q(broker=user) | Q(agency_id__in=organizations))
