"""The engine's weights and thresholds. Defaults are tuned on the development benchmark (see docs/matching.md);
staff edit them through the ``MatchingConfig`` model, which the Django adapter turns into an ``EngineConfig``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

COMPONENTS = ("text", "domain", "region", "readiness", "price", "mode")


@dataclass(frozen=True)
class EngineConfig:
    # Weights of the components in the total (normalised by their sum).
    w_text: float = 0.62
    w_domain: float = 0.16
    w_region: float = 0.04
    w_readiness: float = 0.06
    w_price: float = 0.06
    w_mode: float = 0.06
    # Each broken hard constraint multiplies the total by this factor (demoted, not dropped).
    constraint_penalty: float = 0.8
    # Text: share of the relative cosine (to the best the two records reach) in the text component; the rest is the
    # absolute cosine, saturating at 1 at ``text_saturation``. The relative cosine divides by the need's best cosine
    # to the power ``text_need_share`` times the achievement's best to the power 1 - ``text_need_share``: the
    # achievement's part demotes "hub" records that fit some other need better, without letting a corpus with few
    # needs (whose best cosines are noisy) decide the ranking.
    text_relative: float = 0.7
    text_saturation: float = 0.45
    text_need_share: float = 0.75
    # Field weights and bridging.
    title_weight: float = 2.5
    keyword_weight: float = 2.0
    body_weight: float = 1.0
    bridge_weight: float = 0.6
    cedict_weight: float = 1.6
    # Overlapping character bigrams of Chinese text (see text.BIGRAM); 0 leaves them out.
    bigram_weight: float = 2.0
    # Terms kept per record vector (the heaviest); 0 keeps all. Long real prose needs every term: the light, common
    # words that pruning drops add up to much of the cosine of two long texts (docs/matching.md).
    max_terms: int = 0
    # Terms per record in the vectors that choose candidates (the heaviest); candidates are then scored on the full
    # vectors. 0 chooses with the full vectors (slower at scale).
    candidate_terms: int = 150
    bm25_k1: float = 2.0
    bm25_b: float = 0.5
    # Domain component values.
    domain_same_parent: float = 0.55
    domain_unknown: float = 0.4
    domain_inference_threshold: float = 0.2
    # Region component values.
    region_same_city: float = 1.0
    region_same_province: float = 0.85
    region_cluster: float = 0.7
    region_partner: float = 0.6
    region_other: float = 0.3
    # Soft values of the constraint components when a side does not say.
    unknown_constraint: float = 0.75
    # Candidates per record taken from the text product before full scoring, and pairs kept per record.
    candidates: int = 200
    top_k: int = 50

    def weights(self) -> dict[str, float]:
        return {name: getattr(self, f"w_{name}") for name in COMPONENTS}

    def replace(self, **changes: Any) -> EngineConfig:
        values = asdict(self)
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise KeyError(f"unknown engine settings: {', '.join(sorted(unknown))}")
        values.update(changes)
        return EngineConfig(**values)
