"""Reads with rules for matches: who sees which, and when the other side's contact shows."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.selectors import staff_may, user_organization_ids
from brokers.selectors import brokered_listings
from core.versions import SharedVersion
from marketplace.models import Achievement, Need

from .models import Match

# Bumped when a match is saved or deleted (matching.apps) and when matches are released in bulk (services): what is
# kept of what members see of their matches (the dashboard's panels) is built again. Suggestions the engine writes in
# bulk are for staff only until released, so they do not move it.
MATCHES_VERSION = SharedVersion("matches:version")

# What the two organisations see: staff's suggestions and rejections stay with staff.
VISIBLE_TO_SIDES = (Match.Status.APPROVED, Match.Status.DECLINED, Match.Status.IN_CONTACT, Match.Status.DEAL)
CONTACT_STATUSES = (Match.Status.IN_CONTACT, Match.Status.DEAL)


def released_q(prefix: str = "") -> Q:
    """What "released" means, the one statement of it: a match the two sides were shown, because staff approved it
    or the release rule did (``services.matches_release``), whatever became of it since (declined, in contact, a
    deal, withdrawn after they saw it: it does not just vanish from their lists). Suggestions and staff's
    rejections were never released. ``prefix`` reaches matches through a relation (``"matches__"``)."""
    return Q(**{f"{prefix}status__in": VISIBLE_TO_SIDES}) | Q(
        **{f"{prefix}status": Match.Status.WITHDRAWN, f"{prefix}reviewed_at__isnull": False}
    )


def released_matches() -> QuerySet[Match]:
    """Every released match (``released_q``)."""
    return Match.objects.filter(released_q())


def organizations_matches_q(organizations: Iterable[int]) -> Q:
    """Matches where either side is one of ``organizations``' postings, as one condition on the match's id: the
    matches of their achievements and of their needs, each found through its index, then united. (Written as
    "achievement's organisation in … or need's organisation in …", PostgreSQL joined every match to both postings
    before it could test the "or": 350 ms for one organisation among 130,000 matches, against under 1 ms.)"""
    organizations = list(organizations)
    matches = Match.objects.order_by()  # no ORDER BY inside the union
    by_achievement = matches.filter(
        achievement_id__in=Achievement.objects.filter(organization_id__in=organizations).values("pk")
    ).values("pk")
    by_need = matches.filter(need_id__in=Need.objects.filter(organization_id__in=organizations).values("pk"))
    return Q(pk__in=by_achievement.union(by_need.values("pk"), all=True))


def match_visible_to(*, user: User | AnonymousUser) -> QuerySet[Match]:
    """The one scoping function for matches: staff see all; members see their organisations' released matches, and
    brokers those of the listings they work (``brokers``)."""
    queryset = Match.objects.select_related(
        "achievement__organization", "need__organization", "achievement__province", "need__province"
    )
    if not user.is_authenticated:
        return queryset.none()
    if staff_may(user, "matching.view_match"):
        return queryset
    organizations = user_organization_ids(user=user)
    scope = organizations_matches_q(organizations)
    brokered = brokered_listings(user=user)
    if brokered:  # a broker: the matches of the listings they were appointed to, besides their own
        scope |= Q(achievement_id__in=list(brokered.achievements)) | Q(need_id__in=list(brokered.needs))
    return queryset.filter(scope, released_q())


def posting_contact(posting: Achievement | Need) -> dict[str, str]:
    """The way to reach a posting's side, shown once both sides accepted a match (the page and the API use this).

    The posting's own contact when it gives a phone or an e-mail; else its organisation's contact (the same test);
    else its author's name and e-mail; else (an imported posting without an author) the organisation's first
    owner's. ``source`` says which: "posting", "organization", "author" or "member". A name alone reaches nobody,
    so it does not count. Besides this the reveal always offers the match's conversation."""
    if posting.contact_phone or posting.contact_email:
        return {"name": posting.contact_name, "phone": posting.contact_phone, "email": posting.contact_email,
                "source": "posting"}  # fmt: skip
    organization = posting.organization
    if organization.contact_phone or organization.contact_email:
        return {"name": organization.contact_name or organization.name, "phone": organization.contact_phone,
                "email": organization.contact_email, "source": "organization"}  # fmt: skip
    person, source = posting.created_by, "author"
    if person is None:
        membership = organization.memberships.select_related("user").order_by("-role", "created_at").first()
        person, source = (membership.user if membership else None), "member"
    if person is None:
        return {"name": organization.name, "phone": "", "email": "", "source": "organization"}
    return {"name": person.full_name or person.email, "phone": "", "email": person.email, "source": source}


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
