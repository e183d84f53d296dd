"""Reads for the dashboards: each role's home and the statistics page.

Design decisions:

- Every figure is aggregated in SQL (``values`` + ``annotate(Count)``); Python only walks aggregated rows (at most
  one per province and city, per pair of places, per month, per distinct reason), never the postings or matches
  themselves, so the page stays fast with 100k postings.
- The home's match counts per posting are ONE query (a ``UNION ALL`` of the achievement side and the need side, each
  grouped by posting and status) over ``match_visible_to``: a member counts only the matches their organisation may
  see (no staff suggestions or rejections), and the number of queries does not grow with the number of postings.
- Platform aggregates are the same for every reader, so they are cached for ``CACHE_SECONDS`` under codes and ids;
  labels are put on at rendering time, in the reader's language (``reference`` rows have zh and en names).
- A posting belongs to the clusters of its province and of its city (a cluster such as the G60 corridor lists
  single cities). One posting (or match) in two clusters counts in both, so cluster rows may sum to more than the
  total; a posting in no cluster counts under ``NO_CLUSTER``.
- The match funnel counts, per month, the matches that first reached each stage then: suggested (the match was
  created), released (first ``MatchEvent`` to ``approved``, by staff or by the platform's release rule), accepted
  (a side's first ``accept``), in contact (first event to ``in_contact``) and deal (first event to ``deal``). A
  match restored and released again counts once.
- Decline and rejection reasons are grouped after normalising in SQL (trimmed, lower-cased, end punctuation
  dropped). Organisers see only reasons given at least twice (a pattern, not one party's note); staff see all.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Lower, Replace, Trim, TruncMonth
from django.utils import timezone

from accounts.models import Organization, User
from accounts.selectors import staff_may, user_organization_ids
from brokers.selectors import brokered_listings
from events.models import Event, EventAgreement, Meeting, Registration
from events.selectors import event_calendar_order, event_visible_to
from marketplace.models import Achievement, Need, Status
from marketplace.selectors import posting_live
from matching.models import Agreement, Match, MatchEvent
from matching.selectors import match_visible_to
from reference.models import Cluster, Domain, Province

CACHE_SECONDS = 300
T = TypeVar("T")
NO_CLUSTER = ""
POSTING_MODELS: dict[str, type[Achievement] | type[Need]] = {"achievements": Achievement, "needs": Need}
FUNNEL_STAGES = ("suggested", "released", "accepted", "in_contact", "deal")
ACCEPTED_STATUSES = (Match.Status.IN_CONTACT, Match.Status.DEAL)
WAITING_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.REJECTED)


def _cached(key: str, compute: Callable[[], T]) -> T:
    """The value under ``key``, computed and kept for ``CACHE_SECONDS`` when missing."""
    return cache.get_or_set(f"dashboard:{key}", compute, CACHE_SECONDS)


# --- Who reads what --------------------------------------------------------------------------------------------


def organiser_organization_ids(*, user: User | AnonymousUser) -> set[int]:
    """The user's organisations that are organisers (they run events)."""
    ids = user_organization_ids(user=user) if user.is_authenticated else set()
    if not ids:
        return set()
    return set(Organization.objects.filter(pk__in=ids, kind=Organization.Kind.ORGANISER).values_list("pk", flat=True))


def statistics_role(*, user: User | AnonymousUser) -> str | None:
    """ "staff" (everything), "organiser" (platform aggregates and their own events) or None (no statistics)."""
    if not user.is_authenticated:
        return None
    if staff_may(user, "matching.view_match"):
        return "staff"
    return "organiser" if organiser_organization_ids(user=user) else None


# --- Home: an organisation's things ----------------------------------------------------------------------------


