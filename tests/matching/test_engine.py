"""The engine on hand-made pairs: each component, the constraints, ranking invariants, odd input."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import AchievementRecord, EngineConfig, MatchingEngine, NeedRecord
from matching.engine.vectors import pair_dots

HARD_CARBON_NEED = NeedRecord(
    ref="N1",
    title="钠离子电池低成本硬碳负极材料",
    text="配套钠离子电池产线，需要硬碳负极材料，可逆比容量≥330 mAh/g，首次库仑效率≥88%，原料可选生物质或无烟煤。",
    keywords=("钠离子电池", "硬碳", "负极"),
    domains=("battery_materials",),
    min_trl=5,
    budget=500,
    modes=("transfer", "license"),
    region_scope="national",
    province="140000",
    city="140300",
)
ENGLISH_FIT = AchievementRecord(
    ref="A-en",
    title="Closed-pore hard carbon from biomass for sodium-ion battery anodes",
    text="Coconut-shell hard carbon anode with 345 mAh/g reversible capacity and 90% initial coulombic efficiency "
    "for sodium-ion batteries; continuous carbonisation at pilot scale. Available for licensing.",
    keywords=("hard carbon", "sodium-ion battery", "anode"),
    domains=("battery_materials",),
    trl=6,
    price_min=200,
    price_max=400,
    modes=("license",),
    province="410000",
    city="410100",
    lang="en",
)
SAME_DOMAIN_NON_FIT = AchievementRecord(
    ref="A-cathode",
    title="高镍三元正极材料单晶化制备技术",
    text="单晶高镍三元正极材料，循环寿命提升30%，适用于动力锂电池，已建中试线。",
    keywords=("高镍", "正极", "单晶"),
    domains=("battery_materials",),
    trl=6,
    price_min=300,
    price_max=500,
    modes=("transfer",),
    province="320000",
    city="320500",
)
UNRELATED = AchievementRecord(
    ref="A-rice",
    title="耐盐碱水稻新品种选育",
    text="通过分子标记辅助选择培育耐盐碱水稻，亩产提高15%。",
    domains=("seed_industry",),
    trl=7,
    modes=("license",),
    province="370000",
    city="370100",
)


def make_engine(taxonomy, geography, achievements, needs, **config):  # type: ignore[no-untyped-def]
    return MatchingEngine(taxonomy, geography, EngineConfig().replace(**config)).fit(achievements, needs)


def scores_for(engine, need_ref="N1"):  # type: ignore[no-untyped-def]
    pairs = engine.rank_needs()
    need_index = [n.ref for n in engine.needs].index(need_ref)
    out = {}
    for i in np.flatnonzero(pairs.need == need_index):
        out[engine.achievements[pairs.achievement[i]].ref] = i
    return pairs, out


@pytest.fixture(scope="module")
def engine(taxonomy, geography):  # type: ignore[no-untyped-def]
    return make_engine(taxonomy, geography, [ENGLISH_FIT, SAME_DOMAIN_NON_FIT, UNRELATED], [HARD_CARBON_NEED])


def test_cross_language_strong_fit_ranks_above_a_same_domain_non_fit(engine):
    pairs, index = scores_for(engine)
    ranked = sorted(index, key=lambda ref: -pairs.total[index[ref]])
    assert ranked[0] == "A-en"
    assert pairs.components["text"][index["A-en"]] > pairs.components["text"][index["A-cathode"]]
    assert "A-rice" not in index or ranked.index("A-rice") == len(ranked) - 1


def test_components_stay_in_range_and_reasons_come_in_both_languages(engine):
    pairs, index = scores_for(engine)
    for values in pairs.components.values():
        assert ((values >= 0) & (values <= 1)).all()
    reasons = engine.explain(pairs, index["A-en"])
    assert {r.component for r in reasons} == {"text", "domain", "region", "readiness", "price", "mode"}
    text_reason = next(r for r in reasons if r.component == "text")
    assert "hard carbon" in text_reason.en or "sodium" in text_reason.en
    assert all(r.zh and r.en for r in reasons)
    assert not any(r.broken for r in reasons)


def test_domain_same_sub_beats_same_parent_beats_other_and_missing_is_unknown(taxonomy, geography):
    base = {"title": "硬碳负极", "text": "钠离子电池硬碳负极材料", "trl": 6, "province": "140000"}
    records = [
        AchievementRecord(ref="sub", domains=("battery_materials",), **base),
        AchievementRecord(ref="parent", domains=("new_materials",), **base),
        AchievementRecord(ref="sibling", domains=("polymers",), **base),
        AchievementRecord(ref="other", domains=("seed_industry",), **base),
        AchievementRecord(ref="none", domains=(), **base),
    ]
    engine = make_engine(taxonomy, geography, records, [HARD_CARBON_NEED])
    pairs, index = scores_for(engine)
    domain = {ref: pairs.components["domain"][i] for ref, i in index.items()}
    assert domain["sub"] == 1.0
    assert domain["sub"] > domain["sibling"] > domain["other"] == 0.0
    assert domain["parent"] >= domain["sibling"]  # a coarse code is not a mismatch
    assert domain["none"] > 0  # missing: inferred from the text (battery materials), never a mismatch


def test_domains_are_inferred_from_text_when_missing(taxonomy, geography):
    anonymous = AchievementRecord(ref="x", title="钠离子电池硬碳负极材料", text="硬碳负极 比容量 首效 钠电", domains=())
    engine = make_engine(taxonomy, geography, [ENGLISH_FIT, SAME_DOMAIN_NON_FIT, anonymous], [HARD_CARBON_NEED])
    inferred = engine.infer_domains(engine.A, engine.achievements)
    assert inferred[2][0] == "battery_materials"
    assert inferred[0] == []  # records that name a subdomain keep theirs


@pytest.mark.parametrize(
    ("province", "city", "expected"),
    [("140000", "140300", "same_city"), ("140000", "140100", "same_province"), ("620000", "620100", "cluster"),
     ("460000", "460100", "other"), ("650000", "650100", "other")],
)  # fmt: skip
def test_region_levels(taxonomy, geography, province, city, expected):
    config = EngineConfig()
    values = {
        "same_city": config.region_same_city,
        "same_province": config.region_same_province,
        "cluster": config.region_cluster,
        "other": config.region_other,
    }
    achievement = AchievementRecord(ref="a", title="硬碳负极", text="钠离子电池硬碳负极", province=province, city=city)
    engine = make_engine(taxonomy, geography, [achievement], [HARD_CARBON_NEED])
    pairs, index = scores_for(engine)
    assert pairs.components["region"][index["a"]] == pytest.approx(values[expected])


def test_partner_link_counts_between_the_two_places(taxonomy, geography):
    need = NeedRecord(ref="N1", title="硬碳负极", text="钠离子电池硬碳负极", province="370000", city="370100")
    linked = AchievementRecord(
        ref="wlmq", title="硬碳负极", text="钠离子电池硬碳负极", province="650000", city="650100"
    )
    other = AchievementRecord(ref="hk", title="硬碳负极", text="钠离子电池硬碳负极", province="460000", city="460100")
    engine = make_engine(taxonomy, geography, [linked, other], [need])
    pairs, index = scores_for(engine)
    assert pairs.components["region"][index["wlmq"]] == pytest.approx(EngineConfig().region_partner)
    assert pairs.components["region"][index["hk"]] == pytest.approx(EngineConfig().region_other)


def test_broken_constraints_demote_but_keep_the_pair_and_name_the_constraint(taxonomy, geography):
    need = NeedRecord(
        ref="N1",
        title="钠离子电池硬碳负极材料",
        text="需要硬碳负极",
        min_trl=7,
        budget=100,
        modes=("transfer",),
        region_scope="province",
        province="140000",
    )
    fits = AchievementRecord(ref="ok", title="钠离子电池硬碳负极材料", text="硬碳负极", trl=7, price_min=80,
                             modes=("transfer",), province="140000")  # fmt: skip
    cases = {
        "readiness": {"trl": 4},
        "price": {"price_min": 200},
        "mode": {"modes": ("equity",)},
        "region_scope": {"province": "310000"},
    }
    records = [fits] + [AchievementRecord(**{**fits.__dict__, "ref": name, **change}) for name, change in cases.items()]
    engine = make_engine(taxonomy, geography, records, [need])
    pairs, index = scores_for(engine)
    assert set(index) == {"ok", *cases}  # demoted, not dropped
    for name in cases:
        i = index[name]
        assert pairs.broken[name][i]
        assert pairs.total[i] < pairs.total[index["ok"]]
        reasons = engine.explain(pairs, i)
        assert any(r.broken for r in reasons)
    assert not any(flags[index["ok"]] for flags in pairs.broken.values())


def test_rank_one_matches_a_new_record_against_the_fitted_side(engine):
    others, _ = engine.rank_one(HARD_CARBON_NEED)
    assert engine.achievements[others[0]].ref == "A-en"
    needs, _ = engine.rank_one(ENGLISH_FIT)
    assert engine.needs[needs[0]].ref == "N1"


def test_top_k_per_record(taxonomy, geography):
    records = [AchievementRecord(ref=f"a{i}", title=f"硬碳负极 {i}", text="钠离子电池硬碳负极材料") for i in range(12)]
    engine = make_engine(taxonomy, geography, records, [HARD_CARBON_NEED], top_k=5)
    assert len(engine.rank_needs()) == 5
    assert len(engine.rank_achievements()) == 12  # each achievement keeps its one need


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(TEXT, min_size=1, max_size=4),
    need_title=TEXT,
    trl=st.one_of(st.none(), st.integers(1, 9)),
    budget=st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
)
def test_scores_stay_in_range_on_odd_or_empty_text(taxonomy, geography, titles, need_title, trl, budget):
    achievements = [AchievementRecord(ref=f"a{i}", title=t, text=t[::-1], trl=trl) for i, t in enumerate(titles)]
    needs = [NeedRecord(ref="n", title=need_title, text="", budget=budget, min_trl=trl)]
    engine = MatchingEngine(taxonomy, geography).fit(achievements, needs)
    pairs = engine.rank()
    assert ((pairs.total >= 0) & (pairs.total <= 1)).all()
    for values in pairs.components.values():
        assert ((values >= 0) & (values <= 1)).all()
    for i in range(len(pairs)):
        assert engine.explain(pairs, i)


def test_pair_dots_are_the_exact_dot_products_of_the_pairs():
    rng = np.random.default_rng(7)
    left = sp.random(40, 300, density=0.1, format="csr", dtype=np.float32, random_state=1)
    right = sp.random(90, 280, density=0.05, format="csr", dtype=np.float32, random_state=2)
    left_rows, right_rows = rng.integers(0, 40, 700), rng.integers(0, 90, 700)
    wide = right.copy()
    wide.resize((90, 300))
    expected = np.asarray(left[left_rows].multiply(wide[right_rows]).sum(axis=1)).ravel()
    assert np.allclose(pair_dots(left, right, left_rows, right_rows), expected, atol=1e-6)
    assert len(pair_dots(left, right, np.zeros(0, np.int64), np.zeros(0, np.int64))) == 0


def test_candidates_chosen_on_pruned_vectors_are_scored_on_the_full_ones(taxonomy, geography):
    """With a tiny candidate vocabulary, the product that chooses sees a few terms per record; the cosine a
    candidate pair gets is still that of the whole texts."""
    achievements = [ENGLISH_FIT, SAME_DOMAIN_NON_FIT, UNRELATED]
    engine = make_engine(taxonomy, geography, achievements, [HARD_CARBON_NEED], candidate_terms=40)
    rows, cols, cosines = engine.by_need
    assert len(rows)
    for row, col, cosine in zip(rows, cols, cosines, strict=True):
        full = float(engine.N[int(row)].multiply(engine.A[int(col)]).sum())
        assert cosine == pytest.approx(full, abs=1e-5)
    assert engine._for_candidates(engine.A).getnnz(axis=1).max() <= 40 < engine.A.getnnz(axis=1).max()
    full_engine = make_engine(taxonomy, geography, achievements, [HARD_CARBON_NEED], candidate_terms=0)
    by_pair = {(int(r), int(c)): float(v) for r, c, v in zip(*full_engine.by_need, strict=True)}
    for row, col, cosine in zip(rows, cols, cosines, strict=True):
        assert cosine == pytest.approx(by_pair[(int(row), int(col))], abs=1e-5)


def test_chinese_bigrams_match_what_segmentation_cuts_differently(taxonomy, geography):
    engine = make_engine(taxonomy, geography, [UNRELATED], [HARD_CARBON_NEED])
    bag = engine.bag(AchievementRecord(ref="x", title="覆铜箔层压板", text="low loss laminate"))
    assert {"#覆铜", "#铜箔"} <= set(bag)
    assert not any(token.startswith("#") for token in engine.bag(ENGLISH_FIT))
    plain = make_engine(taxonomy, geography, [UNRELATED], [HARD_CARBON_NEED], bigram_weight=0.0)
    assert not any(token.startswith("#") for token in plain.bag(SAME_DOMAIN_NON_FIT))


FORKED_PAIR_DOTS = """
import numpy as np, scipy.sparse as sp
from matching.engine import vectors
vectors.PARALLEL_PAIRS = 10
rng = np.random.default_rng(3)
left = sp.random(30, 200, density=0.1, format="csr", dtype=np.float32, random_state=4)
right = sp.random(50, 200, density=0.1, format="csr", dtype=np.float32, random_state=5)
left_rows, right_rows = rng.integers(0, 30, 500), rng.integers(0, 50, 500)
alone = vectors.pair_dots(left, right, left_rows, right_rows)
for processes in (2, 3):
    assert np.array_equal(vectors.pair_dots(left, right, left_rows, right_rows, processes=processes), alone)
print("same")
"""


def test_pair_dots_shared_out_over_forked_processes_give_the_same_products():
    """In a fresh single-threaded interpreter, as in the commands and benchmarks that fork (forking a process with
    other threads running, such as a test runner's live server, can hang the children)."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", FORKED_PAIR_DOTS], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"
