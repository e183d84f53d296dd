"""Text search over postings that works for Chinese: jieba segmentation, English words, one index document.

Each posting stores ``search_document``: its title, keywords and body segmented into tokens separated by spaces
(jieba's search mode for Chinese, lower-cased words for English). A query is segmented the same way into term
groups; a long Chinese word also matches when the document holds its parts (固态电池 = 固态 + 电池), so the search
does not depend on jieba cutting a word the same way in a query and in a sentence. On PostgreSQL the groups
become a ``tsquery`` over ``to_tsvector('simple', search_document)`` (GIN-indexed); elsewhere, substring tests on
the space-delimited document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import jieba

jieba.setLogLevel(logging.WARNING)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9][A-Za-z0-9+\-.]*[A-Za-z0-9+]|[A-Za-z0-9]")
_MIN_LEN = 2


def _normalize(token: str) -> str:
    return token.strip().lower()


@cache
def _ensure_jieba() -> None:
    jieba.initialize()


def tokens(text: str) -> list[str]:
    """Search tokens of a text: jieba search-mode words for Chinese runs, words for the rest; length >= 2."""
    _ensure_jieba()
    out: list[str] = []
    for match in _WORD.finditer(text or ""):
        chunk = match.group(0)
        if _CJK.fullmatch(chunk):
            out.extend(word for word in jieba.cut_for_search(chunk) if len(word) >= _MIN_LEN)
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
    _ensure_jieba()
    groups: list[TermGroup] = []
    seen: set[str] = set()
    for match in _WORD.finditer(query or ""):
        chunk = match.group(0)
        words = jieba.lcut(chunk) if _CJK.fullmatch(chunk) else [_normalize(chunk)]
        for word in words:
            if len(word) < _MIN_LEN or word in seen:
                continue
            seen.add(word)
            parts: tuple[str, ...] = ()
            if _CJK.fullmatch(word) and len(word) >= 3:
                parts = tuple(p for p in jieba.lcut_for_search(word) if _MIN_LEN <= len(p) < len(word))
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
