"""Reads with rules for matches: who sees which, and when the other side's contact shows."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import staff_may, user_organization_ids

from .models import Match

# What the two organisations see: staff's suggestions and rejections stay with staff.
VISIBLE_TO_SIDES = (Match.Status.APPROVED, Match.Status.DECLINED, Match.Status.IN_CONTACT, Match.Status.DEAL)
CONTACT_STATUSES = (Match.Status.IN_CONTACT, Match.Status.DEAL)
# A withdrawn match stays in the sides' lists when they had seen it (staff approved it): it does not just vanish.
WITHDRAWN_AFTER_APPROVAL = Q(status=Match.Status.WITHDRAWN, reviewed_at__isnull=False)


def match_visible_to(*, user: User | AnonymousUser) -> QuerySet[Match]:
    """The one scoping function for matches: staff see all; members see their organisations' approved matches."""
    queryset = Match.objects.select_related(
        "achievement__organization", "need__organization", "achievement__province", "need__province"
    )
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "matching.view_match"):
        return queryset
    organizations = user_organization_ids(user=user)
    return queryset.filter(
        Q(achievement__organization_id__in=organizations) | Q(need__organization_id__in=organizations),
        Q(status__in=VISIBLE_TO_SIDES) | WITHDRAWN_AFTER_APPROVAL,
    )


def match_contact_visible(*, user: User | AnonymousUser, match: Match) -> bool:
    """The other side's contact shows once both sides accepted (staff always see it)."""
    if not user.is_authenticated:
        return False
    return staff_may(user, "matching.view_match") or match.status in CONTACT_STATUSES


# Outcomes whose score components are compared, and the decisions behind them.
OUTCOMES = {
    "accepted": (Match.Status.IN_CONTACT, Match.Status.DEAL),
    "declined": (Match.Status.DECLINED,),
    "rejected": (Match.Status.REJECTED,),
}


def match_statistics(*, limit: int = 5000) -> dict[str, object]:
    """Per component, its mean value on the matches both sides accepted, one side declined and staff rejected (the
    latest ``limit`` of each), with the latest reasons: where declined or rejected matches score high on a
    component, that component's weight is worth lowering."""
    from .engine import COMPONENTS

    means: dict[str, dict[str, float | None]] = {name: {} for name in COMPONENTS}
    counts: dict[str, int] = {}
    for outcome, statuses in OUTCOMES.items():
        rows = list(
            Match.objects.filter(status__in=statuses)
            .order_by("-updated_at")
            .values_list("components", flat=True)[:limit]
        )
        counts[outcome] = len(rows)
        for name in COMPONENTS:
            values = [row.get(name) for row in rows if row.get(name) is not None]
            means[name][outcome] = sum(values) / len(values) if values else None
    reasons = {
        "declined": list(
            Match.objects.filter(status=Match.Status.DECLINED).exclude(decline_reason="")
            .order_by("-updated_at").values_list("decline_reason", flat=True)[:20]
        ),
        "rejected": list(
            Match.objects.filter(status=Match.Status.REJECTED).exclude(review_reason="")
            .order_by("-updated_at").values_list("review_reason", flat=True)[:20]
        ),
    }  # fmt: skip
    return {"means": means, "counts": counts, "reasons": reasons, "outcomes": list(OUTCOMES)}
