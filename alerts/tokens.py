"""The signed tokens of the one-click unsubscribe links in digests: no login needed, so the token says which alert
(or all of a user's alerts) it stops, and is signed with the project's secret under its own salt. They do not expire
(an old digest's link still works, as mail clients expect of List-Unsubscribe); a tampered token is refused."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from core.site import absolute_url

SALT = "alerts.unsubscribe"
SEARCH, FOLLOW, ALL = "s", "f", "a"


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    what: str  # SEARCH, FOLLOW or ALL
    alert_id: int | None = None


def make(*, user_id: int, what: str, alert_id: int | None = None) -> str:
    return signing.dumps([user_id, what, alert_id], salt=SALT, compress=False)


def read(token: str) -> Unsubscribe | None:
    """The unsubscribe the token stands for, or None when it is not one of ours (tampered, truncated)."""
    try:
        user_id, what, alert_id = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if what not in (SEARCH, FOLLOW, ALL) or not isinstance(user_id, int):
        return None
    return Unsubscribe(user_id=user_id, what=what, alert_id=alert_id)


def url(*, user_id: int, what: str, alert_id: int | None = None) -> str:
    token = make(user_id=user_id, what=what, alert_id=alert_id)
    return absolute_url(reverse("alerts:unsubscribe", kwargs={"token": token}))
