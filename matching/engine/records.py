"""The engine's input: plain records of both sides, with places and domains already resolved to codes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AchievementRecord:
    ref: str
    title: str
    text: str
    keywords: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    trl: int | None = None
    price_min: float | None = None
    price_max: float | None = None
    modes: tuple[str, ...] = ()
    province: str | None = None
    city: str | None = None
    lang: str = "zh"


@dataclass(frozen=True)
class NeedRecord:
    ref: str
    title: str
    text: str
    keywords: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    min_trl: int | None = None
    budget: float | None = None
    modes: tuple[str, ...] = ()
    region_scope: str = "national"
    province: str | None = None
    city: str | None = None
    lang: str = "zh"


@dataclass(frozen=True)
class Taxonomy:
    """Domain codes and their parents (None for top-level codes), with bilingual names."""

    parent: dict[str, str | None]
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def top(self, code: str) -> str:
        return self.parent.get(code) or code

    def is_sub(self, code: str) -> bool:
        return self.parent.get(code) is not None


@dataclass(frozen=True)
class Geography:
    """Regional clusters (whole provinces and single cities) and partner links between places."""

    clusters: dict[str, tuple[frozenset[str], frozenset[str]]]
    partner_links: frozenset[tuple[str, str]] = frozenset()
    names: dict[str, tuple[str, str]] = field(default_factory=dict)

    def clusters_of(self, province: str | None, city: str | None) -> frozenset[str]:
        return frozenset(
            code
            for code, (provinces, cities) in self.clusters.items()
            if (province and province in provinces) or (city and city in cities)
        )

    def linked(self, a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool:
        ends_a = {x for x in a if x}
        ends_b = {x for x in b if x}
        return any((x, y) in self.partner_links or (y, x) in self.partner_links for x in ends_a for y in ends_b)
