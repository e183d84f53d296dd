"""Django models to and from the engine's plain records."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from marketplace.models import Achievement, Need
from marketplace.selectors import posting_live
from reference.models import City, Cluster, Domain, PartnerLink, Province

from .engine import AchievementRecord, Geography, NeedRecord, Taxonomy


def taxonomy_from_db() -> Taxonomy:
    domains = list(Domain.objects.all())
    return Taxonomy(
        parent={d.code: d.parent_id for d in domains}, names={d.code: (d.name_zh, d.name_en) for d in domains}
    )


def geography_from_db() -> Geography:
    clusters = {
        cluster.code: (
            frozenset(p.code for p in cluster.provinces.all()),
            frozenset(c.code for c in cluster.cities.all()),
        )
        for cluster in Cluster.objects.prefetch_related("provinces", "cities")
    }
    names: dict[str, tuple[str, str]] = {c.code: (c.name_zh, c.name_en) for c in Cluster.objects.all()}
    names.update({p.code: (p.name_zh, p.name_en) for p in Province.objects.all()})
    names.update({c.code: (c.name_zh, c.name_en) for c in City.objects.all()})
    links = frozenset((link.key_a, link.key_b) for link in PartnerLink.objects.all())
    return Geography(clusters=clusters, partner_links=links, names=names)


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def achievement_record(posting: Achievement) -> AchievementRecord:
    return AchievementRecord(
        ref=str(posting.pk),
        title=posting.title,
        text=posting.summary,
        keywords=tuple(posting.keywords),
        domains=tuple(d.code for d in posting.domains.all()),
        trl=posting.trl,
        price_min=_number(posting.price_min_wan),
        price_max=_number(posting.price_max_wan),
        modes=tuple(posting.modes),
        province=posting.province_id,
        city=posting.city_id,
        lang=posting.language,
    )


def need_record(posting: Need) -> NeedRecord:
    return NeedRecord(
        ref=str(posting.pk),
        title=posting.title,
        text=posting.description,
        keywords=tuple(posting.keywords),
        domains=tuple(d.code for d in posting.domains.all()),
        min_trl=posting.min_trl,
        budget=_number(posting.budget_wan),
        modes=tuple(posting.modes),
        region_scope=posting.region_scope,
        province=posting.province_id,
        city=posting.city_id,
        lang=posting.language,
    )


def published(model: type[Achievement] | type[Need]) -> QuerySet:
    """The engine's input: published postings, without needs past their deadline (closed on read)."""
    return posting_live(model.objects.all()).prefetch_related("domains").order_by("pk")


def records(postings: Iterable[Achievement | Need]) -> list[AchievementRecord | NeedRecord]:
    return [achievement_record(p) if isinstance(p, Achievement) else need_record(p) for p in postings]
