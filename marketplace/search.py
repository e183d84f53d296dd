"""Text search over postings, in Chinese and English.

Ranked search (what the list pages, the API and "similar postings" use): a posting's title, keywords and body become
weighted tokens in the matching engine's bilingual token space (``matching.engine.text.Tokenizer``: jieba words,
Snowball stems of English words, two-word phrases, and bridges between the languages through the glossary and
CC-CEDICT), so that "sodium" finds 钠离子电池 and 硬碳 finds "hard carbon". ``document_terms`` turns a posting into
token -> impact, the BM25 term weight (title above keywords above body, saturated, length-normalised) that
``marketplace.search_index`` stores one row per token; ``query_terms`` turns a query into weighted tokens, which are
OR-ed and ranked by the sum of impact x query weight x IDF over the stored rows.

The plain document (``search_document``, below): title, keywords and body segmented into tokens separated by spaces
(jieba's search mode for Chinese, lower-cased words for English), kept for the older search that requires every
word of the query (``marketplace.selectors.posting_search``, the baseline of ``bench/search_quality.py``). A long
Chinese word also matches when the document holds its parts (固态电池 = 固态 + 电池). On PostgreSQL the groups become
a ``tsquery`` over ``to_tsvector('simple', search_document)`` (GIN-indexed); elsewhere, substring tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import rjieba

from matching.engine.config import EngineConfig
from matching.engine.text import Tokenizer, load_lexicon

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9][A-Za-z0-9+\-.]*[A-Za-z0-9+]|[A-Za-z0-9]")
_MIN_LEN = 2


def _normalize(token: str) -> str:
    return token.strip().lower()


@cache
def _jieba() -> rjieba.Jieba:
    """jieba's dictionary and search-mode segmentation through jieba-rs (``rjieba``, as the matching engine uses
    it): the same words as the Python jieba (all but 1 of 101,966 Chinese runs of the benchmarks' texts), eleven
    times faster, which is most of the cost of indexing 200,000 imported postings."""
    return rjieba.Jieba()


def tokens(text: str) -> list[str]:
    """Search tokens of a text: jieba search-mode words for Chinese runs, words for the rest; length >= 2."""
    jieba = _jieba()
    out: list[str] = []
    for match in _WORD.finditer(text or ""):
        chunk = match.group(0)
        if _CJK.fullmatch(chunk):
            out.extend(word for word in jieba.cut_for_search(chunk, True) if len(word) >= _MIN_LEN)
        else:
            word = _normalize(chunk)
            if len(word) >= _MIN_LEN:
                out.append(word)
    return out


def search_document_for(*, title: str, body: str, keywords: Iterable[str], domain_codes: Iterable[str]) -> str:
    words = tokens(" ".join([title, " ".join(keywords), body]))
    words.extend(code.lower() for code in domain_codes)
    unique = dict.fromkeys(words)  # keeps order, drops repeats: the document is for matching, not ranking
    return " ".join(unique)


@dataclass(frozen=True)
class TermGroup:
    """A query word, matched as itself or as all of its parts."""

    word: str
    parts: tuple[str, ...] = ()


def query_groups(query: str) -> list[TermGroup]:
    jieba = _jieba()
    groups: list[TermGroup] = []
    seen: set[str] = set()
    for match in _WORD.finditer(query or ""):
        chunk = match.group(0)
        words = jieba.cut(chunk, True) if _CJK.fullmatch(chunk) else [_normalize(chunk)]
        for word in words:
            if len(word) < _MIN_LEN or word in seen:
                continue
            seen.add(word)
            parts: tuple[str, ...] = ()
            if _CJK.fullmatch(word) and len(word) >= 3:
                parts = tuple(p for p in jieba.cut_for_search(word, True) if _MIN_LEN <= len(p) < len(word))
            groups.append(TermGroup(word=word, parts=tuple(dict.fromkeys(parts))))
    return groups


def to_tsquery(groups: list[TermGroup]) -> str:
    """The groups as a raw PostgreSQL tsquery (every group must match)."""

    def lexeme(word: str) -> str:
        return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"

    clauses = []
    for group in groups:
        if group.parts:
            clauses.append(f"({lexeme(group.word)} | ({' & '.join(lexeme(p) for p in group.parts)}))")
        else:
            clauses.append(lexeme(group.word))
    return " & ".join(clauses)


# --- Ranked search: weighted bridged tokens ---------------------------------------------------------------------

# Field weights and glossary bridging are the engine's defaults (matching/engine/config.py), so that search and
# matching read a posting the same way.
_ENGINE = EngineConfig()
TITLE_WEIGHT = _ENGINE.title_weight
KEYWORD_WEIGHT = _ENGINE.keyword_weight
BODY_WEIGHT = _ENGINE.body_weight
BRIDGE_WEIGHT = _ENGINE.bridge_weight
# Dictionary senses weigh less than in the engine (1.6): a query is a few words, whose broad senses would outweigh
# the words typed; the search figures in docs/matching.md were measured with 0.3.
CEDICT_WEIGHT = 0.3
# Overlapping character bigrams of Chinese text (the engine's BIGRAM tokens): they find what jieba cuts differently in
# a query and a record (a compound split across words, a term it does not know). Weighted as a word (the engine
# weighs them 2.0 for whole texts; for short queries that drowns the bridged matches of the other language).
BIGRAM_WEIGHT = 1.0
# BM25: term frequency saturation and length normalisation against a fixed reference length (the total token weight
# of a typical posting: 150-220 on the benchmarks), so that a stored impact never needs recomputing as the corpus
# grows.
K1 = 1.2
B = 0.5
REFERENCE_LENGTH = 200.0
MAX_DOCUMENT_TERMS = 768  # the heaviest tokens of a posting (the first ones among equals); beyond, a long text's tail
MAX_TOKEN_LENGTH = 64
MAX_QUERY_CHARS = 2000

TAXONOMY_FILE = Path(__file__).resolve().parent.parent / "reference" / "data" / "domains.json"


def _taxonomy_names() -> tuple[tuple[str, str], ...]:
    """The domains' (Chinese, English) names, as the engine adds them to its lexicon (the same tuple, so one
    process that runs both shares one lexicon)."""
    try:
        data = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))["domains"]
    except (OSError, ValueError, KeyError):
        return ()
    names = []
    for top in data:
        names.append((top["zh"], top["en"]))
        names.extend((child["zh"], child["en"]) for child in top.get("children", ()))
    return tuple(sorted(names))


@cache
def tokenizer() -> Tokenizer:
    """The engine's bilingual tokenizer, built once per process (loading the lexicon takes seconds)."""
    lexicon = load_lexicon(taxonomy_names=_taxonomy_names())
    return Tokenizer(lexicon, bridge_weight=BRIDGE_WEIGHT, cedict_weight=CEDICT_WEIGHT, bigram_weight=BIGRAM_WEIGHT)