def posting_match_counts(
    *, user: User | AnonymousUser, organization_ids: Iterable[int]
) -> dict[tuple[str, int], dict[str, int]]:
    """``{(kind, posting id): {match status: count}}`` for the postings of these organisations, counting the
    matches the user may see; one query whatever the number of postings."""
    organizations = list(organization_ids)
    if not organizations:
        return {}
    visible = match_visible_to(user=user).order_by()

    def side(field: str, kind: str) -> QuerySet:
        return (
            visible.filter(**{f"{field}__organization_id__in": organizations})
            .values(f"{field}_id", "status")
            .annotate(kind=Value(kind), n=Count("pk"))
            .values_list("kind", f"{field}_id", "status", "n")
        )

    counts: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    for kind, posting_id, status, n in side("achievement", "achievements").union(side("need", "needs"), all=True):
        counts[(kind, posting_id)][status] = n
    return dict(counts)


def match_count_badges(counts: dict[str, int] | None) -> list[tuple[str, str, int]]:
    """(status, label, count) in the life cycle's order, for the statuses that have matches."""
    counts = counts or {}
    return [(value, str(label), counts[value]) for value, label in Match.Status.choices if counts.get(value)]


def attach_match_counts(
    postings: Iterable[Achievement | Need], *, kind: str, counts: dict[tuple[str, int], dict[str, int]]
) -> None:
    """Give each posting shown its ``match_counts`` badges (a page's postings, not all of them)."""
    for posting in postings:
        posting.match_counts = match_count_badges(counts.get((kind, posting.pk)))  # type: ignore[union-attr]


def annotate_match_counts(
    *, user: User, organization_ids: Iterable[int], postings_by_kind: dict[str, Sequence[Achievement | Need]]
) -> None:
    """The match counts of "my organisation" (registered in ``marketplace.hooks`` by ``DashboardConfig.ready``)."""
    counts = posting_match_counts(user=user, organization_ids=organization_ids)
    for kind, postings in postings_by_kind.items():
        attach_match_counts(postings, kind=kind, counts=counts)


def home_postings(
    *, user: User, organization_ids: Iterable[int], limit: int = 10
) -> dict[str, list[Achievement | Need]]:
    """The organisations' most recently changed postings of each kind, with their match counts."""
    organizations = list(organization_ids)
    counts = posting_match_counts(user=user, organization_ids=organizations)
    postings: dict[str, list[Achievement | Need]] = {}
    for kind, model in POSTING_MODELS.items():
        rows = list(
            model.objects.filter(organization_id__in=organizations)
            .select_related("organization")
            .order_by("-updated_at", "-pk")[:limit]
        )
        attach_match_counts(rows, kind=kind, counts=counts)
        postings[kind] = rows
    return postings


def posting_totals(*, organization_ids: Iterable[int]) -> dict[str, dict[str, int]]:
    """``{kind: {posting status: count}}`` for the organisations (one grouped query per kind)."""
    organizations = list(organization_ids)
    return {
        kind: dict(
            model.objects.filter(organization_id__in=organizations)
            .order_by()
            .values_list("status")
            .annotate(n=Count("pk"))
        )
        for kind, model in POSTING_MODELS.items()
    }


def postings_waiting(*, organization_ids: Iterable[int], limit: int = 10) -> dict[str, list[Achievement | Need]]:
    """Drafts, postings submitted or rejected, and published postings whose edit waits for staff."""
    organizations = list(organization_ids)
    return {
        kind: list(
            model.objects.filter(organization_id__in=organizations)
            .filter(Q(status__in=WAITING_STATUSES) | Q(held_edit__isnull=False))
            .order_by("-updated_at", "-pk")[:limit]
        )
        for kind, model in POSTING_MODELS.items()
    }


def matches_awaiting_answer(*, user: User, organization_ids: Iterable[int]) -> QuerySet[Match]:
    """Released matches where the organisations' side has not answered yet (or the side of a listing the user works
    as a broker)."""
    organizations = list(organization_ids)
    pending = Match.Decision.PENDING
    brokered = brokered_listings(user=user)
    return (
        match_visible_to(user=user)
        .filter(status=Match.Status.APPROVED)
        .filter(
            Q(achievement__organization_id__in=organizations, achievement_decision=pending)
            | Q(need__organization_id__in=organizations, need_decision=pending)
            | Q(achievement_id__in=list(brokered.achievements), achievement_decision=pending)
            | Q(need_id__in=list(brokered.needs), need_decision=pending)
        )
        .order_by("-reviewed_at", "-score", "-pk")
    )


