"""What holds an enquiry for staff review, and the limits messages are held to (settings, with defaults).

An enquiry reaches a posting's owner unasked, so it is moderated: it waits for staff approval in admin (and the owner
sees nothing of it) when the enquiring organisation is not verified, or when its text carries contact details
(``core.contact_details``) or a link. An enquiry from a verified organisation in plain words goes straight through.
Messages in an open thread are not held (the two sides talk; in a match's thread contacts are already revealed);
they are plain text, bounded, and rate-limited per user. Staff may hide any message afterwards.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.utils.translation import gettext_noop

from accounts.models import Organization
from core.contact_details import contact_details_in
from core.i18n import bilingual

LINK = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"
    r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|io|top|xyz|info|cc|me|co|edu|gov|biz|vip|shop)"
    r"(?![\w@])(?:/\S*)?",
    re.IGNORECASE,
)

def limit(name: str) -> int:
    """A limit from the settings (``CONVERSATIONS_*``, defaults in ``config/settings.py``)."""
    return int(getattr(settings, name))


def has_link(text: str) -> bool:
    return bool(LINK.search(unicodedata.normalize("NFKC", text)))


def enquiry_hold_reason(*, organization: Organization, text: str) -> str:
    """Why an enquiry waits for staff review, in both languages for whoever reads it ("" when it goes through)."""
    reasons = []
    if not organization.verified:
        reasons.append(bilingual(gettext_noop("the organisation is not verified")))
    kinds = contact_details_in(text)
    if kinds:
        reasons.append(bilingual(gettext_noop("it contains contact details")) + f" ({', '.join(kinds)})")
    if has_link(text):
        reasons.append(bilingual(gettext_noop("it contains a link")))
    return "; ".join(reasons)
