"""Text stored once and read in either language (notifications, their e-mails): both translations, Chinese first.

The caller marks the message with ``gettext_noop`` so that ``makemessages`` finds it; the translation happens here,
once per language, whatever language the request (or the Celery worker) is in.
"""

from __future__ import annotations

from django.utils import translation

LANGUAGES = ("zh-hans", "en")


def bilingual(message: str, *, separator: str = " / ", **params: object) -> str:
    """``message`` translated into Chinese and English (``%(name)s`` placeholders filled from ``params``)."""
    texts = []
    for language in LANGUAGES:
        with translation.override(language):
            text = translation.gettext(message)
        texts.append(text % params if params else text)
    return separator.join(dict.fromkeys(texts))  # one copy when both read the same
