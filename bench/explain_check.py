"""Check and time the engine's explanations on a benchmark folder, without Django.

    .venv/bin/python bench/explain_check.py bench/data/bench-real-dev [bench/data/bench-cn-dev ...] [--examples 6]
    .venv/bin/python bench/explain_check.py --speed [--achievements 20000] [--needs 4000] [--pairs 200000]

A check fits the engine on the folder (as bench/engine_eval.py does), ranks both directions, explains every kept
pair and reads the text reason of each in both languages: a shown term passes when it occurs as a whole word in
one of the two records' texts (Chinese: as a substring; otherwise a whole word, case-insensitively, in the NFKC
form of the text) and is not a number, a unit, a stop word or a generic word. Prints the share of pairs whose
shown terms all pass, the terms that failed most often, and a few example reasons.

``--speed`` times ``MatchingEngine.explain_many`` on pairs of the scale benchmark's generated records
(bench/matching_scale.py): on a random sample of ``--pairs`` kept pairs and on all of them.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from benchdata import geography, load, taxonomy  # noqa: E402

from matching.engine import AchievementRecord, MatchingEngine, NeedRecord  # noqa: E402
from matching.engine.explain import Reason  # noqa: E402
from matching.engine.terms import GENERIC_EN, GENERIC_ZH, UNITS  # noqa: E402
from matching.engine.text import _STOP_EN, stem  # noqa: E402

ZH_TERMS = re.compile(r"共同要点 (.+)$")
EN_TERMS = re.compile(r"shared terms (.+)$")


def shown_terms(reasons: list[Reason]) -> dict[str, list[str]]:
    text = next(r for r in reasons if r.component == "text")
    zh, en = ZH_TERMS.search(text.zh), EN_TERMS.search(text.en)
    return {"zh": zh.group(1).split("、") if zh else [], "en": en.group(1).split(", ") if en else []}


def record_text(record: AchievementRecord | NeedRecord) -> str:
    return unicodedata.normalize("NFKC", " \n ".join([record.title, " ; ".join(record.keywords), record.text]))


def problem(term: str, texts: list[str]) -> str | None:
    """Why a shown term is wrong, or None."""
    lowered = term.lower()
    if re.fullmatch(r"[\d\s.,%+\-/]+", term):
        return "number"
    if lowered in UNITS or (re.fullmatch(r"[\d.]+\s*[a-zμ°]+", lowered) and re.sub(r"^[\d.\s]+", "", lowered) in UNITS):
        return "unit"
    if lowered in _STOP_EN or lowered in GENERIC_ZH or (" " not in lowered and stem(lowered) in GENERIC_EN):
        return "generic"
    if len(term) < 2:
        return "single character"
    if re.search(r"[\u3400-\u9fff]", term):
        return None if any(lowered in text.lower() for text in texts) else "not in either text"
    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(term) + r"(?![A-Za-z0-9])", re.IGNORECASE)
    return None if any(pattern.search(text) for text in texts) else "not a whole word of either text"


def check(folder: Path, examples: int) -> None:
    achievements, needs, _ = load(folder)
    started = time.perf_counter()
    engine = MatchingEngine(taxonomy(), geography()).fit(achievements, needs)
    pairs = engine.rank()
    fitted = time.perf_counter() - started
    started = time.perf_counter()
    explained = engine.explain_many(pairs)
    took = time.perf_counter() - started
    texts_n = [record_text(n) for n in engine.needs]
    texts_a = [record_text(a) for a in engine.achievements]
    passing, with_terms, failures = 0, 0, Counter()
    cross, cross_native = 0, 0
    for i, reasons in enumerate(explained):
        need, ach = int(pairs.need[i]), int(pairs.achievement[i])
        texts = [texts_n[need], texts_a[ach]]
        terms = shown_terms(reasons)
        if terms["zh"] or terms["en"]:
            with_terms += 1
        bad = [(t, why) for language in ("zh", "en") for t in terms[language] if (why := problem(t, texts))]
        if not bad:
            passing += 1
        failures.update(f"{t} ({why})" for t, why in bad)
        if engine.needs[need].lang != engine.achievements[ach].lang and terms["zh"]:
            cross += 1
            cross_native += any(re.search(r"[\u3400-\u9fff]", t) for t in terms["zh"]) and any(
                not re.search(r"[\u3400-\u9fff]", t) for t in terms["en"]
            )
    print(f"{folder}: {len(pairs)} pairs kept (fit and rank {fitted:.1f} s; explained in {took:.1f} s)")
    print(f"  pairs whose shown terms all pass: {passing}/{len(pairs)} = {passing / max(len(pairs), 1):.2%}")
    print(f"  pairs showing at least one term: {with_terms / max(len(pairs), 1):.2%}")
    if cross:
        print(f"  cross-language pairs with terms: {cross}; showing Chinese to Chinese readers and English to English "
              f"readers: {cross_native / cross:.2%}")  # fmt: skip
    if failures:
        print("  most frequent failures:", "; ".join(f"{t} x{c}" for t, c in failures.most_common(15)))
    rng = random.Random(7)
    order = np.lexsort((-pairs.total, pairs.need))
    firsts: list[int] = []
    seen: set[int] = set()
    for i in order.tolist():  # each need's best pair, a few needs at random
        if int(pairs.need[i]) not in seen:
            seen.add(int(pairs.need[i]))
            firsts.append(i)
    for i in rng.sample(firsts, min(examples, len(firsts))):
        need, ach = engine.needs[int(pairs.need[i])], engine.achievements[int(pairs.achievement[i])]
        print(f"  - need {need.ref} ({need.lang}) {need.title[:50]!r} / achievement {ach.ref} ({ach.lang}) "
              f"{ach.title[:50]!r}")  # fmt: skip
        for reason in explained[i][:2]:
            print(f"      zh: {reason.zh}\n      en: {reason.en}")


def speed(n_achievements: int, n_needs: int, sample: int) -> None:
    from matching_scale import generate

    achievements, needs = generate(n_achievements, n_needs, ROOT.parent / "shared" / "realdata")
    engine = MatchingEngine(taxonomy(), geography())
    started = time.perf_counter()
    engine.fit(achievements, needs, processes=2)
    pairs = engine.rank()
    print(f"{n_achievements} achievements x {n_needs} needs: fit and rank {time.perf_counter() - started:.1f} s, "
          f"{len(pairs)} pairs kept")  # fmt: skip
    picked = np.sort(np.random.default_rng(5).choice(len(pairs), size=min(sample, len(pairs)), replace=False))
    for label, subset in ((f"a random sample of {len(picked)}", pairs.subset(picked)), ("all", pairs)):
        started, cpu = time.perf_counter(), time.process_time()
        engine.explain_many(subset)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        each = used / len(subset) * 1e6
        print(f"explain_many, {label} ({len(subset)}) pairs: {wall:.1f} s wall, {used:.1f} s CPU "
              f"({each:.1f} µs CPU a pair, so 1M pairs take {each:.0f} s CPU)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="*")
    parser.add_argument("--examples", type=int, default=6)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--achievements", type=int, default=20_000)
    parser.add_argument("--needs", type=int, default=4_000)
    parser.add_argument("--pairs", type=int, default=200_000)
    args = parser.parse_args()
    for folder in args.folders:
        check(folder, args.examples)
    if args.speed:
        speed(args.achievements, args.needs, args.pairs)


if __name__ == "__main__":
    main()
