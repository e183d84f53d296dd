"""Django models to and from the engine's plain records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

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


_FIELDS = {
    Achievement: ("pk", "title", "summary", "keywords", "trl", "price_min_wan", "price_max_wan", "modes",
                  "province_id", "city_id", "language"),
    Need: ("pk", "title", "description", "keywords", "min_trl", "budget_wan", "modes", "region_scope",
           "province_id", "city_id", "language"),
}  # fmt: skip


def live_records(
    model: type[Achievement] | type[Need], ids: Sequence[int], *, live: bool = True
) -> list[tuple[int, AchievementRecord | NeedRecord]]:
    """(id, record) of the published postings among ``ids`` (every one of them with ``live=False``), in id order:
    what ``records(published(model))`` gives, read as plain values in two queries (a full rebuild reads a hundred
    thousand postings; model instances and their prefetched domains cost most of that)."""
    owner = f"{model._meta.model_name}_id"
    domains: dict[int, list[str]] = defaultdict(list)
    through = model.domains.through.objects.filter(**{f"{owner}__in": list(ids)})
    for posting_id, code in through.order_by("domain__position", "domain_id").values_list(owner, "domain_id"):
        domains[posting_id].append(code)
    postings = posting_live(model.objects.all()) if live else model.objects.all()
    rows = postings.filter(pk__in=list(ids)).order_by("pk").values_list(*_FIELDS[model])
    out: list[tuple[int, AchievementRecord | NeedRecord]] = []
    if model is Achievement:
        for pk, title, text, keywords, trl, low, high, modes, province, city, lang in rows:
            out.append((pk, AchievementRecord(
                ref=str(pk), title=title, text=text, keywords=tuple(keywords), domains=tuple(domains.get(pk, ())),
                trl=trl, price_min=_number(low), price_max=_number(high), modes=tuple(modes), province=province,
                city=city, lang=lang,
            )))  # fmt: skip
    else:
        for pk, title, text, keywords, min_trl, budget, modes, scope, province, city, lang in rows:
            out.append((pk, NeedRecord(
                ref=str(pk), title=title, text=text, keywords=tuple(keywords), domains=tuple(domains.get(pk, ())),
                min_trl=min_trl, budget=_number(budget), modes=tuple(modes), region_scope=scope, province=province,
                city=city, lang=lang,
            )))  # fmt: skip
    return out