def upcoming_registrations(*, user: User, organization_ids: Iterable[int]) -> QuerySet[Registration]:
    """The organisations' registrations (not cancelled) for events that have not ended, soonest first."""
    return (
        Registration.objects.filter(organization_id__in=list(organization_ids), event__ends_at__gte=timezone.now())
        .exclude(status=Registration.Status.CANCELLED)
        .filter(event__in=event_visible_to(user).values("pk"))
        .select_related("event__organizer", "event__city")
        .order_by("event__starts_at", "pk")
    )


def organiser_events(*, organization_ids: Iterable[int]) -> QuerySet[Event]:
    """The organisers' events, upcoming first, each with its waiting list (``waiting``) beside its places."""
    waiting = Count("registrations", filter=Q(registrations__status=Registration.Status.WAITING))
    return event_calendar_order(Event.objects.filter(organizer_id__in=list(organization_ids)).annotate(waiting=waiting))


@dataclass(frozen=True)
class StaffQueues:
    achievements_to_review: int
    needs_to_review: int
    held_edits: int
    matches_to_review: int


def staff_queues() -> StaffQueues:
    """What waits for platform staff: submitted postings, edits held for review, suggested matches."""
    submitted = {kind: model.objects.filter(status=Status.SUBMITTED).count() for kind, model in POSTING_MODELS.items()}
    held = sum(model.objects.filter(held_edit__isnull=False).count() for model in POSTING_MODELS.values())
    return StaffQueues(
        achievements_to_review=submitted["achievements"],
        needs_to_review=submitted["needs"],
        held_edits=held,
        matches_to_review=Match.objects.filter(status=Match.Status.SUGGESTED).count(),
    )


def posting_matches_for_owner(*, user: User | AnonymousUser, posting: Achievement | Need) -> QuerySet[Match] | None:
    """The matches of one posting for its own organisation's members (None for anyone else: they see nothing of
    them), limited to the matches they may see."""
    if not user.is_authenticated or posting.organization_id not in user_organization_ids(user=user):
        return None
    field = "achievement" if isinstance(posting, Achievement) else "need"
    return match_visible_to(user=user).filter(**{field: posting}).order_by("-score", "-pk")


# --- Statistics: labels ----------------------------------------------------------------------------------------


def reference_names() -> dict[str, dict[str, tuple[str, str]]]:
    """Chinese and English names of top-level domains, provinces and clusters, by code (cached)."""

    def compute() -> dict[str, dict[str, tuple[str, str]]]:
        return {
            "domain": {
                d.code: (d.name_zh, d.name_en) for d in Domain.objects.filter(parent__isnull=True).order_by("position")
            },
            "province": {p.code: (p.name_zh, p.name_en) for p in Province.objects.order_by("code")},
            "cluster": {c.code: (c.name_zh, c.name_en) for c in Cluster.objects.order_by("code")},
        }

    return _cached("names", compute)


