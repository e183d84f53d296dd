"""Explanations people can read: shared terms as written in the two texts, in the reader's language; domain reasons
that say when a domain was inferred. The engine alone, on hand-made pairs and on a whole benchmark."""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from matching.engine import AchievementRecord, EngineConfig, MatchingEngine, NeedRecord, Reason
from matching.engine.terms import GENERIC_EN, GENERIC_ZH, UNITS
from matching.engine.text import _STOP_EN, stem

BENCH = Path(__file__).resolve().parents[2] / "bench"
CJK = re.compile(r"[\u3400-\u9fff]")


def shown(reasons: list[Reason]) -> dict[str, list[str]]:
    """The terms of the text reason, as each reader reads them."""
    text = next(r for r in reasons if r.component == "text")
    zh = re.search(r"共同要点 (.+)$", text.zh)
    en = re.search(r"shared terms (.+)$", text.en)
    return {"zh": zh.group(1).split("、") if zh else [], "en": en.group(1).split(", ") if en else []}


def record_text(record: AchievementRecord | NeedRecord) -> str:
    return unicodedata.normalize("NFKC", " \n ".join([record.title, " ; ".join(record.keywords), record.text]))


def problem(term: str, texts: list[str]) -> str | None:
    """Why a shown term should not have been shown, or None."""
    lowered = term.lower()
    if re.fullmatch(r"[\d\s.,%+\-/]+", term):
        return "a number"
    if lowered in UNITS or (re.fullmatch(r"[\d.]+\s*[a-z°μ]+", lowered) and re.sub(r"^[\d.\s]+", "", lowered) in UNITS):
        return "a unit"
    if len(term) < 2:
        return "a single character"
    if lowered in _STOP_EN or term in GENERIC_ZH or (" " not in lowered and stem(lowered) in GENERIC_EN):
        return "a stop word or a generic word"
    if CJK.search(term):
        return None if any(lowered in text.lower() for text in texts) else "not in either text"
    whole = re.compile(r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])", re.IGNORECASE)
    return None if any(whole.search(text) for text in texts) else "not a whole word of either text"


def engine_for(taxonomy, geography, achievements, needs, **config) -> MatchingEngine:  # type: ignore[no-untyped-def]
    return MatchingEngine(taxonomy, geography, EngineConfig().replace(**config)).fit(achievements, needs)


def pair_reasons(engine: MatchingEngine, need_ref: str, achievement_ref: str) -> list[Reason]:
    pairs = engine.rank()
    n = [r.ref for r in engine.needs].index(need_ref)
    a = [r.ref for r in engine.achievements].index(achievement_ref)
    i = int(np.flatnonzero((pairs.need == n) & (pairs.achievement == a))[0])
    return engine.explain(pairs, i)


def need(ref: str, title: str, text: str, **fields) -> NeedRecord:  # type: ignore[no-untyped-def]
    return NeedRecord(ref=ref, title=title, text=text, **fields)


def offer(ref: str, title: str, text: str, **fields) -> AchievementRecord:  # type: ignore[no-untyped-def]
    return AchievementRecord(ref=ref, title=title, text=text, **fields)


FILLER = [
    offer("F1", "耐盐碱水稻新品种选育", "通过分子标记辅助选择培育耐盐碱水稻，亩产提高。"),
    offer("F2", "Low-noise gearbox for wind turbines", "A planetary gearbox with helical gears for wind turbines."),
]


# --- a whole benchmark ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bench():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        from benchdata import geography, load, taxonomy
    finally:
        sys.path.remove(str(BENCH))
    achievements, needs, _ = load(BENCH / "data" / "bench-dev")
    engine = MatchingEngine(taxonomy(), geography()).fit(achievements, needs)
    pairs = engine.rank()
    return engine, pairs, engine.explain_many(pairs)


def test_every_shown_term_of_a_whole_benchmark_is_a_word_of_one_of_the_two_texts(bench):
    engine, pairs, explained = bench
    assert len(explained) == len(pairs) > 5000
    texts_n = [record_text(r) for r in engine.needs]
    texts_a = [record_text(r) for r in engine.achievements]
    failures, with_terms = [], 0
    for i, reasons in enumerate(explained):
        texts = [texts_n[int(pairs.need[i])], texts_a[int(pairs.achievement[i])]]
        terms = shown(reasons)
        with_terms += bool(terms["zh"])
        assert len(terms["zh"]) <= 5 and len(terms["en"]) <= 5
        assert bool(terms["zh"]) == bool(terms["en"])
        failures += [(i, t, why) for language in ("zh", "en") for t in terms[language] if (why := problem(t, texts))]
    assert not failures, failures[:20]
    assert with_terms > len(pairs) / 2


