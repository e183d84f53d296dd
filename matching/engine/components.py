"""Score components over arrays of candidate pairs, without a Python loop over pairs.

Each side's records are first turned into flat arrays (``SideArrays``): domains as bit masks of subdomains and
top-level domains, places as integer codes with a bit mask of regional clusters, readiness, prices and modes. A pair
is then an index into each side, and every component is a NumPy expression over the index arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .config import EngineConfig
from .records import AchievementRecord, Geography, NeedRecord, Taxonomy

MODES = ("transfer", "license", "co_development", "equity", "service")
SCOPES = {"national": 0, "cluster": 1, "province": 2}
CONSTRAINTS = ("readiness", "price", "mode", "region_scope")


@dataclass
class SideArrays:
    sub_mask: np.ndarray  # uint64: subdomains (given or inferred)
    top_mask: np.ndarray  # uint64: top-level domains
    domain_known: np.ndarray  # bool
    domain_inferred: np.ndarray  # bool
    province: np.ndarray  # int64 code, -1 unknown
    city: np.ndarray  # int64 code, -1 unknown
    clusters: np.ndarray  # uint64 mask
    level: np.ndarray  # float: trl (achievements) or min_trl (needs), nan unknown
    amount: np.ndarray  # float: lowest asking price (achievements) or budget (needs), nan unknown
    modes: np.ndarray  # uint8 mask
    scope: np.ndarray  # int8 (needs only)


class Codes:
    """Bit positions of domains and clusters, integer codes of places, fixed for one engine."""

    def __init__(self, taxonomy: Taxonomy, geography: Geography) -> None:
        subs = sorted(c for c in taxonomy.parent if taxonomy.is_sub(c))
        tops = sorted(c for c in taxonomy.parent if not taxonomy.is_sub(c))
        if len(subs) > 64 or len(tops) > 64 or len(geography.clusters) > 64:
            raise ValueError("the engine's bit masks hold at most 64 subdomains, top-level domains and clusters")
        self.taxonomy = taxonomy
        self.geography = geography
        self.sub_bit = {code: np.uint64(1) << np.uint64(i) for i, code in enumerate(subs)}
        self.top_bit = {code: np.uint64(1) << np.uint64(i) for i, code in enumerate(tops)}
        self.subs, self.tops = subs, tops
        self.cluster_bit = {code: np.uint64(1) << np.uint64(i) for i, code in enumerate(sorted(geography.clusters))}
        places = sorted({p for link in geography.partner_links for p in link})
        self.place_index = {code: i for i, code in enumerate(places)}
        size = max(len(places), 1)
        rows = [self.place_index[a] for a, b in geography.partner_links] + [
            self.place_index[b] for a, b in geography.partner_links
        ]
        cols = [self.place_index[b] for a, b in geography.partner_links] + [
            self.place_index[a] for a, b in geography.partner_links
        ]
        self.links = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))

    def domain_masks(self, codes: Sequence[str]) -> tuple[np.uint64, np.uint64]:
        sub, top = np.uint64(0), np.uint64(0)
        for code in codes:
            if code in self.sub_bit:
                sub |= self.sub_bit[code]
                top |= self.top_bit[self.taxonomy.top(code)]
            elif code in self.top_bit:
                top |= self.top_bit[code]
        return sub, top

    def cluster_mask(self, province: str | None, city: str | None) -> np.uint64:
        mask = np.uint64(0)
        for code in self.geography.clusters_of(province, city):
            mask |= self.cluster_bit[code]
        return mask

    def arrays(
        self, records: Sequence[AchievementRecord] | Sequence[NeedRecord], inferred: Sequence[Sequence[str]]
    ) -> SideArrays:
        n = len(records)
        out = SideArrays(
            sub_mask=np.zeros(n, np.uint64),
            top_mask=np.zeros(n, np.uint64),
            domain_known=np.zeros(n, bool),
            domain_inferred=np.zeros(n, bool),
            province=np.full(n, -1, np.int64),
            city=np.full(n, -1, np.int64),
            clusters=np.zeros(n, np.uint64),
            level=np.full(n, np.nan),
            amount=np.full(n, np.nan),
            modes=np.zeros(n, np.uint8),
            scope=np.zeros(n, np.int8),
        )
        for i, record in enumerate(records):
            sub, top = self.domain_masks(record.domains)
            if not sub and inferred[i]:
                inferred_sub, inferred_top = self.domain_masks(inferred[i])
                if not top or (inferred_top & top):
                    sub, top = inferred_sub, top | inferred_top
                    out.domain_inferred[i] = True
            out.sub_mask[i], out.top_mask[i] = sub, top
            out.domain_known[i] = bool(top)
            out.province[i] = int(record.province) if record.province else -1
            out.city[i] = int(record.city) if record.city else -1
            out.clusters[i] = self.cluster_mask(record.province, record.city)
            out.modes[i] = sum(1 << MODES.index(m) for m in set(record.modes) if m in MODES)
            if isinstance(record, AchievementRecord):
                out.level[i] = np.nan if record.trl is None else record.trl
                low = record.price_min if record.price_min is not None else record.price_max
                out.amount[i] = np.nan if low is None else low
            else:
                out.level[i] = np.nan if record.min_trl is None else record.min_trl
                out.amount[i] = np.nan if record.budget is None else record.budget
                out.scope[i] = SCOPES.get(record.region_scope, 0)
        return out

    def place_keys(self, province: np.ndarray, city: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def key(codes: np.ndarray) -> np.ndarray:
            lookup = np.array([self.place_index.get(f"{c:06d}", -1) if c >= 0 else -1 for c in codes], dtype=np.int64)
            return lookup

        return key(province), key(city)


@dataclass
class PairScores:
    components: dict[str, np.ndarray]
    broken: dict[str, np.ndarray]
    total: np.ndarray


def score_pairs(
    need: SideArrays,
    ach: SideArrays,
    need_idx: np.ndarray,
    ach_idx: np.ndarray,
    text: np.ndarray,
    config: EngineConfig,
    codes: Codes,
    need_place_keys: tuple[np.ndarray, np.ndarray],
    ach_place_keys: tuple[np.ndarray, np.ndarray],
) -> PairScores:
    n, a = need_idx, ach_idx
    comp: dict[str, np.ndarray] = {}
    comp["text"] = text

    same_sub = (need.sub_mask[n] & ach.sub_mask[a]) != 0
    same_top = (need.top_mask[n] & ach.top_mask[a]) != 0
    # Domains a side gives are facts; inferred ones may raise the score but never make a mismatch.
    given = need.domain_known[n] & ~need.domain_inferred[n] & ach.domain_known[a] & ~ach.domain_inferred[a]
    domain = np.where(same_sub, 1.0, np.where(same_top, config.domain_same_parent, 0.0))
    comp["domain"] = np.where(given, domain, np.maximum(domain, config.domain_unknown))

    same_city = (need.city[n] >= 0) & (need.city[n] == ach.city[a])
    same_province = (need.province[n] >= 0) & (need.province[n] == ach.province[a])
    shared_cluster = (need.clusters[n] & ach.clusters[a]) != 0
    linked = _linked(codes, need_place_keys, ach_place_keys, n, a)
    comp["region"] = np.select(
        [same_city, same_province, shared_cluster, linked],
        [config.region_same_city, config.region_same_province, config.region_cluster, config.region_partner],
        default=config.region_other,
    )

    trl, min_trl = ach.level[a], need.level[n]
    level_known = ~np.isnan(trl) & ~np.isnan(min_trl)
    gap = np.where(level_known, min_trl - trl, 0.0)  # > 1 breaks the constraint
    comp["readiness"] = np.where(
        level_known, np.clip(1.0 - np.maximum(gap, 0.0) * 0.25, 0.0, 1.0), config.unknown_constraint
    )
    price, budget = ach.amount[a], need.amount[n]
    price_known = ~np.isnan(price) & ~np.isnan(budget)
    ratio = np.where(price_known & (budget > 0), price / np.where(budget > 0, budget, 1.0), 0.0)
    comp["price"] = np.where(
        price_known, np.clip(1.0 - np.maximum(ratio - 1.0, 0.0), 0.0, 1.0), config.unknown_constraint
    )
    need_modes, ach_modes = need.modes[n], ach.modes[a]
    mode_common = (need_modes & ach_modes) != 0
    comp["mode"] = np.where(
        need_modes == 0, 1.0, np.where(ach_modes == 0, config.unknown_constraint, mode_common * 1.0)
    )

    scope = need.scope[n]
    in_scope = np.where(scope == 2, same_province, np.where(scope == 1, same_province | shared_cluster, True))
    broken = {
        "readiness": level_known & (gap > 1),
        "price": price_known & (price > 1.5 * budget),
        "mode": (need_modes != 0) & (ach_modes != 0) & ~mode_common,
        "region_scope": ~in_scope & (need.province[n] >= 0) & (ach.province[a] >= 0),
    }
    weights = config.weights()
    total = sum(weights[name] * comp[name] for name in comp) / sum(weights.values())
    broken_count = sum(flags.astype(np.int8) for flags in broken.values())
    total = total * np.power(config.constraint_penalty, broken_count)
    return PairScores(components=comp, broken=broken, total=total.astype(np.float32))


def _linked(
    codes: Codes,
    need_keys: tuple[np.ndarray, np.ndarray],
    ach_keys: tuple[np.ndarray, np.ndarray],
    n: np.ndarray,
    a: np.ndarray,
) -> np.ndarray:
    if codes.links.nnz == 0:
        return np.zeros(len(n), bool)
    result = np.zeros(len(n), bool)
    for need_key in need_keys:
        for ach_key in ach_keys:
            rows, cols = need_key[n], ach_key[a]
            ok = (rows >= 0) & (cols >= 0)
            if ok.any():
                hits = np.asarray(codes.links[rows[ok], cols[ok]]).ravel() > 0
                result[np.flatnonzero(ok)[hits]] = True
    return result
