"""``{% posting_matches posting request.user %}``: a posting's own page shows its matches to its owner.

Only members of the organisation that owns the posting see the block, and only the matches ``match_visible_to``
lets them see; anyone else (another organisation, an anonymous visitor) gets nothing, not even an empty heading.
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import User
from marketplace.models import Achievement, Need

from ..selectors import posting_matches_for_owner

register = template.Library()
SHOWN = 20


@register.inclusion_tag("dashboard/_posting_matches.html")
def posting_matches(posting: Achievement | Need, user: User) -> dict[str, Any]:
    matches = posting_matches_for_owner(user=user, posting=posting)
    if matches is None:
        return {"show": False}
    is_achievement = isinstance(posting, Achievement)
    rows = [
        {"match": match, "other": match.need if is_achievement else match.achievement,
         "other_kind": "needs" if is_achievement else "achievements"}
        for match in matches[:SHOWN]
    ]  # fmt: skip
    return {"show": True, "rows": rows, "total": matches.count() if len(rows) == SHOWN else len(rows)}
