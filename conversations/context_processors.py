"""The header's count of unread messages: one query, run only when a page shows it, and kept per user until a
message, a thread, a read marker or a membership changes (``UNREAD_VERSION``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import UNREAD_VERSION, unread_count


def unread_messages(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_messages": 0}
    return {
        "unread_messages": SimpleLazyObject(lambda: UNREAD_VERSION.kept(str(user.pk), lambda: unread_count(user=user)))
    }
