"""The filters of the event calendar page and the events API, shared by both."""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import IdFilter, NamedModelChoiceFilter, render_filter_widgets_once
from reference import cache as reference_cache
from reference.models import City, Domain
from reference.selectors import domain_codes_with_descendants

from .models import Event, Registration


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class EventFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Event.Kind.choices)
    # The choices come from what the process keeps of reference data (reference.cache): no query per request.
    domain = NamedModelChoiceFilter(
        label=_("Domain"),
        queryset=Domain.objects.all(),
        rows=reference_cache.domains,
        method="filter_domain",
        help_text=_("A top-level domain includes its subdomains."),
    )
    city = NamedModelChoiceFilter(
        label=_("City"),
        queryset=City.objects.select_related("province"),
        rows=reference_cache.cities,
        field_name="city",
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_date_from",
        help_text=_("Events still running on or after this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label=_("Until"),
        method="filter_date_to",
        help_text=_("Events starting on or before this day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Event
        fields: list[str] = []

    def get_form_class(self) -> type:
        # The form is rendered on every list page: its menus and inputs are rendered once per value (core.filters).
        return render_filter_widgets_once(super().get_form_class())

    def filter_domain(self, queryset: QuerySet[Event], name: str, value: Domain) -> QuerySet[Event]:
        return queryset.filter(domains__code__in=domain_codes_with_descendants([value.code])).distinct()

    def filter_date_from(self, queryset: QuerySet[Event], name: str, value: datetime.date) -> QuerySet[Event]:
        return queryset.filter(ends_at__gt=_day_start(value))

    def filter_date_to(self, queryset: QuerySet[Event], name: str, value: datetime.date) -> QuerySet[Event]:
        return queryset.filter(starts_at__lt=_day_start(value + datetime.timedelta(days=1)))


class RegistrationFilterSet(django_filters.FilterSet):
    event = IdFilter(label=_("Event"), field_name="event_id", help_text=_("Only the registrations of this event."))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Registration.Status.choices, help_text=_("Only registrations in this status.")
    )

    class Meta:
        model = Registration
        fields: list[str] = []
