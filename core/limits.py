"""How long what people type may be: every text field has a maximum, checked by forms, the API and imports alike
(``full_clean``), so that one huge field cannot tie up a web worker (tokenising 2 MB takes half a minute).

A posting's body holds the longest real texts seen (a Chinese patent abstract with claims: 11,600 characters) with
room to spare; notes, reasons and messages are a few paragraphs.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxLengthValidator

BODY_MAX = 30_000  # a posting's summary or description, an event's description
PROFILE_MAX = 5_000  # an organisation's description, a presenter's pitch
NOTE_MAX = 2_000  # notes, reasons, messages
KEYWORD_MAX = 60  # one keyword


def bounded(limit: int) -> dict[str, Any]:
    """Keyword arguments for a ``TextField`` of at most ``limit`` characters: ``max_length`` (which forms and the API
    read) and its validator (which ``full_clean``, hence imports, runs; Django adds none to a ``TextField``)."""
    return {"max_length": limit, "validators": [MaxLengthValidator(limit)]}
