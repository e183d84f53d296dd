"""What one user's digest lists, and the digest written out (e-mail text and HTML, the notification's text).

Reads and rendering only; ``alerts.services.digest_send`` records, notifies and mails. Called with the user's
language active, so that titles of follows, kinds and every sentence are in the reader's language.

Bounded: each alert lists at most ``ALERT_ITEMS`` postings and the whole digest ``DIGEST_ITEMS`` (then "and N
more", linking to the list page with the alert's filters); at most ``MATCH_ITEMS`` matches (then a link to the
matches page). A posting found by two alerts is listed under the first one only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.site import absolute_url
from marketplace.models import Achievement, Need
from matching.models import Match

from . import tokens
from .criteria import list_url
from .models import Follow, SavedSearch
from .selectors import matches_released, postings_new

ALERT_ITEMS = 10
DIGEST_ITEMS = 50
MATCH_ITEMS = 10
IDS_READ = 500  # new postings read per alert and kind (to leave out those listed already, and count the rest)


@dataclass
class Item:
    kind: str  # achievements or needs
    pk: int
    title: str
    place: str
    url: str
    published_at: datetime

    @property
    def kind_label(self) -> str:
        return _("Achievement") if self.kind == "achievements" else _("Need")


@dataclass
class Section:
    alert: SavedSearch | Follow
    title: str
    items: list[Item] = field(default_factory=list)
    more: int = 0
    more_links: list[tuple[str, str]] = field(default_factory=list)
    unsubscribe_url: str = ""
    manage_url: str = ""


@dataclass
class MatchItem:
    pk: int
    title: str
    status: str
    url: str


@dataclass
class Content:
    user: User
    sections: list[Section]
    matches: list[MatchItem]
    matches_more: int
    matches_url: str
    alerts_url: str
    unsubscribe_all_url: str

    @property
    def posting_count(self) -> int:
        return sum(len(section.items) + section.more for section in self.sections)

    @property
    def match_count(self) -> int:
        return len(self.matches) + self.matches_more

    @property
    def empty(self) -> bool:
        return not self.posting_count and not self.match_count

    def recorded(self) -> dict[str, object]:
        """What was listed, for the digest's log."""
        return {
            "alerts": [
                {
                    "type": "search" if isinstance(section.alert, SavedSearch) else "follow",
                    "id": section.alert.pk,
                    "postings": [[item.kind, item.pk] for item in section.items],
                    "more": section.more,
                }
                for section in self.sections
            ],
            "matches": [match.pk for match in self.matches],
        }


def alert_title(alert: SavedSearch | Follow) -> str:
    """The alert as the reader calls it: a saved search by its name, a follow by what it follows."""
    if isinstance(alert, SavedSearch):
        return alert.name
    labels = {"domain": _("Domain"), "province": _("Province"), "cluster": _("Regional cluster")}
    return _("%(what)s: %(name)s") % {"what": labels[alert.target_field], "name": alert.target.name}


def _section(alert: SavedSearch | Follow, *, user: User, since: datetime, until: datetime, room: int,
             seen: set[tuple[str, int]]) -> Section:  # fmt: skip
    found: list[tuple[datetime, str, Achievement | Need]] = []
    more_links = []
    for kind, params in alert.criteria():
        new = postings_new(kind=kind, params=params, user=user, since=since, until=until)
        rows = [(posting.published_at, kind, posting) for posting in new[:IDS_READ] if (kind, posting.pk) not in seen]
        if rows:
            found.extend(rows)
            label = _("achievements") if kind == "achievements" else _("needs")
            more_links.append((label, absolute_url(list_url(kind, params))))
    found.sort(key=lambda row: (row[0], row[2].pk), reverse=True)
    shown = found[: max(0, min(ALERT_ITEMS, room))]
    what = tokens.SEARCH if isinstance(alert, SavedSearch) else tokens.FOLLOW
    section = Section(
        alert=alert,
        title=alert_title(alert),
        more=len(found) - len(shown),
        more_links=more_links,
        unsubscribe_url=tokens.url(user_id=user.pk, what=what, alert_id=alert.pk),
    )
    for published_at, kind, posting in shown:
        seen.add((kind, posting.pk))
        url = absolute_url(reverse("marketplace:detail", kwargs={"kind": kind, "pk": posting.pk}))
        section.items.append(
            Item(kind=kind, pk=posting.pk, title=posting.title, place=posting.province.name, url=url,
                 published_at=published_at)
        )  # fmt: skip
    return section


def compose(*, user: User, alerts: list[SavedSearch | Follow], matches_since: datetime, now: datetime) -> Content:
    """The new postings of each due alert since its last digest, and the matches released since ``matches_since``."""
    seen: set[tuple[str, int]] = set()
    sections, room = [], DIGEST_ITEMS
    for alert in alerts:
        section = _section(alert, user=user, since=alert.since, until=now, room=room, seen=seen)
        room -= len(section.items)
        if section.items or section.more:
            sections.append(section)
    released = matches_released(user=user, since=matches_since, until=now)
    total = released.count()
    matches = [
        MatchItem(
            pk=match.pk,
            title=f"{match.need.title} ⇄ {match.achievement.title}",
            status=str(Match.Status(match.status).label),
            url=absolute_url(reverse("matching:detail", kwargs={"pk": match.pk})),
        )
        for match in released[:MATCH_ITEMS]
    ]
    return Content(
        user=user,
        sections=sections,
        matches=matches,
        matches_more=total - len(matches),
        matches_url=absolute_url(reverse("matching:list")),
        alerts_url=absolute_url(reverse("alerts:index")),
        unsubscribe_all_url=tokens.url(user_id=user.pk, what=tokens.ALL),
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    notification_subject: str
    notification_body: str


def render(content: Content) -> Rendered:
    """The digest in the active language."""
    parts = []
    if content.posting_count:
        parts.append(
            ngettext("%(count)d new posting", "%(count)d new postings", content.posting_count)
            % {"count": content.posting_count}
        )
    if content.match_count:
        parts.append(
            ngettext("%(count)d new match", "%(count)d new matches", content.match_count)
            % {"count": content.match_count}
        )
    summary = _(", ").join(parts)
    subject = (_("Your alerts: %(summary)s") % {"summary": summary})[:200]
    context = {"content": content, "user": content.user, "summary": summary}
    return Rendered(
        subject=subject,
        text=render_to_string("alerts/email/digest.txt", context),
        html=render_to_string("alerts/email/digest.html", context),
        notification_subject=subject,
        notification_body=render_to_string("alerts/email/notification.txt", context).strip(),
    )