def _cluster_membership() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Which clusters each province and each city belongs to (cached)."""

    def compute() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        by_province: dict[str, set[str]] = defaultdict(set)
        by_city: dict[str, set[str]] = defaultdict(set)
        for cluster_id, province_id in Cluster.provinces.through.objects.values_list("cluster_id", "province_id"):
            by_province[province_id].add(cluster_id)
        for cluster_id, city_id in Cluster.cities.through.objects.values_list("cluster_id", "city_id"):
            by_city[city_id].add(cluster_id)
        return dict(by_province), dict(by_city)

    return _cached("clusters", compute)


def _clusters_of(province_id: str | None, city_id: str | None) -> set[str]:
    by_province, by_city = _cluster_membership()
    found = by_province.get(province_id or "", set()) | by_city.get(city_id or "", set())
    return found or {NO_CLUSTER}


# --- Statistics: postings --------------------------------------------------------------------------------------


def postings_by_domain() -> dict[str, dict[str, int]]:
    """``{top-level domain code: {kind: published postings}}``; a posting counts once per top-level domain."""

    def compute() -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(POSTING_MODELS, 0))
        for kind, model in POSTING_MODELS.items():
            rows = (
                posting_live(model.objects.all())
                .annotate(top=Coalesce(F("domains__parent_id"), F("domains__code")))
                .filter(top__isnull=False)
                .values("top")
                .annotate(n=Count("pk", distinct=True))
                .order_by()
            )
            for row in rows:
                result[row["top"]][kind] = row["n"]
        return {code: dict(kinds) for code, kinds in result.items()}

    return _cached("by_domain", compute)


def postings_by_place() -> dict[str, dict[str, dict[str, int]]]:
    """``{"province": {code: {kind: n}}, "cluster": {code: {kind: n}}}`` of published postings, from one query per
    kind grouped by province and city."""

    def compute() -> dict[str, dict[str, dict[str, int]]]:
        provinces: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(POSTING_MODELS, 0))
        clusters: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(POSTING_MODELS, 0))
        for kind, model in POSTING_MODELS.items():
            rows = (
                posting_live(model.objects.all())
                .values_list("province_id", "city_id")
                .annotate(n=Count("pk"))
                .order_by()
            )
            for province_id, city_id, n in rows:
                provinces[province_id][kind] += n
                for cluster in _clusters_of(province_id, city_id):
                    clusters[cluster][kind] += n
        return {
            "province": {code: dict(v) for code, v in provinces.items()},
            "cluster": {code: dict(v) for code, v in clusters.items()},
        }

    return _cached("by_place", compute)


# --- Statistics: the match funnel ------------------------------------------------------------------------------


def month_starts(*, months: int, today: datetime.date | None = None) -> list[datetime.date]:
    """The first days of the last ``months`` months, the current one last (local dates)."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _first_reach(stage: Q) -> QuerySet[MatchEvent]:
    """The events by which each match first reached a stage (no earlier event of the same match reached it)."""
    earlier = MatchEvent.objects.filter(stage, match_id=OuterRef("match_id")).filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    )
    return MatchEvent.objects.filter(stage).filter(~Exists(earlier))


STAGE_EVENTS = {
    "released": Q(to_status=Match.Status.APPROVED),
    "accepted": Q(action="accept"),
    "in_contact": Q(to_status=Match.Status.IN_CONTACT),
    "deal": Q(to_status=Match.Status.DEAL),
}


