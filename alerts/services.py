"""Every write of alerts: saving, renaming, re-timing, pausing and deleting saved searches and follows, the
one-click unsubscribe, and the digest (record, notification, e-mail).

A user has at most ``MAX_SAVED_SEARCHES`` saved searches and ``MAX_FOLLOWS`` follows. An alert resumed from pause
starts from the moment it is resumed (what was published while it was paused is not sent).

The digest (``digests_send_due``, run daily by Celery beat) goes through the users with an alert not paused, in
chunks of ``CHUNK`` ids, one transaction each (``digest_send``): with the user's row locked, it does nothing when a
digest was already recorded for the user and this period (the local day), so a second run sends nothing; otherwise
it lists what is new for the due alerts, moves their ``last_digest_at`` to the run's time (also when nothing was
new), and, when something was new, records the ``Digest``, adds the same list as a notification for this member
alone, and sends one e-mail (text and HTML, with List-Unsubscribe) once the transaction commits.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.services import organization_notify
from core.exceptions import ApplicationError, PermissionDenied
from core.tasks import enqueue
from reference.models import Cluster, Domain, Province

from . import digests, tokens
from .criteria import default_name, normalise, query_string
from .models import Digest, Follow, Frequency, SavedSearch
from .selectors import due_alerts_of, follows_of, saved_searches_of, users_with_active_alerts

logger = logging.getLogger(__name__)

MAX_SAVED_SEARCHES = 20
MAX_FOLLOWS = 30
CHUNK = 200
TARGET_MODELS: dict[str, type[Domain] | type[Province] | type[Cluster]] = {
    "domain": Domain,
    "province": Province,
    "cluster": Cluster,
}


def _frequency(value: str) -> str:
    if value not in Frequency.values:
        raise ApplicationError(_("Choose daily, weekly or paused."), field="frequency")
    return value


def _own(alert: SavedSearch | Follow, user: User) -> None:
    if alert.user_id != user.pk:
        raise PermissionDenied(_("This alert is not yours."))


def _set_frequency(alert: SavedSearch | Follow, frequency: str) -> None:
    if alert.frequency == Frequency.PAUSED and frequency != Frequency.PAUSED:
        alert.last_digest_at = timezone.now()  # resumed: from now on
    alert.frequency = frequency


@transaction.atomic
def saved_search_create(
    *, user: User, kind: str, data: Any, name: str = "", frequency: str = Frequency.DAILY
) -> SavedSearch:
    """Save the list page's filters (``data``: its query) as an alert of this user."""
    params = normalise(kind=kind, data=data)
    frequency = _frequency(frequency)
    query = query_string(params)
    if len(query) > SavedSearch._meta.get_field("query").max_length:
        raise ApplicationError(_("This search is too long to save."), field="q")
    User.objects.select_for_update().filter(pk=user.pk).first()  # one count at a time per user
    if saved_searches_of(user=user).filter(kind=kind, query=query).exists():
        raise ApplicationError(_("You have saved this search already."))
    if saved_searches_of(user=user).count() >= MAX_SAVED_SEARCHES:
        raise ApplicationError(
            _("You have %(max)d saved searches, the most there may be; delete one first.") % {"max": MAX_SAVED_SEARCHES}
        )
    name = " ".join(name.split())[:100] or default_name(kind=kind, params=params)
    return SavedSearch.objects.create(user=user, kind=kind, params=params, query=query, name=name, frequency=frequency)


@transaction.atomic
def saved_search_update(*, search: SavedSearch, user: User, name: str, frequency: str) -> SavedSearch:
    _own(search, user)
    name = " ".join(name.split())[:100]
    if not name:
        raise ApplicationError(_("Give the search a name."), field="name")
    search = SavedSearch.objects.select_for_update().get(pk=search.pk)
    search.name = name
    _set_frequency(search, _frequency(frequency))
    search.save(update_fields=["name", "frequency", "last_digest_at"])
    return search


@transaction.atomic
def saved_search_delete(*, search: SavedSearch, user: User) -> None:
    _own(search, user)
    search.delete()


@transaction.atomic
def follow_create(*, user: User, target: str, value: str, frequency: str = Frequency.DAILY) -> Follow:
    """Follow a domain (with its subdomains), a province or a regional cluster: new postings of both kinds."""
    model = TARGET_MODELS.get(target)
    if model is None:
        raise ApplicationError(_("Follow a domain, a province or a regional cluster."), field="target")
    row = model.objects.filter(pk=value).first()
    if row is None:
        raise ApplicationError(_("Choose one from the list."), field=target)
    frequency = _frequency(frequency)
    User.objects.select_for_update().filter(pk=user.pk).first()
    if follows_of(user=user).filter(**{target: row}).exists():
        raise ApplicationError(_("You follow %(name)s already.") % {"name": row.name}, field=target)
    if follows_of(user=user).count() >= MAX_FOLLOWS:
        raise ApplicationError(
            _("You follow %(max)d things, the most there may be; stop following one first.") % {"max": MAX_FOLLOWS}
        )
    return Follow.objects.create(user=user, frequency=frequency, **{target: row})


