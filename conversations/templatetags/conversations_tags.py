"""``{% recent_threads user 5 %}``: the user's latest conversations with their unread counts (for the dashboard)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import inbox

register = template.Library()


@register.inclusion_tag("conversations/_recent_threads.html")
def recent_threads(user: Any, limit: int = 5) -> dict[str, Any]:
    threads = list(inbox(user=user)[: max(int(limit), 0)]) if user.is_authenticated else []
    return {"threads": threads}
