"""Short reasons for each score component, in Chinese and English.

Each ``Reason`` carries both texts (``zh`` and ``en``); what is shown is the one of the reader's language. The text
reason names the terms the two records share as written in them (``terms.py``): a Chinese reader sees Chinese
surfaces where either text has one, an English reader English ones. The domain reason names the domains and says
when a side's domain was inferred from its text, or that a side has none.

``explain_pairs`` explains many pairs of a fitted engine at once (``MatchingEngine.explain_many`` and ``explain``
call it): shared terms are picked for blocks of pairs with array operations, and the reasons of the other
components, which depend on a few values each, are built once per distinct value and shared.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .records import AchievementRecord, Geography, NeedRecord, Taxonomy
from .terms import BLOCK, ShownRows, SideText, SurfaceCache, TermIndex

if TYPE_CHECKING:
    from .components import SideArrays
    from .core import MatchingEngine, RankedPairs

MODE_NAMES = {
    "transfer": ("转让", "transfer"),
    "license": ("许可", "licence"),
    "co_development": ("合作开发", "co-development"),
    "equity": ("作价入股", "equity"),
    "service": ("技术服务", "technical service"),
}
SCOPE_NAMES = {
    "province": ("限本省", "same province only"),
    "cluster": ("限同一区域板块", "same regional cluster only"),
}
# Below this text score, a pair without a shown term is said to have little in common.
WEAK_TEXT = 0.2


@dataclass(frozen=True)
class Reason:
    component: str
    value: float
    zh: str
    en: str
    broken: bool = False


@dataclass(frozen=True)
class DomainSide:
    """The domains one side was scored with: subdomains and top-level domains (given or inferred), and whether its
    subdomains were inferred from its text."""

    subs: tuple[str, ...] = ()
    tops: tuple[str, ...] = ()
    inferred: bool = False

    @classmethod
    def given(cls, codes: Sequence[str], taxonomy: Taxonomy) -> DomainSide:
        known = [c for c in codes if c in taxonomy.parent]
        return cls(
            subs=tuple(sorted(c for c in known if taxonomy.is_sub(c))),
            tops=tuple(sorted({taxonomy.top(c) for c in known})),
        )


def _names(codes: Sequence[str], table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    return "、".join(table.get(c, (c, c))[0] for c in codes), ", ".join(table.get(c, (c, c))[1] for c in codes)


# --- one reason per component ---------------------------------------------------------------------------------
def text_reason(value: float, terms: dict[str, list[str]]) -> Reason:
    if terms.get("zh") and terms.get("en"):
        share = f"{value:.0%}"
        return Reason(
            "text",
            value,
            f"技术内容相关（{share}）：共同要点 {'、'.join(terms['zh'])}",
            f"Technical fit {share}: shared terms {', '.join(terms['en'])}",
        )
    if value >= WEAK_TEXT:
        return Reason(
            "text",
            value,
            f"技术内容相关（{value:.0%}），无突出的共同术语",
            f"Technical fit {value:.0%}, no distinctive term in common",
        )
    return Reason("text", value, "技术内容几乎无共同点", "Little technical content in common")


def _inferred_note(need: DomainSide, achievement: DomainSide) -> tuple[str, str]:
    if need.inferred and achievement.inferred:
        return "（双方领域均由文本推断）", " (both domains inferred from the texts)"
    if need.inferred:
        return "（需求领域由文本推断）", " (the need's domain inferred from its text)"
    if achievement.inferred:
        return "（成果领域由文本推断）", " (the achievement's domain inferred from its text)"
    return "", ""


def domain_reason(value: float, need: DomainSide, achievement: DomainSide, taxonomy: Taxonomy) -> Reason:
    """Same subdomain, same top-level domain, different, or unknown; naming the domains, and saying which side's
    domain was inferred from its text (an inferred domain can raise the score, never make a mismatch)."""
    names = taxonomy.names
    if not need.tops or not achievement.tops:
        if not need.tops and not achievement.tops:
            return Reason(
                "domain",
                value,
                "双方均未标注领域，也无法由文本推断",
                "Neither side names a domain, and none could be inferred from the texts",
            )
        zh_side, en_side, known = ("需求", "need", achievement) if not need.tops else ("成果", "achievement", need)
        zh_other, en_other = ("成果", "achievement") if not need.tops else ("需求", "need")
        zh, en = _names(known.subs or known.tops, names)
        zh_how, en_how = ("（由文本推断）", " (inferred from its text)") if known.inferred else ("", "")
        return Reason(
            "domain",
            value,
            f"{zh_side}未标注领域，也无法由文本推断；{zh_other}领域{zh_how}：{zh}",
            f"The {en_side} names no domain and none could be inferred from its text; {en_other}{en_how}: {en}",
        )
    note_zh, note_en = _inferred_note(need, achievement)
    same_sub = sorted(set(need.subs) & set(achievement.subs))
    if same_sub:
        zh, en = _names(same_sub, names)
        return Reason("domain", value, f"同一技术领域：{zh}{note_zh}", f"Same domain: {en}{note_en}")
    same_top = sorted(set(need.tops) & set(achievement.tops))
    if same_top:
        zh, en = _names(same_top, names)
        return Reason("domain", value, f"同属{zh}{note_zh}", f"Both in {en}{note_en}")
    need_zh, need_en = _names(need.subs or need.tops, names)
    ach_zh, ach_en = _names(achievement.subs or achievement.tops, names)
    if note_zh:
        return Reason(
            "domain",
            value,
            f"技术领域可能不同：需求 {need_zh}，成果 {ach_zh}{note_zh}",
            f"Domains may differ: need {need_en}, achievement {ach_en}{note_en}",
        )
    return Reason(
        "domain",
        value,
        f"技术领域不同：需求 {need_zh}，成果 {ach_zh}",
        f"Different domains: need {need_en}, achievement {ach_en}",
    )


def region_reasons(
    value: float, need: NeedRecord, achievement: AchievementRecord, scope_broken: bool, geography: Geography
) -> list[Reason]:
    reasons: list[Reason] = []
    place_zh, place_en = _names([c for c in (achievement.city or achievement.province,) if c], geography.names)
    if need.city and need.city == achievement.city:
        reasons.append(Reason("region", value, f"同城（{place_zh}）", f"Same city ({place_en})"))
    elif need.province and need.province == achievement.province:
        reasons.append(Reason("region", value, f"同省（{place_zh}）", f"Same province ({place_en})"))
    else:
        shared = sorted(
            geography.clusters_of(need.province, need.city)
            & geography.clusters_of(achievement.province, achievement.city)
        )
        if shared:
            zh, en = _names(shared, geography.names)
            reasons.append(Reason("region", value, f"同属{zh}（{place_zh}）", f"Both in {en} ({place_en})"))
        elif geography.linked((need.province, need.city), (achievement.province, achievement.city)):
            reasons.append(Reason("region", value, f"结对合作地区（{place_zh}）", f"Partner regions ({place_en})"))
        else:
            reasons.append(Reason("region", value, f"跨区域（{place_zh}）", f"Other region ({place_en})"))
    if scope_broken:
        zh, en = SCOPE_NAMES.get(need.region_scope, ("", ""))
        reasons.append(
            Reason("region", 0.0, f"不满足需求地域范围（{zh}）", f"Outside the need's region scope ({en})", broken=True)
        )
    return reasons


def readiness_reason(value: float, trl: int | None, min_trl: int | None, broken: bool) -> Reason:
    if trl is None or min_trl is None:
        return Reason("readiness", value, "成熟度未知", "Readiness unknown")
    if broken:
        return Reason(
            "readiness",
            value,
            f"成熟度不足：TRL{trl}，需求至少 {min_trl}",
            f"Not ready enough: TRL {trl}, need asks {min_trl}",
            broken=True,
        )
    return Reason(
        "readiness", value, f"成熟度 TRL{trl}（要求 ≥{min_trl}）", f"Readiness TRL {trl} (need asks {min_trl})"
    )


def price_reason(value: float, low: float | None, budget: float | None, broken: bool) -> Reason:
    if low is None or budget is None:
        return Reason("price", value, "价格或预算未说明", "Price or budget not given")
    if broken:
        return Reason(
            "price",
            value,
            f"报价 {low:g} 万元超出预算 {budget:g} 万元的 1.5 倍",
            f"Price from {low:g} exceeds 1.5 x budget {budget:g} (10k CNY)",
            broken=True,
        )
    return Reason(
        "price", value, f"报价 {low:g} 万元，预算 {budget:g} 万元", f"Price from {low:g}, budget {budget:g} (10k CNY)"
    )


def mode_reason(value: float, need_modes: Sequence[str], achievement_modes: Sequence[str]) -> Reason:
    common = [m for m in MODE_NAMES if m in achievement_modes and m in need_modes]
    if not need_modes:
        return Reason("mode", value, "需求不限合作方式", "Any cooperation mode accepted")
    if common:
        zh, en = _names(common, MODE_NAMES)
        return Reason("mode", value, f"合作方式一致：{zh}", f"Modes in common: {en}")
    if not achievement_modes:
        return Reason("mode", value, "成果未说明合作方式", "The achievement names no mode")
    return Reason("mode", value, "合作方式不符", "No cooperation mode in common", broken=True)


def _lowest_price(achievement: AchievementRecord) -> float | None:
    return achievement.price_min if achievement.price_min is not None else achievement.price_max


def explain_pair(
    *,
    need: NeedRecord,
    achievement: AchievementRecord,
    components: dict[str, float],
    broken: dict[str, bool],
    shared_terms: dict[str, list[str]],
    taxonomy: Taxonomy,
    geography: Geography,
    need_domain: DomainSide | None = None,
    achievement_domain: DomainSide | None = None,
) -> list[Reason]:
    """The reasons of one pair. The domains default to those the records give (none inferred)."""
    return [
        text_reason(components["text"], shared_terms),
        domain_reason(
            components["domain"],
            need_domain or DomainSide.given(need.domains, taxonomy),
            achievement_domain or DomainSide.given(achievement.domains, taxonomy),
            taxonomy,
        ),
        *region_reasons(components["region"], need, achievement, bool(broken.get("region_scope")), geography),
        readiness_reason(components["readiness"], achievement.trl, need.min_trl, bool(broken.get("readiness"))),
        price_reason(components["price"], _lowest_price(achievement), need.budget, bool(broken.get("price"))),
        mode_reason(components["mode"], need.modes, achievement.modes),
    ]


# --- many pairs of a fitted engine ----------------------------------------------------------------------------
class _Side:
    """One side of the pairs explained: its records, domain arrays and, per pair, the row (``SideText``)."""

    def __init__(
        self,
        engine: MatchingEngine,
        index: np.ndarray,
        *,
        need_side: bool,
        record: NeedRecord | AchievementRecord | None,
        rows: ShownRows | None = None,
        cache: SurfaceCache | None = None,
    ) -> None:
        if record is None:
            self.records: Sequence[NeedRecord | AchievementRecord] = engine.needs if need_side else engine.achievements
            self.arrays: SideArrays = engine.need_arrays if need_side else engine.ach_arrays
            matrix = engine.N if need_side else engine.A
            self.text = SideText(self.records, matrix, index.astype(np.int64), rows, cache)
        else:  # a record given with the call (a new or changed one): row 0 of its own
            vector = engine.vectorizer.transform([engine.bag(record)])
            self.records = [record]
            self.arrays = engine.codes.arrays([record], engine.infer_domains(vector, [record]))  # type: ignore[arg-type]
            self.text = SideText(self.records, vector, np.zeros(len(index), np.int64))


class Explainer:
    """The shown-term rules of a fitted vocabulary and the reasons built so far, kept per engine."""

    def __init__(self, engine: MatchingEngine) -> None:
        self.idf = engine.vectorizer.idf
        self.terms = TermIndex(
            engine.tokenizer,
            engine.vectorizer.vocabulary,
            engine.vectorizer.idf,
            len(engine.needs) + len(engine.achievements),
        )
        self.need_rows, self.ach_rows = ShownRows(), ShownRows()
        self.need_cache, self.ach_cache = SurfaceCache(), SurfaceCache()
        codes = engine.codes
        self._sub_bits = [(int(bit), code) for code, bit in codes.sub_bit.items()]
        self._top_bits = [(int(bit), code) for code, bit in codes.top_bit.items()]
        self._sides: dict[tuple[int, int, bool], DomainSide] = {}

    def _side_of(self, key: tuple[int, int, bool]) -> DomainSide:
        found = self._sides.get(key)
        if found is None:
            sub, top, inferred = key
            found = self._sides[key] = DomainSide(
                tuple(sorted(code for bit, code in self._sub_bits if sub & bit)),
                tuple(sorted(code for bit, code in self._top_bits if top & bit)),
                inferred,
            )
        return found

    def explain(
        self,
        engine: MatchingEngine,
        pairs: RankedPairs,
        positions: np.ndarray,
        need: NeedRecord | None = None,
        achievement: AchievementRecord | None = None,
    ) -> list[list[Reason]]:
        nside = _Side(
            engine, pairs.need[positions], need_side=True, record=need, rows=self.need_rows, cache=self.need_cache
        )
        aside = _Side(
            engine,
            pairs.achievement[positions],
            need_side=False,
            record=achievement,
            rows=self.ach_rows,
            cache=self.ach_cache,
        )
        shown = self.terms.shared_terms(nside.text, aside.text)
        out: list[list[Reason]] = []
        for start in range(0, len(positions), BLOCK):
            stop = min(start + BLOCK, len(positions))
            out.extend(self._reasons(engine, pairs, positions[start:stop], nside, aside, shown, start))
        return out

    def _reasons(
        self,
        engine: MatchingEngine,
        pairs: RankedPairs,
        block: np.ndarray,
        nside: _Side,
        aside: _Side,
        shown: list[dict[str, list[str]]],
        offset: int,
    ) -> list[list[Reason]]:
        """The reasons of a block of pairs. Those of the components other than text depend on a few values each:
        they are built once per distinct combination of those values in the block, and shared."""
        c, b = pairs.components, pairs.broken
        n = nside.text.index[offset : offset + len(block)]
        a = aside.text.index[offset : offset + len(block)]
        ns, as_ = nside.arrays, aside.arrays
        need_of = cast("Sequence[NeedRecord]", nside.records)
        ach_of = cast("Sequence[AchievementRecord]", aside.records)
        taxonomy, geography = engine.taxonomy, engine.geography

        def built(columns: list[np.ndarray], build: Callable[[int, int, int], object]) -> list[object]:
            """One reason (or list of reasons) per distinct row of ``columns``, for every pair of the block."""
            first, inverse = _distinct_rows([_bits(column) for column in columns])
            made = [build(j, int(n[j]), int(a[j])) for j in first.tolist()]
            return [made[k] for k in inverse.tolist()]

        domain = c["domain"][block]
        domains = built(
            [domain, ns.sub_mask[n], ns.top_mask[n], ns.domain_inferred[n], as_.sub_mask[a], as_.top_mask[a],
             as_.domain_inferred[a]],
            lambda j, i, k: domain_reason(
                float(domain[j]), self._side_of(_domain_key(ns, i)), self._side_of(_domain_key(as_, k)), taxonomy
            ),
        )  # fmt: skip
        region, scope_broken = c["region"][block], b["region_scope"][block]
        regions = built(
            [region, scope_broken, ns.province[n], ns.city[n], ns.scope[n], as_.province[a], as_.city[a]],
            lambda j, i, k: region_reasons(float(region[j]), need_of[i], ach_of[k], bool(scope_broken[j]), geography),
        )
        readiness, ready_broken = c["readiness"][block], b["readiness"][block]
        readies = built(
            [readiness, ready_broken, as_.level[a], ns.level[n]],
            lambda j, i, k: readiness_reason(
                float(readiness[j]), ach_of[k].trl, need_of[i].min_trl, bool(ready_broken[j])
            ),
        )
        price, price_broken = c["price"][block], b["price"][block]
        prices = built(
            [price, price_broken, as_.amount[a], ns.amount[n]],
            lambda j, i, k: price_reason(
                float(price[j]), _lowest_price(ach_of[k]), need_of[i].budget, bool(price_broken[j])
            ),
        )
        mode = c["mode"][block]
        modes = built(
            [mode, ns.modes[n], as_.modes[a]],
            lambda j, i, k: mode_reason(float(mode[j]), need_of[i].modes, ach_of[k].modes),
        )
        texts = c["text"][block].tolist()
        return [
            [text_reason(texts[j], shown[offset + j]), d, *cast("list[Reason]", r), t, p, m]  # type: ignore[list-item]
            for j, (d, r, t, p, m) in enumerate(zip(domains, regions, readies, prices, modes, strict=True))
        ]


def _domain_key(arrays: SideArrays, i: int) -> tuple[int, int, bool]:
    return int(arrays.sub_mask[i]), int(arrays.top_mask[i]), bool(arrays.domain_inferred[i])


def _distinct_rows(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of equal-length columns: the position of each one's first row, and each row's number."""
    size = len(columns[0])
    if size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort(columns[::-1])
    change = np.zeros(size - 1, bool)
    for column in columns:
        ordered = column[order]
        change |= ordered[1:] != ordered[:-1]
    inverse = np.empty(size, np.int64)
    inverse[order] = np.r_[0, np.cumsum(change)]
    return order[np.r_[0, np.flatnonzero(change) + 1]], inverse