@transaction.atomic
def follow_update(*, follow: Follow, user: User, frequency: str) -> Follow:
    _own(follow, user)
    follow = Follow.objects.select_for_update().get(pk=follow.pk)
    _set_frequency(follow, _frequency(frequency))
    follow.save(update_fields=["frequency", "last_digest_at"])
    return follow


@transaction.atomic
def follow_delete(*, follow: Follow, user: User) -> None:
    _own(follow, user)
    follow.delete()


@transaction.atomic
def alerts_pause(*, alerts: list[SavedSearch | Follow]) -> int:
    """Pause these alerts (staff, in admin)."""
    paused = 0
    for alert in alerts:
        if alert.frequency != Frequency.PAUSED:
            type(alert).objects.filter(pk=alert.pk).update(frequency=Frequency.PAUSED)
            paused += 1
    return paused


@transaction.atomic
def unsubscribe(*, token: str) -> int:
    """Pause the alert the digest's link names (or every alert of its user): no login, the signed token is the
    proof. Returns how many alerts it paused (0: paused or deleted already). A token not ours is refused."""
    request = tokens.read(token)
    if request is None:
        raise ApplicationError(_("This unsubscribe link is not valid."))
    searches = SavedSearch.objects.filter(user_id=request.user_id).exclude(frequency=Frequency.PAUSED)
    follows = Follow.objects.filter(user_id=request.user_id).exclude(frequency=Frequency.PAUSED)
    if request.what == tokens.SEARCH:
        follows, searches = follows.none(), searches.filter(pk=request.alert_id)
    elif request.what == tokens.FOLLOW:
        searches, follows = searches.none(), follows.filter(pk=request.alert_id)
    return searches.update(frequency=Frequency.PAUSED) + follows.update(frequency=Frequency.PAUSED)


# --- The digest -------------------------------------------------------------------------------------------------


def digests_send_due(*, now: datetime | None = None) -> int:
    """Send the digests due at ``now`` (default: the present), users in chunks; returns how many were sent."""
    now = now or timezone.now()
    sent, last_id = 0, 0
    while True:
        chunk = list(users_with_active_alerts().filter(pk__gt=last_id)[:CHUNK])
        if not chunk:
            return sent
        for user in chunk:
            try:
                sent += digest_send(user=user, now=now) is not None
            except IntegrityError:  # another run recorded this user's digest for the period first: nothing to do
                continue
            except Exception:  # one user's failure does not stop the others'; it is logged, and retried next run
                logger.exception("alerts: the digest of user %s failed", user.pk)
        last_id = chunk[-1].pk


def _organization_of(user: User) -> Membership | None:
    return user.memberships.select_related("organization").order_by("created_at", "pk").first()


@transaction.atomic
def digest_send(*, user: User, now: datetime) -> Digest | None:
    """One user's digest for the period of ``now`` (see the module's docstring); None when nothing was sent."""
    period = timezone.localdate(now)
    User.objects.select_for_update().filter(pk=user.pk).first()  # a second run for this user waits, then sees the log
    if Digest.objects.filter(user=user, period=period).exists():
        return None
    alerts = due_alerts_of(user=user, now=now)
    if not alerts:
        return None
    last = Digest.objects.filter(user=user).order_by("-sent_at").first()
    matches_since = last.sent_at if last is not None else min(alert.since for alert in alerts)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        content = digests.compose(user=user, alerts=alerts, matches_since=matches_since, now=now)
        rendered = None if content.empty else digests.render(content)
    for model in (SavedSearch, Follow):
        model.objects.filter(pk__in=[a.pk for a in alerts if isinstance(a, model)]).update(last_digest_at=now)
    if rendered is None:
        return None
    digest = Digest.objects.create(
        user=user,
        period=period,
        sent_at=now,
        matches_since=matches_since,
        posting_count=content.posting_count,
        match_count=content.match_count,
        items=content.recorded(),
        subject=rendered.subject,
    )
    membership = _organization_of(user)
    if membership is not None:  # notifications belong to an organisation: this one, for this member alone
        organization_notify(
            organization=membership.organization,
            subject=rendered.notification_subject,
            body=rendered.notification_body,
            link=reverse("alerts:index"),
            user=user,
            mail=False,
        )
    _mail_on_commit(user=user, rendered=rendered, unsubscribe_url=content.unsubscribe_all_url)
    return digest


def _mail_on_commit(*, user: User, rendered: digests.Rendered, unsubscribe_url: str) -> None:
    headers = {}
    if unsubscribe_url.startswith(("https://", "http://")):  # the header takes an absolute URL only (SITE_URL set)
        headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

    def send() -> None:
        from .tasks import digest_mail_task

        try:
            queued = enqueue(digest_mail_task, rendered.subject, rendered.text, rendered.html, user.email, headers)
        except Exception:  # failed for good where tasks run eagerly: said, not swallowed
            queued = False
        if not queued:
            logger.error("digest not sent: %r to %s", rendered.subject, user.email)

    transaction.on_commit(send)
