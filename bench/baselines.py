"""The two baselines the engine is measured against, computed on the same records in the same run.

- plain: BM25 over jieba tokens (Chinese) and lower-cased words (English), need text as the query.
- strong: BM25 over the plain tokens bridged through the lexicon (each Chinese word adds the English words of its
  first CC-CEDICT senses; each English word adds the Chinese words whose senses name it), normalised per need, plus
  0.2 x domain overlap (1 same subdomain, 0.5 same top-level domain), the total halved for a pair that breaks a hard
  constraint. It shares no code with the engine's tokenizer, so the engine's own text processing is measured too.
"""

from __future__ import annotations

import gzip
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache

import jieba

from matching.engine import AchievementRecord, MatchingEngine, NeedRecord
from matching.engine.text import _cedict_path

_WORD = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9][A-Za-z0-9\-]*")


def plain_tokens(text: str) -> list[str]:
    out: list[str] = []
    for chunk in _WORD.findall(text or ""):
        if re.fullmatch(r"[\u3400-\u9fff]+", chunk):
            out.extend(w for w in jieba.cut_for_search(chunk) if len(w) >= 2)
        else:
            out.append(chunk.lower())
    return out


def bm25_rank(
    queries: Sequence[Counter], docs: Sequence[Counter], k1: float = 1.2, b: float = 0.75
) -> list[list[float]]:
    n = len(docs)
    df: Counter = Counter()
    for doc in docs:
        df.update(doc.keys())
    idf = {t: math.log1p((n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / max(n, 1)
    scores = []
    for query in queries:
        row = []
        for doc, length in zip(docs, lengths, strict=True):
            s = 0.0
            for term in query:
                tf = doc.get(term, 0)
                if tf:
                    s += idf[term] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
            row.append(s)
        scores.append(row)
    return scores


def _text(record: AchievementRecord | NeedRecord) -> str:
    return " ".join([record.title, " ".join(record.keywords), record.text])


def _rank(scores: list[list[float]], needs: Sequence[NeedRecord], achievements: Sequence[AchievementRecord]):  # type: ignore[no-untyped-def]
    return {
        need.ref: [achievements[j].ref for j in sorted(range(len(achievements)), key=lambda j: -row[j])[:50]]
        for need, row in zip(needs, scores, strict=True)
    }


def plain_baseline(achievements: Sequence[AchievementRecord], needs: Sequence[NeedRecord]) -> dict[str, list[str]]:
    docs = [Counter(plain_tokens(_text(a))) for a in achievements]
    queries = [Counter(plain_tokens(_text(n))) for n in needs]
    return _rank(bm25_rank(queries, docs), needs, achievements)


@cache
def cedict_bridges() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Chinese word -> English words of its first two senses, and English word -> Chinese words naming it."""
    zh_to_en: dict[str, list[str]] = {}
    with gzip.open(_cedict_path(), mode="rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" /")
            parts = head.split(" ")
            if len(parts) < 2 or len(parts[1]) < 2 or parts[1] in zh_to_en:
                continue
            senses = [s for s in rest.strip().strip("/").split("/") if not s.startswith(("CL:", "variant", "see "))]
            words = [w.lower() for s in senses[:2] for w in re.findall(r"[A-Za-z]+", re.sub(r"\(.*?\)", "", s))]
            words = [w for w in words if len(w) > 2 and w not in _GLOSS_STOP]
            if words:
                zh_to_en[parts[1]] = words[:4]
    en_to_zh: dict[str, list[str]] = {}
    for zh, words in zh_to_en.items():
        if len(words) == 1:  # only unambiguous single-word senses bridge back from English
            en_to_zh.setdefault(words[0], []).append(zh)
    return zh_to_en, en_to_zh


_GLOSS_STOP = frozenset("the and for with from into sth something one person used kind type".split())


def strong_baseline(
    engine: MatchingEngine,
    achievements: Sequence[AchievementRecord],
    needs: Sequence[NeedRecord],
    breaks: Callable[[NeedRecord, AchievementRecord], bool],
) -> dict[str, list[str]]:
    zh_to_en, en_to_zh = cedict_bridges()

    def bridged(record: AchievementRecord | NeedRecord) -> Counter:
        tokens = plain_tokens(_text(record))
        counts = Counter(tokens)
        for token in tokens:
            counts.update(zh_to_en.get(token, ()))
            counts.update(en_to_zh.get(token, ())[:3])
        return counts

    docs = [bridged(a) for a in achievements]
    queries = [bridged(n) for n in needs]
    raw = bm25_rank(queries, docs)
    taxonomy = engine.taxonomy
    scores = []
    for need, row in zip(needs, raw, strict=True):
        top = max(row) or 1.0
        need_subs, need_tops = set(need.domains), {taxonomy.top(c) for c in need.domains}
        out = []
        for achievement, value in zip(achievements, row, strict=True):
            if need_subs & set(achievement.domains) & {c for c in need_subs if taxonomy.is_sub(c)}:
                overlap = 1.0
            elif need_tops & {taxonomy.top(c) for c in achievement.domains}:
                overlap = 0.5
            else:
                overlap = 0.0
            total = value / top + 0.2 * overlap
            out.append(total / 2 if breaks(need, achievement) else total)
        scores.append(out)
    return _rank(scores, needs, achievements)


def breaks_constraint(geography) -> Callable[[NeedRecord, AchievementRecord], bool]:  # type: ignore[no-untyped-def]
    """The hard constraints of BENCHMARK-FORMAT.md, written out record by record (independently of the engine)."""

    def breaks(need: NeedRecord, achievement: AchievementRecord) -> bool:
        if need.min_trl is not None and achievement.trl is not None and achievement.trl < need.min_trl - 1:
            return True
        low = achievement.price_min if achievement.price_min is not None else achievement.price_max
        if need.budget is not None and low is not None and low > 1.5 * need.budget:
            return True
        if need.modes and achievement.modes and not set(need.modes) & set(achievement.modes):
            return True
        same_province = need.province == achievement.province
        if need.region_scope == "province" and not same_province:
            return True
        if need.region_scope == "cluster" and not same_province:
            shared = geography.clusters_of(need.province, need.city) & geography.clusters_of(
                achievement.province, achievement.city
            )
            if not shared:
                return True
        return False

    return breaks