def _usable(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_LENGTH


def document_bag(*, title: str, keywords: Iterable[str], body: str) -> dict[str, float]:
    """A posting's tokens with their raw weights (title above keywords above body; bridged tokens lower)."""
    bag: dict[str, float] = {}
    words = tokenizer()
    words.tokens(title or "", TITLE_WEIGHT, bag)
    keywords = [word for word in keywords or () if word and word.strip()]
    if keywords:
        words.tokens(" ; ".join(keywords), KEYWORD_WEIGHT, bag)
    words.tokens(body or "", BODY_WEIGHT, bag)
    return {token: weight for token, weight in bag.items() if _usable(token)}


def impacts(bag: dict[str, float]) -> dict[str, float]:
    """Token -> impact, the BM25 weight of each token of a document's bag (its ``MAX_DOCUMENT_TERMS`` heaviest)."""
    if not bag:
        return {}
    norm = K1 * (1 - B + B * sum(bag.values()) / REFERENCE_LENGTH)
    usable = [(token, weight) for token, weight in bag.items() if _usable(token)]
    heaviest = sorted(usable, key=lambda item: -item[1])[:MAX_DOCUMENT_TERMS]  # stable: text order among equals
    return {token: round(weight * (K1 + 1) / (weight + norm), 5) for token, weight in heaviest}


def document_terms(*, title: str, keywords: Iterable[str], body: str) -> dict[str, float]:
    """Token -> impact for a posting."""
    return impacts(document_bag(title=title, keywords=keywords, body=body))


def query_terms(query: str) -> dict[str, float]:
    """A query's tokens with their weights: a word 1, a bridged token less (a CC-CEDICT sense least)."""
    bag: dict[str, float] = {}
    tokenizer().tokens((query or "")[:MAX_QUERY_CHARS], 1.0, bag)
    return {token: weight for token, weight in bag.items() if _usable(token)}
