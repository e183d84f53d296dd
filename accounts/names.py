"""Organisation names as compared for protection: one normaliser, used by every check (sign-up, the importer's
``organization_create``, admin) and by the key stored on each organisation (``Organization.name_key``).

Two names are the same organisation's when their keys are equal: "清华大学", "清华 大学", "清华大学（）",
"ＴＳＩＮＧＨＵＡ" / "Tsinghua" all compare equal. A key that contains a verified organisation's key (e.g.
"清华大学技术转移中心" when 清华大学 is verified) is allowed, and flagged for staff to look at before they verify it.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories dropped from a key: punctuation (P*: brackets of every width, 、，。·—), separators (Z*:
#: spaces of every width), symbols (S*: +, ®, ～) and other (C*: controls, zero-width and format characters).
_DROPPED = frozenset("PZSC")

#: A verified name shorter than this (as a key) does not make others "resemble" it: two characters is the shortest
#: Chinese name that means something on its own (华为), one is any word.
RESEMBLANCE_MIN_LENGTH = 2

#: Longest key stored (NFKC can expand a character into several, e.g. ㍿ -> 株式会社).
KEY_MAX_LENGTH = 600


def name_key(name: str) -> str:
    """The name as compared: NFKC (full-width letters and brackets become their ordinary forms), case-folded, with
    spaces, punctuation and symbols removed."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(char for char in text if unicodedata.category(char)[0] not in _DROPPED)[:KEY_MAX_LENGTH]


def resembles(key: str, protected_key: str) -> bool:
    """Whether a name (as its key) contains a protected one (as its key) without being it."""
    return len(protected_key) >= RESEMBLANCE_MIN_LENGTH and protected_key != key and protected_key in key
