"""Reads with rules for alerts: a user's own alerts (another's are a 404), what is due, and what is new for one.

``postings_new`` builds the list page's results exactly as ``marketplace.views.posting_list`` does (what the user may
see, on the market, through the page's FilterSet, ranked search included) and keeps those published within the
digest's period, so that a saved search finds what the page would show for its filters.

New matches are the user's organisations' matches as ``matching.selectors.match_visible_to`` shows them (its
release rule decides), in a status the sides act on (approved, in contact, deal), released within the period: staff
approval is when a match goes to the sides, recorded as a ``MatchEvent`` to "approved" (the latest such event, so a
match approved again after being withdrawn counts as new again).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_organization_ids
from marketplace.models import Achievement, Need
from marketplace.selectors import posting_live, posting_visible_to
from matching.models import Match, MatchEvent
from matching.selectors import match_visible_to, organizations_matches_q

from .criteria import filterset_class
from .models import Follow, Frequency, SavedSearch

MODELS: dict[str, type[Achievement] | type[Need]] = {"achievements": Achievement, "needs": Need}
DIGEST_STATUSES = (Match.Status.APPROVED, Match.Status.IN_CONTACT, Match.Status.DEAL)
WEEKLY_WEEKDAY = 0  # Monday
WEEK_SECONDS = 7 * 24 * 3600


def saved_searches_of(*, user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user)


def follows_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user).select_related("domain", "province", "cluster")


def list_results(*, kind: str, params: dict[str, str], user: User) -> QuerySet[Achievement] | QuerySet[Need]:
    """What the list page shows for these (normalised, so status-free) filters to this user."""
    model = MODELS[kind]
    queryset = posting_live(posting_visible_to(model=model, user=user))
    filterset = filterset_class(kind)(params or None, queryset=queryset)
    if filterset.is_bound and filterset.is_valid():
        return filterset.qs
    return queryset if not params else queryset.none()


def postings_new(
    *, kind: str, params: dict[str, str], user: User, since: datetime, until: datetime
) -> QuerySet[Achievement] | QuerySet[Need]:
    """The list page's results for these filters that were published in (since, until], newest first."""
    return (
        list_results(kind=kind, params=params, user=user)
        .filter(published_at__gt=since, published_at__lte=until)
        .order_by("-published_at", "-pk")
    )


def matches_released(*, user: User, since: datetime, until: datetime) -> QuerySet[Match]:
    """Matches of the user's organisations released to them in (since, until], newest first."""
    released = MatchEvent.objects.filter(
        match=OuterRef("pk"), to_status=Match.Status.APPROVED, at__gt=since, at__lte=until
    )
    organizations = user_organization_ids(user=user)  # staff see every match; their digest lists their own
    return (
        match_visible_to(user=user)
        .filter(organizations_matches_q(organizations))
        .filter(status__in=DIGEST_STATUSES)
        .filter(Exists(released))
        .order_by("-reviewed_at", "-pk")
    )


def is_due(*, frequency: str, since: datetime, now: datetime) -> bool:
    """Daily alerts are due at every run; weekly ones on Mondays (local time), or once a week has passed (a Monday
    run missed); paused ones never."""
    if frequency == Frequency.DAILY:
        return since < now
    if frequency == Frequency.WEEKLY:
        monday = timezone.localdate(now).weekday() == WEEKLY_WEEKDAY
        return since < now and (monday or (now - since).total_seconds() >= WEEK_SECONDS)
    return False


def due_alerts_of(*, user: User, now: datetime) -> list[SavedSearch | Follow]:
    alerts: list[SavedSearch | Follow] = [*saved_searches_of(user=user), *follows_of(user=user)]
    return [alert for alert in alerts if is_due(frequency=alert.frequency, since=alert.since, now=now)]


def users_with_active_alerts() -> QuerySet[User]:
    """Active users with an alert not paused (the candidates of a digest run), by id."""
    searches = SavedSearch.objects.filter(user=OuterRef("pk")).exclude(frequency=Frequency.PAUSED)
    follows = Follow.objects.filter(user=OuterRef("pk")).exclude(frequency=Frequency.PAUSED)
    return User.objects.filter(is_active=True).filter(Exists(searches) | Exists(follows)).order_by("pk")


def unsubscribe_targets(*, user_id: int, what: str, alert_id: int | None) -> list[SavedSearch | Follow]:
    """The alerts an unsubscribe link names (its user's own only): one, or all of the user's."""
    from . import tokens

    searches = SavedSearch.objects.filter(user_id=user_id)
    follows = Follow.objects.filter(user_id=user_id).select_related("domain", "province", "cluster")
    if what == tokens.SEARCH:
        return list(searches.filter(pk=alert_id))
    if what == tokens.FOLLOW:
        return list(follows.filter(pk=alert_id))
    return [*searches, *follows]