def _month_key(value: datetime.datetime | datetime.date) -> str:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def match_funnel(*, months: int = 12) -> list[tuple[str, dict[str, int]]]:
    """``[(YYYY-MM, {stage: matches})]`` for the last ``months`` months, oldest first, zeros included."""

    def compute() -> list[tuple[str, dict[str, int]]]:
        starts = month_starts(months=months)
        since = timezone.make_aware(datetime.datetime.combine(starts[0], datetime.time.min))
        table = {_month_key(start): dict.fromkeys(FUNNEL_STAGES, 0) for start in starts}
        created = (
            Match.objects.filter(created_at__gte=since)
            .annotate(month=TruncMonth("created_at"))
            .values_list("month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for month, n in created:
            table.setdefault(_month_key(month), dict.fromkeys(FUNNEL_STAGES, 0))["suggested"] += n
        for stage, condition in STAGE_EVENTS.items():
            rows = (
                _first_reach(condition)
                .filter(at__gte=since)
                .annotate(month=TruncMonth("at"))
                .values_list("month")
                .annotate(n=Count("match_id", distinct=True))
                .order_by()
            )
            for month, n in rows:
                table.setdefault(_month_key(month), dict.fromkeys(FUNNEL_STAGES, 0))[stage] += n
        return sorted(table.items())

    return _cached(f"funnel:{months}", compute)


# --- Statistics: flows between clusters ------------------------------------------------------------------------

_PLACES = ("achievement__province_id", "achievement__city_id", "need__province_id", "need__city_id")


def cluster_flows() -> dict[str, dict[tuple[str, str], int]]:
    """``{"matches": {(achievement's cluster, need's cluster): n}, "agreements": {...}}``: matches both sides
    accepted (in contact or deal) and agreements recorded with a need, from the achievement's cluster to the
    need's."""

    def flows(queryset: QuerySet) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = defaultdict(int)
        for a_province, a_city, n_province, n_city, n in (
            queryset.values_list(*_PLACES).annotate(n=Count("pk")).order_by()
        ):
            for source in _clusters_of(a_province, a_city):
                for target in _clusters_of(n_province, n_city):
                    result[(source, target)] += n
        return dict(result)

    def compute() -> dict[str, dict[tuple[str, str], int]]:
        return {
            "matches": flows(Match.objects.filter(status__in=ACCEPTED_STATUSES)),
            "agreements": flows(Agreement.objects.filter(need__isnull=False)),
        }

    return _cached("flows", compute)


# --- Statistics: reasons ---------------------------------------------------------------------------------------

REASON_FIELDS = {
    "declined": ("decline_reason", Match.Status.DECLINED),
    "rejected": ("review_reason", Match.Status.REJECTED),
}


def _normalised(field: str) -> Lower:
    text = F(field)
    for mark in ("。", "！", "!", "．"):
        text = Replace(text, Value(mark), Value(""), output_field=TextField())
    return Lower(Trim(text, output_field=TextField()), output_field=TextField())


def match_reasons(*, kind: str, min_count: int = 1, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent reasons (normalised) why sides declined (``declined``) or staff rejected (``rejected``)
    matches, with how often; ``min_count`` leaves out rarer ones."""
    field, status = REASON_FIELDS[kind]

    def compute() -> list[tuple[str, int]]:
        rows = (
            Match.objects.filter(status=status)
            .exclude(**{field: ""})
            .annotate(reason=_normalised(field))
            .exclude(reason="")
            .values_list("reason")
            .annotate(n=Count("pk"))
            .order_by("-n", "reason")[:50]
        )
        return [(reason, n) for reason, n in rows]

    return [(reason, n) for reason, n in _cached(f"reasons:{kind}", compute) if n >= min_count][:limit]


# --- Statistics: events ----------------------------------------------------------------------------------------


def _count(queryset: QuerySet, key: str = "event") -> Coalesce:
    subquery = queryset.filter(**{key: OuterRef("pk")}).order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))


def event_outcomes(*, organizer_ids: Iterable[int] | None = None, limit: int = 100) -> QuerySet[Event]:
    """Events (not drafts), latest first, each with its registrations (not cancelled), confirmed places, people
    checked in, meetings held and agreements signed; ``organizer_ids`` restricts them to those organisers'."""
    events = Event.objects.exclude(status=Event.Status.DRAFT)
    if organizer_ids is not None:
        events = events.filter(organizer_id__in=list(organizer_ids))
    active = Registration.objects.exclude(status=Registration.Status.CANCELLED)
    return events.annotate(
        n_registrations=_count(active),
        n_confirmed=_count(Registration.objects.filter(status=Registration.Status.CONFIRMED)),
        n_attended=_count(Registration.objects.filter(checked_in_at__isnull=False)),
        n_meetings=_count(Meeting.objects.filter(status=Meeting.Status.ACCEPTED)),
        n_agreements=_count(EventAgreement.objects.all()),
    ).order_by("-starts_at", "-pk")[:limit]


def event_outcome_totals(*, organizer_ids: Iterable[int] | None = None) -> dict[str, int]:
    """The same figures summed over every event in scope (not only the rows shown)."""
    events = Event.objects.exclude(status=Event.Status.DRAFT)
    if organizer_ids is not None:
        events = events.filter(organizer_id__in=list(organizer_ids))
    in_scope = {"event__in": events.values("pk")}
    registrations = Registration.objects.filter(**in_scope)
    return {
        "events": events.count(),
        "registrations": registrations.exclude(status=Registration.Status.CANCELLED).count(),
        "confirmed": registrations.filter(status=Registration.Status.CONFIRMED).count(),
        "attended": registrations.filter(checked_in_at__isnull=False).count(),
        "meetings": Meeting.objects.filter(status=Meeting.Status.ACCEPTED, **in_scope).count(),
        "agreements": EventAgreement.objects.filter(**in_scope).count(),
        "capacity": events.aggregate(total=Sum("capacity"))["total"] or 0,
    }
