"""Contact details written into public text: phone numbers, e-mail addresses, WeChat and QQ ids.

A posting's contact is confidential until both sides of a match accept; a title or summary that carries one would
hand it to everyone. ``contact_details_in`` finds them (after NFKC, so full-width digits and ＠ count too) and the
services hold such text for review instead of publishing it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

_SEPARATOR = r"[-\s.]?"
PATTERNS = {
    "email": re.compile(r"[\w.+-]+\s*(?:@|\(at\)|\[at\])\s*[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE),
    "phone": re.compile(
        # a mobile number (13812345678, +86 138 1234 5678), not inside a longer number or a code
        rf"(?<![\d.a-z])(?:(?:\+|00)?86{_SEPARATOR})?1[3-9]\d{_SEPARATOR}\d{{4}}{_SEPARATOR}\d{{4}}(?![\d.a-z])"
        r"|(?<![\d.a-z])(?:\(0\d{2,3}\)[-\s]?|0\d{2,3}[-\s])\d{7,8}(?![\d.a-z])"  # landline: 021-1234567, (0571)8888888
        r"|(?:电话|手机|联系方式|tel|phone|mobile)\s*[:：]?\s*\+?[\d][\d\s-]{6,}\d",  # any number named as one
        re.IGNORECASE,
    ),
    "wechat": re.compile(r"(?:微信号?|wechat|weixin|vx|v信|wx)\s*[:：号]?\s*[a-z][-_a-z0-9]{5,19}", re.IGNORECASE),
    "qq": re.compile(r"(?<![a-z])qq\s*[:：号]?\s*[1-9]\d{4,10}(?!\d)", re.IGNORECASE),
}
LABELS = {"email": _("e-mail address"), "phone": _("phone number"), "wechat": _("WeChat id"), "qq": _("QQ number")}


def contact_details_in(*texts: str | Iterable[str] | None) -> list[str]:
    """The kinds of contact detail (``PATTERNS``' keys) found in the texts (strings or lists of strings)."""
    parts: list[str] = []
    for text in texts:
        if text is None:
            continue
        parts.extend([text] if isinstance(text, str) else [str(item) for item in text])
    joined = unicodedata.normalize("NFKC", "\n".join(parts))
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(joined)]


def contact_labels(kinds: Iterable[str]) -> str:
    """The kinds as words for the reader, e.g. "phone number, WeChat id"."""
    return ", ".join(str(LABELS.get(kind, kind)) for kind in kinds)
