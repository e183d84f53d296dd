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
from django.utils.translation import gettext as _

from accounts.models import Organization
from core.contact_details import contact_details_in, contact_labels

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


HOLD_UNVERIFIED = "unverified"
HOLD_CONTACT = "contact"  # followed by ":" and the kinds found, e.g. "contact:phone,wechat"
HOLD_LINK = "link"


def enquiry_hold_reason(*, organization: Organization, text: str) -> str:
    """Why an enquiry waits for staff review, as codes joined by "; " ("" when it goes through); read in the
    reader's language with ``hold_reason_text``."""
    reasons = []
    if not organization.verified:
        reasons.append(HOLD_UNVERIFIED)
    kinds = contact_details_in(text)
    if kinds:
        reasons.append(f"{HOLD_CONTACT}:{','.join(kinds)}")
    if has_link(text):
        reasons.append(HOLD_LINK)
    return "; ".join(reasons)


def hold_reason_text(reason: str) -> str:
    """An enquiry's hold reason (``enquiry_hold_reason``'s codes) in the active language; a reason stored as text
    before is shown as it was."""
    texts = []
    for code in reason.split("; ") if reason else []:
        if code == HOLD_UNVERIFIED:
            texts.append(_("the organisation is not verified"))
        elif code.startswith(f"{HOLD_CONTACT}:"):
            texts.append(_("it contains contact details (%(kinds)s)") % {"kinds": contact_labels(code[8:].split(","))})
        elif code == HOLD_LINK:
            texts.append(_("it contains a link"))
        else:
            return reason
    return _("; ").join(texts)
