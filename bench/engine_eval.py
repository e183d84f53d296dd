"""Evaluate the engine on a benchmark folder without Django (fast, for tuning and ablations).

.venv/bin/python bench/engine_eval.py bench/data/bench-dev [--ablate] [--set name=value ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from baselines import breaks_constraint, plain_baseline, strong_baseline
from benchdata import geography, load, taxonomy

from matching.engine import COMPONENTS, EngineConfig, MatchingEngine
from matching.engine.evaluation import evaluate

# Each line: what is taken away (or changed back), and the settings that do it.
ABLATIONS: list[tuple[str, dict[str, float]]] = [
    ("constraint demotion (penalty 1.0)", {"constraint_penalty": 1.0}),
    ("Chinese character bigrams", {"bigram_weight": 0.0}),
    ("dictionary bridging (CC-CEDICT)", {"cedict_weight": 0.0}),
    ("dictionary bridging at 0.3 (before)", {"cedict_weight": 0.3}),
    ("glossary bridging", {"bridge_weight": 0.0}),
    ("relative text score", {"text_relative": 0.0}),
    ("hub demotion (relative to need only)", {"text_need_share": 1.0}),
    ("geometric mean of bests (before)", {"text_need_share": 0.5}),
    ("pruning to 150 terms (before)", {"max_terms": 150}),
    ("BM25 k1 1.2 (before)", {"bm25_k1": 1.2}),
    ("domain inference threshold 0.12 (before)", {"domain_inference_threshold": 0.12}),
]


def rankings(engine: MatchingEngine) -> dict[str, list[str]]:
    pairs = engine.rank_needs()
    out: dict[str, list[str]] = {}
    order = np.lexsort((-pairs.total, pairs.need))
    for i in order:
        out.setdefault(engine.needs[pairs.need[i]].ref, []).append(engine.achievements[pairs.achievement[i]].ref)
    return out


def run(folder: Path, config: EngineConfig) -> dict[str, float]:
    achievements, needs, qrels = load(folder)
    engine = MatchingEngine(taxonomy(), geography(), config).fit(achievements, needs)
    return evaluate(rankings(engine), qrels)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--ablate", action="store_true")
    parser.add_argument("--baselines", action="store_true")
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()
    changes = {k: type(getattr(EngineConfig(), k))(float(v)) for k, v in (s.split("=") for s in args.set)}
    config = EngineConfig().replace(**changes)
    started = time.perf_counter()
    figures = run(args.folder, config)
    print(
        f"engine        nDCG@10 {figures['ndcg@10']:.4f}  Recall@20 {figures['recall@20']:.4f}"
        f"  ({time.perf_counter() - started:.1f} s)"
    )
    if args.baselines:
        achievements, needs, qrels = load(args.folder)
        engine = MatchingEngine(taxonomy(), geography(), config)
        plain = evaluate(plain_baseline(achievements, needs), qrels)
        strong = evaluate(strong_baseline(engine, achievements, needs, breaks_constraint(geography())), qrels)
        print(f"plain BM25    nDCG@10 {plain['ndcg@10']:.4f}  Recall@20 {plain['recall@20']:.4f}")
        print(f"strong        nDCG@10 {strong['ndcg@10']:.4f}  Recall@20 {strong['recall@20']:.4f}")
    if args.ablate:
        for component in COMPONENTS:
            ablated = run(args.folder, config.replace(**{f"w_{component}": 0.0}))
            print(f"- {component:<11} nDCG@10 {ablated['ndcg@10']:.4f}  Recall@20 {ablated['recall@20']:.4f}")
        for label, changes in ABLATIONS:
            ablated = run(args.folder, config.replace(**changes))
            print(f"- {label:<34} nDCG@10 {ablated['ndcg@10']:.4f}  Recall@20 {ablated['recall@20']:.4f}")


if __name__ == "__main__":
    main()
