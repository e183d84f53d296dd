"""Text written once and read in the reader's language (notifications, and the e-mails sent with them).

A stored message is language-neutral: its msgid (marked with ``gettext_noop`` where it is written, so that
``makemessages`` finds it) and its parameters, as JSON. It is translated when it is read, in the language active then
(the reader's request, or ``translation.override`` with an e-mail recipient's language): ``render``.

A parameter is a plain value (a title, a number, a date as ISO text: shown as it is), a ``choice`` (a model choice's
code, shown as its label in the reader's language), or a nested ``message`` (a phrase translated in its turn).
A plain string given where a message is expected is text typed by a person (a reason, say): shown as it is.
"""

from __future__ import annotations

import importlib
import logging
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

Message = dict[str, Any]
Text = Message | str  # a message, or text typed by a person

#: An amount in units of 10,000 yuan (万元), as every page and message writes one: "120 万元" in Chinese.
AMOUNT_WAN = gettext_noop("%(amount)s × 10k CNY")


def message(msgid: str, **params: Any) -> Message:
    """A message to store: ``msgid`` (marked with ``gettext_noop`` by the caller) and its ``%(name)s`` parameters."""
    stored: Message = {"msgid": msgid}
    if params:
        stored["params"] = {name: _param(value) for name, value in params.items()}
    return stored


def choice(member: models.Choices) -> Message:
    """A model choice stored by its code, read as its label in the reader's language."""
    cls = type(member)
    return {"choice": f"{cls.__module__}:{cls.__qualname__}", "value": member.value}


def amount_wan(amount: Decimal | float | int | None) -> Message | str:
    """An amount in 万元 as the reader reads it ("120 万元", "120 × 10k CNY"); "-" when there is none."""
    if amount is None:
        return "-"
    return message(AMOUNT_WAN, amount=f"{Decimal(amount).normalize():f}")


def _param(value: Any) -> Any:
    if isinstance(value, models.Choices):
        return choice(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dict | str | int | float) or value is None:
        return value
    return str(value)


def _choice_label(path: str, value: Any) -> str:
    module_name, _sep, qualname = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for name in qualname.split("."):
            target = getattr(target, name)
        if not (isinstance(target, type) and issubclass(target, models.Choices)):
            return str(value)
        return str(target(value).label)
    except (ImportError, AttributeError, ValueError):
        logger.warning("unknown choice %s=%r in a stored message", path, value)
        return str(value)


def render(text: Text | None) -> str:
    """A stored message (or typed text, or a legacy stored text) in the active language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if not isinstance(text, dict):
        return str(text)
    if "choice" in text:
        return _choice_label(str(text["choice"]), text.get("value"))
    msgid = str(text.get("msgid", ""))
    translated = translation.gettext(msgid) if msgid else ""
    params = text.get("params")
    if not params:
        return translated
    values = {name: render(value) if isinstance(value, dict) else value for name, value in params.items()}
    try:
        return translated % values
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder: the msgid, filled
        logger.warning("translation of %r does not take its parameters", msgid)
        try:
            return msgid % values
        except (KeyError, TypeError, ValueError):
            return msgid


def render_in(language: str, text: Text | None) -> str:
    """``render`` in the given language."""
    with translation.override(language):
        return render(text)
