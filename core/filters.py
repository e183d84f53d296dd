"""Filters the list pages and the API share across apps."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework import serializers

ID_MAX = 2**63 - 1  # the largest id a (big) integer primary key holds


class IntegerFilter(django_filters.NumberFilter):
    """A whole number between ``min_value`` and ``max_value``; anything else is refused (400).

    django-filter's ``NumberFilter`` reads a decimal of any size (``0.5``, ``1e40``, ``9223372036854775808``) even
    where the column holds whole numbers; the schema says ``integer`` with the bounds."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        # What drf-spectacular documents for the query parameter (its extend_schema_field, per filter).
        set_override(self, "field", serializers.IntegerField(min_value=min_value, max_value=max_value))


class IdFilter(IntegerFilter):
    """An object's id, as ``?organization=12``: a whole number from 1 to 2^63-1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=ID_MAX, **kwargs)


class RowsChoiceIterator(ModelChoiceIterator):
    """The choices of a field given ``rows`` (records a process keeps, such as ``reference.cache``'s): no query."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.rows is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.field.rows():
            yield self.choice(obj)

    def __len__(self) -> int:
        if self.field.rows is None:
            return super().__len__()
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        if self.field.rows is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(self.field.rows())


class NamedModelChoiceField(forms.ModelChoiceField):
    """Choices named in the reader's language: a record's ``name`` (the bilingual reference data's, which follows
    the active language) rather than its ``str``, which gives both languages at once.

    Given ``rows`` (a function returning the records to choose from, such as ``reference.cache.domains``), the
    choices and the chosen record come from them rather than from a query on every request; the queryset still
    names the model (for the schema and the filter)."""

    iterator = RowsChoiceIterator

    def __init__(self, *args: Any, rows: Callable[[], Sequence[Any]] | None = None, **kwargs: Any) -> None:
        self.rows = rows
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", None) or obj)

    def to_python(self, value: Any) -> Any:
        if self.rows is None or value in self.empty_values:
            return super().to_python(value)
        key = self.to_field_name or "pk"
        wanted = str(value.pk if isinstance(value, self.queryset.model) else value)
        for obj in self.rows():
            if str(getattr(obj, key)) == wanted:
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class NamedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice among records (domains, provinces, clusters, cities), named in the reader's language, the empty
    choice reading "any" rather than a row of dashes."""

    field_class = NamedModelChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("any"))
        super().__init__(*args, **kwargs)


# --- Filter forms rendered once per choice -----------------------------------------------------------------------
# A list page renders its filter form on every request: the domain, province and cluster menus hold about a
# hundred options, each through a template, which cost more than the page's queries (issue #14: 27% of the web
# workers' time with their queries; 40% of a list page's time after those were cached). A widget's HTML depends on
# nothing but its class, name, value, attributes, choices and the language, so each process keeps the HTML of the
# RENDERED_KEPT most recent combinations.

RENDERED_KEPT = 2048
_rendered: OrderedDict[tuple, str] = OrderedDict()
_rendered_lock = threading.Lock()


class RenderedOnce:
    """A widget mixin: the HTML of ``render`` kept for the same inputs (see above)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        choices = tuple((str(v), str(label)) for v, label in getattr(self, "choices", ()))
        key = (
            type(self),
            self.template_name,
            name,
            repr(self.format_value(value)),
            repr(sorted({**self.attrs, **(attrs or {})}.items())),
            choices,
            get_language(),
            id(renderer),
        )
        with _rendered_lock:
            html = _rendered.get(key)
            if html is not None:
                _rendered.move_to_end(key)
                return html
        html = super().render(name, value, attrs, renderer)  # type: ignore[misc]
        with _rendered_lock:
            _rendered[key] = html
            while len(_rendered) > RENDERED_KEPT:
                _rendered.popitem(last=False)
        return html


_once_classes: dict[type, type] = {}


def render_filter_widgets_once(form_class: type[forms.Form]) -> type[forms.Form]:
    """Make the select menus and inputs of a (filter) form class render through ``RenderedOnce``."""
    for field in form_class.base_fields.values():
        widget_class = type(field.widget)
        if isinstance(field.widget, RenderedOnce) or not issubclass(widget_class, (forms.Select, forms.widgets.Input)):
            continue
        once = _once_classes.get(widget_class)
        if once is None:
            once = type(f"RenderedOnce{widget_class.__name__}", (RenderedOnce, widget_class), {})
            _once_classes[widget_class] = once
        field.widget.__class__ = once
    return form_class
