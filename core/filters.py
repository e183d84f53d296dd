"""Filters the list pages and the API share across apps."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
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


class NamedModelChoiceField(forms.ModelChoiceField):
    """Choices named in the reader's language: a record's ``name`` (the bilingual reference data's, which follows
    the active language) rather than its ``str``, which gives both languages at once."""

    def label_from_instance(self, obj: Any) -> str:
        return str(getattr(obj, "name", None) or obj)


class NamedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A choice among records (domains, provinces, clusters, cities), named in the reader's language, the empty
    choice reading "any" rather than a row of dashes."""

    field_class = NamedModelChoiceField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("any"))
        super().__init__(*args, **kwargs)