def test_each_needs_best_pairs_show_terms_in_both_languages(bench):
    _, pairs, explained = bench
    order = np.lexsort((-pairs.total, pairs.need))
    best: dict[int, list[int]] = {}
    for i in order.tolist():
        best.setdefault(int(pairs.need[i]), []).append(i)
    top = [i for kept in best.values() for i in kept[:3]]
    assert sum(bool(shown(explained[i])["zh"]) for i in top) >= 0.95 * len(top)


def test_cross_language_pairs_show_each_reader_their_language(bench):
    engine, pairs, explained = bench
    cross = [
        i
        for i in range(len(pairs))
        if engine.needs[int(pairs.need[i])].lang != engine.achievements[int(pairs.achievement[i])].lang
        and shown(explained[i])["zh"]
    ]
    assert len(cross) > 100
    native = sum(
        any(CJK.search(t) for t in shown(explained[i])["zh"])
        and any(not CJK.search(t) for t in shown(explained[i])["en"])
        for i in cross
    )
    assert native >= 0.95 * len(cross)


def test_explain_of_one_pair_is_what_explain_many_gives(bench):
    engine, pairs, explained = bench
    for i in range(0, len(pairs), max(1, len(pairs) // 40)):
        assert engine.explain(pairs, i) == explained[i]


def test_blocks_in_another_order_give_the_same_reasons(bench):
    """Runs explain in blocks ordered by achievement; what is kept between calls must not change a reason."""
    engine, pairs, explained = bench
    order = np.lexsort((pairs.need, pairs.achievement))
    for start in range(0, len(pairs), 1000):
        block = order[start : start + 1000]
        assert engine.explain_many(pairs.subset(block)) == [explained[i] for i in block.tolist()]


# --- the reader's language ---------------------------------------------------------------------------------------
HARD_CARBON = need(
    "N-hc",
    "钠离子电池低成本硬碳负极材料",
    "配套钠离子电池产线，需要硬碳负极材料，可逆比容量≥330 mAh/g，首次库仑效率≥88%，原料可选生物质。",
    keywords=("钠离子电池", "硬碳", "负极"),
    domains=("battery_materials",),
)
ENGLISH_HARD_CARBON = offer(
    "A-hc",
    "Closed-pore hard carbon from biomass for Sodium-ion battery anodes",
    "Coconut-shell hard carbon anodes with 345 mAh/g reversible capacity and 90% initial coulombic efficiency for "
    "sodium-ion batteries; 0.03 mm particle size; 5 kg batches. Available for licensing.",
    keywords=("hard carbon", "sodium-ion battery", "anode"),
    domains=("battery_materials",),
    lang="en",
)


def test_a_chinese_reader_reads_chinese_words_and_an_english_reader_the_english_ones(taxonomy, geography):
    engine = engine_for(taxonomy, geography, [ENGLISH_HARD_CARBON, *FILLER], [HARD_CARBON])
    terms = shown(pair_reasons(engine, "N-hc", "A-hc"))
    assert {"硬碳", "钠离子电池"} <= set(terms["zh"])
    assert all(CJK.search(t) for t in terms["zh"])
    assert "hard carbon" in terms["en"]
    assert any(t.lower().startswith("sodium-ion batter") for t in terms["en"])
    assert not any(CJK.search(t) for t in terms["en"])
    texts = [record_text(HARD_CARBON), record_text(ENGLISH_HARD_CARBON)]
    assert not [t for language in ("zh", "en") for t in terms[language] if problem(t, texts)]


def test_numbers_units_and_stems_are_never_shown(taxonomy, geography):
    """Two English texts sharing "0.03", "5 kg", "30 %" and inflected words: the words as written are shown."""
    first = need(
        "N-uav",
        "Mission planning for unmanned aerial vehicles",
        "Mission planning software for unmanned vehicles flying 30 minutes with a 5 kg payload at 0.03 s latency; "
        "produces routes for swarms of unmanned aircraft.",
        lang="en",
    )
    second = offer(
        "A-uav",
        "Unmanned vehicle mission planning toolkit",
        "Our toolkit produced mission planning for unmanned vehicles: 30 flights, 5 kg payloads, 0.03 s updates, "
        "unmanned aircraft swarms.",
        lang="en",
    )
    engine = engine_for(taxonomy, geography, [second, *FILLER], [first])
    terms = shown(pair_reasons(engine, "N-uav", "A-uav"))
    assert terms["en"] == terms["zh"]  # nothing Chinese to show a Chinese reader
    for bad in ("unman", "vehicl", "produc", "mission plan", "0 03", "0", "03", "5", "30", "kg", "s"):
        assert bad not in terms["en"]
    assert "mission planning" in terms["en"]
    assert "unmanned" in " ".join(terms["en"])
    texts = [record_text(first), record_text(second)]
    assert not [t for t in terms["en"] if problem(t, texts)]


def test_a_dictionary_sense_is_not_shown_as_a_shared_word(taxonomy, geography):
    """处理 bridges to CC-CEDICT's "punish" and "handle": between two Chinese texts that is not a shared word."""
    first = need("N-ww", "印染废水处理工艺", "印染废水深度处理，要求出水COD低于50，处理规模每天一万吨。")
    second = offer("A-ww", "焦化废水生化处理技术", "焦化废水经生化处理与高级氧化处理后回用，处理成本低。")
    engine = engine_for(taxonomy, geography, [second, *FILLER], [first])
    terms = shown(pair_reasons(engine, "N-ww", "A-ww"))
    assert "废水" in terms["zh"]
    for gloss in ("punish", "handle", "handl", "treat", "deal"):
        assert gloss not in terms["en"]
    assert all(CJK.search(t) or t.lower() == "cod" for t in terms["en"])


def test_a_dictionary_sense_counts_when_the_other_text_writes_the_word(taxonomy, geography):
    """A Chinese word not in the glossary reaches English through CC-CEDICT; when the English text has that word
    written, the pair shares it: the English reader reads the English word, the Chinese reader the Chinese one."""
    english = need("N-en", "Ceramic glaze recipe", "We need a ceramic glaze recipe for porcelain tableware.", lang="en")
    chinese = offer("A-zh", "瓷器釉料配方", "适用于瓷器餐具的釉料配方，釉面光亮。")
    engine = engine_for(taxonomy, geography, [chinese, *FILLER], [english])
    terms = shown(pair_reasons(engine, "N-en", "A-zh"))
    texts = [record_text(english), record_text(chinese)]
    assert terms["en"] and not [t for t in terms["en"] + terms["zh"] if problem(t, texts)]
    assert not any(CJK.search(t) for t in terms["en"])
    assert any(CJK.search(t) for t in terms["zh"])


def test_jieba_fragments_are_not_shown(taxonomy, geography):
    """Search mode cuts 行部 out of 执行部 and 运行部, and 化剂 out of 固化剂 and 乳化剂: debris, not shared words."""
    first = need("N-frag", "执行部环氧固化剂采购", "执行部需要环氧树脂固化剂，用于地坪涂料。")
    second = offer("A-frag", "运行部沥青乳化剂", "运行部研制的沥青乳化剂，用于道路养护与地坪涂料。")
    engine = engine_for(taxonomy, geography, [second, *FILLER], [first])
    bag_first, bag_second = engine.bag(first), engine.bag(second)
    assert {"行部", "化剂"} <= set(bag_first) & set(bag_second)  # shared tokens, with weight
    terms = shown(pair_reasons(engine, "N-frag", "A-frag"))
    for fragment in ("行部", "化剂"):
        assert fragment not in terms["zh"] and fragment not in terms["en"]
    assert "地坪涂料" in terms["zh"] or "涂料" in terms["zh"]


def test_a_part_of_a_shared_longer_word_is_not_shown_beside_it(taxonomy, geography):
    first = need("N-ssb", "固态电池电解质", "需要固态电池用硫化物电解质，室温离子电导率高。")
    second = offer("A-ssb", "硫化物固态电池", "硫化物固态电池电解质，离子电导率达到10 mS/cm。")
    engine = engine_for(taxonomy, geography, [second, *FILLER], [first])
    terms = shown(pair_reasons(engine, "N-ssb", "A-ssb"))
    assert "固态电池" in terms["zh"]
    assert "固态" not in terms["zh"] and "电池" not in terms["zh"]


# --- domains -----------------------------------------------------------------------------------------------------
def test_an_inferred_domain_is_said_to_be_inferred(taxonomy, geography):
    unnamed = need(
        "N-nodomain",
        "钠离子电池硬碳负极材料",
        "钠离子电池负极用硬碳材料，比容量高，首次库仑效率高，适配层状氧化物正极。",
        keywords=("钠离子电池", "硬碳", "负极"),
    )
    named = [
        offer(f"A-bat{i}", title, text, domains=("battery_materials",))
        for i, (title, text) in enumerate(
            [
                ("钠离子电池硬碳负极", "生物质硬碳负极材料，用于钠离子电池，首次库仑效率高。"),
                ("锂离子电池硅碳负极", "硅碳负极材料，用于锂离子电池，循环寿命长。"),
                ("层状氧化物正极材料", "钠离子电池层状氧化物正极，比容量高。"),
            ]
        )
    ]
    engine = engine_for(taxonomy, geography, [*named, *FILLER], [unnamed])
    assert engine.need_arrays.domain_inferred[0]
    reasons = pair_reasons(engine, "N-nodomain", "A-bat0")
    domain = next(r for r in reasons if r.component == "domain")
    assert "需求领域由文本推断" in domain.zh
    assert "the need's domain inferred from its text" in domain.en
    assert "电池材料" in domain.zh and "Battery materials" in domain.en


def test_a_side_without_a_domain_is_never_called_the_same_domain(taxonomy, geography):
    unnamed = need("N-none", "Kitchen odour", "Something to take away cooking smells in a small flat.", lang="en")
    named = offer("A-named", "硬碳负极", "钠离子电池硬碳负极材料。", domains=("battery_materials",))
    engine = engine_for(taxonomy, geography, [named, *FILLER], [unnamed])
    pairs = engine.rank()
    for i in range(len(pairs)):
        domain = next(r for r in engine.explain(pairs, i) if r.component == "domain")
        need_inferred = bool(engine.need_arrays.domain_inferred[int(pairs.need[i])])
        if not need_inferred:
            assert domain.zh.startswith("需求未标注领域") and domain.en.startswith("The need names no domain")
        assert not domain.zh.startswith("同一技术领域") or "推断" in domain.zh


def test_given_domains_read_as_before(taxonomy, geography):
    engine = engine_for(taxonomy, geography, [ENGLISH_HARD_CARBON, *FILLER], [HARD_CARBON])
    domain = next(r for r in pair_reasons(engine, "N-hc", "A-hc") if r.component == "domain")
    assert (domain.zh, domain.en) == ("同一技术领域：电池材料", "Same domain: Battery materials")


# --- a record given with the call ----------------------------------------------------------------------------------
def test_a_newly_published_record_is_explained_from_its_own_text(taxonomy, geography):
    engine = engine_for(taxonomy, geography, [ENGLISH_HARD_CARBON, *FILLER], [HARD_CARBON])
    late = need("N-late", "生物质硬碳负极", "椰壳硬碳用于钠离子电池负极，需要中试放大。", keywords=("硬碳",))
    others, pairs = engine.rank_one(late)
    i = others.index([a.ref for a in engine.achievements].index("A-hc"))
    terms = shown(engine.explain(pairs, i, need=late))
    assert "硬碳" in terms["zh"] and "hard carbon" in terms["en"]
    texts = [record_text(late), record_text(ENGLISH_HARD_CARBON)]
    assert not [t for t in terms["zh"] + terms["en"] if problem(t, texts)]


EXPLAIN_IN_A_PROCESS = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from benchdata import geography, load, taxonomy
from matching.engine import MatchingEngine
from pathlib import Path
achievements, needs, _ = load(Path(sys.argv[2]))
engine = MatchingEngine(taxonomy(), geography()).fit(achievements, needs)
explained = engine.explain_many(engine.rank())
print(hashlib.sha1(json.dumps([[r.zh + r.en for r in reasons] for reasons in explained]).encode()).hexdigest())
"""


def test_explanations_are_the_same_in_every_process():
    """A worker and a web process explain a pair alike: nothing shown depends on the order of a set, which Python
    changes from process to process (two words of equal weight once showed as 便携 in one and 便携式 in another)."""
    import os
    import subprocess

    root = BENCH.parent
    digests = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", EXPLAIN_IN_A_PROCESS, str(BENCH), str(BENCH / "data" / "bench-dev")],
            cwd=root, env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        digests.add(done.stdout.strip())
    assert len(digests) == 1
