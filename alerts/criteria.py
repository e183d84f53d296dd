"""A saved search's filters: normalised from the list page's query string, described in the reader's language, and
turned back into the list page's link.

The list page's own FilterSets (``marketplace.filters``) validate and describe them, so that a saved search holds
exactly the filters the page understands. Left out: ``status`` (an alert is about what is on the market), ``sort``
and ``page`` (they order and cut the list, not choose what is in it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from marketplace.filters import AchievementFilterSet, NeedFilterSet, PostingFilterSet

FILTERSETS: dict[str, type[PostingFilterSet]] = {"achievements": AchievementFilterSet, "needs": NeedFilterSet}
NOT_SAVED = frozenset({"status", "sort", "page"})


def filterset_class(kind: str) -> type[PostingFilterSet]:
    try:
        return FILTERSETS[kind]
    except KeyError as error:
        raise ApplicationError(_("Unknown kind of posting."), field="kind") from error


def _as_text(value: Any) -> str:
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def normalise(*, kind: str, data: QueryDict | dict[str, Any]) -> dict[str, str]:
    """The filters of a list page's query that choose postings, validated by the page's FilterSet, as strings."""
    filterset = filterset_class(kind)(data, queryset=None)
    form = filterset.form
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise ApplicationError(_("These filters are not valid: %(error)s") % {"error": errors[0]}, field=field)
    params = {}
    for name in sorted(form.fields):
        value = form.cleaned_data.get(name)
        if name in NOT_SAVED or value in (None, "") or (isinstance(value, str) and not value.strip()):
            continue
        params[name] = _as_text(value)
    return params


def query_string(params: dict[str, str]) -> str:
    return urlencode(sorted(params.items()))


def list_url(kind: str, params: dict[str, str]) -> str:
    """The list page showing these filters, newest first."""
    query = query_string({**params, "sort": "newest"} if params.get("q") else params)
    base = reverse("marketplace:list", kwargs={"kind": kind})
    return f"{base}?{query}" if query else base


def describe(*, kind: str, params: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) of each filter, in the active language: choices and reference rows by their names."""
    form = filterset_class(kind)(params, queryset=None).form
    described = []
    for name, raw in params.items():
        field = form.fields.get(name)
        if field is None:
            continue
        value: str = raw
        if isinstance(field, forms.ModelChoiceField):
            row = field.queryset.filter(pk=raw).first()
            value = getattr(row, "name", str(row)) if row is not None else raw
        elif isinstance(field, forms.ChoiceField):
            value = str(dict(field.choices).get(raw, raw))
        described.append((str(field.label), value))
    return described


def default_name(*, kind: str, params: dict[str, str]) -> str:
    """A name for a search saved without one: the kind and its filters' values."""
    kind_label = _("Achievements") if kind == "achievements" else _("Needs")
    values = [value for _label, value in describe(kind=kind, params=params)]
    return (" · ".join([kind_label, *values]) if values else _("All new %(kind)s") % {"kind": kind_label.lower()})[:100]
