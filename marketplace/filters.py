"""The filters of the list pages and the list API: one FilterSet per kind, shared by both.

``q`` is a ranked search (``marketplace.search_index``) run after every other filter, so that it ranks what the
filters keep; ``sort`` orders by relevance (the default with ``q``) or newest first.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.filters import IdFilter, IntegerFilter, NamedModelChoiceFilter, render_filter_widgets_once
from reference import cache as reference_cache
from reference.models import Cluster, Domain, Province

from .models import TRL_VALIDATORS, Achievement, CooperationMode, Language, Need, Status
from .search_index import NEWEST, NEWEST_ORDER, RELEVANCE, posting_search

TRL_MIN, TRL_MAX = (validator.limit_value for validator in TRL_VALIDATORS)  # 1 and 9


class ReadinessFilter(IntegerFilter):
    """A technology readiness level, 1 to 9."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=TRL_MIN, max_value=TRL_MAX, **kwargs)


class PostingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_later",
        help_text=_("Words or a sentence, in Chinese or English (either finds both); best matches first."),
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(RELEVANCE, _("relevance")), (NEWEST, _("newest"))],
        method="filter_later",
        empty_label=None,
        help_text=_("relevance (the default when searching) or newest first."),
    )
    domain = NamedModelChoiceFilter(
        label=_("Domain"),
        queryset=Domain.objects.all(),
        rows=reference_cache.domains,
        method="filter_domain",
        help_text=_("A top-level domain includes its subdomains."),
    )
    # The choices come from what the process keeps of reference data (reference.cache): no query per request.
    province = NamedModelChoiceFilter(
        label=_("Province"), queryset=Province.objects.all(), rows=reference_cache.provinces
    )
    cluster = NamedModelChoiceFilter(
        label=_("Regional cluster"),
        queryset=Cluster.objects.all(),
        rows=reference_cache.clusters,
        method="filter_cluster",
    )
    mode = django_filters.ChoiceFilter(
        label=_("Cooperation mode"), choices=CooperationMode.choices, method="filter_mode"
    )
    language = django_filters.ChoiceFilter(label=_("Language"), choices=Language.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    organization = IdFilter(label=_("Organisation"), field_name="organization_id")

    def get_form_class(self) -> type:
        # The form is rendered on every list page: its menus and inputs are rendered once per value (core.filters).
        return render_filter_widgets_once(super().get_form_class())

    def filter_later(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied in filter_queryset, after the other filters

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        query = (self.form.cleaned_data.get("q") or "").strip()
        sort = self.form.cleaned_data.get("sort") or (RELEVANCE if query else "")
        if query:
            return posting_search(queryset, query, sort=sort)
        if sort == NEWEST:
            return queryset.order_by(*NEWEST_ORDER)
        return queryset

    def filter_domain(self, queryset: QuerySet, name: str, value: Domain) -> QuerySet:
        # A semi-join (id IN the domain's rows) rather than a join and DISTINCT, which sorted every posting of the
        # domain before taking a page (190 ms at 100,000 achievements with a province; 7 ms this way).
        codes = reference_cache.domain_codes_with_descendants([value.code])
        through = queryset.model.domains.through
        tagged = through.objects.filter(domain_id__in=codes).values(f"{queryset.model._meta.model_name}_id")
        return queryset.filter(pk__in=tagged)

    def filter_cluster(self, queryset: QuerySet, name: str, value: Cluster) -> QuerySet:
        return queryset.filter(Q(province__clusters=value) | Q(city__clusters=value)).distinct()

    def filter_mode(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Modes are a JSON list; matching the quoted code works on every database.
        return queryset.filter(modes__icontains=f'"{value}"')


class AchievementFilterSet(PostingFilterSet):
    readiness_min = ReadinessFilter(label=_("Readiness from"), field_name="trl", lookup_expr="gte")
    readiness_max = ReadinessFilter(label=_("Readiness up to"), field_name="trl", lookup_expr="lte")
    price_min = django_filters.NumberFilter(
        label=_("Price from (10k CNY)"), method="filter_price_min", help_text=_("Asking price reaching at least this.")
    )
    price_max = django_filters.NumberFilter(
        label=_("Price up to (10k CNY)"), method="filter_price_max",
        help_text=_("Asking price starting at most at this."),
    )
    ip_status = django_filters.ChoiceFilter(label=_("IP status"), choices=Achievement.IPStatus.choices)

    class Meta:
        model = Achievement
        fields: list[str] = []

    def filter_price_min(self, queryset: QuerySet, name: str, value: float) -> QuerySet:
        return queryset.filter(Q(price_max_wan__gte=value) | Q(price_max_wan__isnull=True, price_min_wan__gte=value))

    def filter_price_max(self, queryset: QuerySet, name: str, value: float) -> QuerySet:
        return queryset.filter(price_min_wan__lte=value)


class NeedFilterSet(PostingFilterSet):
    readiness_min = ReadinessFilter(label=_("Required readiness from"), field_name="min_trl", lookup_expr="gte")
    readiness_max = ReadinessFilter(label=_("Required readiness up to"), field_name="min_trl", lookup_expr="lte")
    budget_min = django_filters.NumberFilter(
        label=_("Budget from (10k CNY)"), field_name="budget_wan", lookup_expr="gte"
    )
    budget_max = django_filters.NumberFilter(
        label=_("Budget up to (10k CNY)"), field_name="budget_wan", lookup_expr="lte"
    )
    region_scope = django_filters.ChoiceFilter(label=_("Region scope"), choices=Need.RegionScope.choices)

    class Meta:
        model = Need
        fields: list[str] = []
