"""The benchmark's figures: nDCG@10 (gain = grade, log2 discount) and Recall@20 over grade-2 pairs, averaged over
needs (BENCHMARK-FORMAT.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at_k(ranking: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    dcg = sum(grades.get(ref, 0) / math.log2(rank + 2) for rank, ref in enumerate(ranking[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / best if best else 0.0


def recall_at_k(ranking: Sequence[str], grades: Mapping[str, int], k: int = 20, grade: int = 2) -> float:
    relevant = {ref for ref, g in grades.items() if g >= grade}
    if not relevant:
        return 1.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def evaluate(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    needs = sorted(qrels)
    ndcg = sum(ndcg_at_k(rankings.get(n, []), qrels[n]) for n in needs) / len(needs)
    recall = sum(recall_at_k(rankings.get(n, []), qrels[n]) for n in needs) / len(needs)
    return {"ndcg@10": ndcg, "recall@20": recall}
