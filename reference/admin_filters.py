"""List filters other apps' admins share: a domain with its subdomains, a regional cluster."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Cluster, Domain
from .selectors import domain_codes_with_descendants


class DomainWithSubdomainsFilter(admin.SimpleListFilter):
    """Filter by a domain; a top-level domain takes in its subdomains. Subclasses name the lookups to match."""

    title = _("domain (with subdomains)")
    parameter_name = "domain"
    domain_lookups: tuple[str, ...] = ("domains__code",)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(d.code, ("— " if d.parent_id else "") + d.name) for d in Domain.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        codes = domain_codes_with_descendants([self.value()])
        condition = Q()
        for lookup in self.domain_lookups:
            condition |= Q(**{f"{lookup}__in": codes})
        return queryset.filter(condition).distinct()


class ClusterFilter(admin.SimpleListFilter):
    """Filter by a regional cluster, through the province or the city of each place named in ``place_prefixes``."""

    title = _("regional cluster")
    parameter_name = "cluster"
    place_prefixes: tuple[str, ...] = ("",)

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(c.code, c.name) for c in Cluster.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        condition = Q()
        for prefix in self.place_prefixes:
            condition |= Q(**{f"{prefix}province__clusters": self.value()}) | Q(
                **{f"{prefix}city__clusters": self.value()}
            )
        return queryset.filter(condition).distinct()