def _bits(column: np.ndarray) -> np.ndarray:
    """A column as 64-bit unsigned integers that are equal exactly when the values are (floats by their bits)."""
    if column.dtype.kind == "f":
        return column.astype(np.float64).view(np.uint64)
    if column.dtype.kind == "b":
        return column.astype(np.uint64)
    return column.astype(np.int64).view(np.uint64) if column.dtype.kind == "i" else column.astype(np.uint64)


_EXPLAINERS: weakref.WeakKeyDictionary[MatchingEngine, Explainer] = weakref.WeakKeyDictionary()


def explainer(engine: MatchingEngine) -> Explainer:
    """The engine's explainer, made again when the engine was fitted again (a new IDF)."""
    found = _EXPLAINERS.get(engine)
    if found is None or found.idf is not engine.vectorizer.idf:
        found = _EXPLAINERS[engine] = Explainer(engine)
    return found


def explain_pairs(
    engine: MatchingEngine,
    pairs: RankedPairs,
    positions: Sequence[int] | np.ndarray | None = None,
    *,
    need: NeedRecord | None = None,
    achievement: AchievementRecord | None = None,
) -> list[list[Reason]]:
    """Reasons for the pairs at ``positions`` of ``pairs`` (all by default), in order. ``need`` or ``achievement``,
    when given, stand for the record on that side of every pair (one scored with ``rank_one``, not fitted)."""
    chosen = np.arange(len(pairs)) if positions is None else np.asarray(positions, np.int64)
    return explainer(engine).explain(engine, pairs, chosen, need, achievement)
