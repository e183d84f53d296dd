"""The words of a posting that a search matched, marked in its title and in a snippet of its body.

A word is marked when one of its tokens (``marketplace.search``'s: the word, its stem, the English a Chinese word
bridges to, the Chinese an English phrase bridges to) is among the query's tokens, so a bridged match is marked in
the record's own language: "sodium" marks 钠离子电池, 硬碳 marks "hard carbon". Everything else is escaped; the only
markup in the result is ``<mark>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from matching.engine.text import BIGRAM, english_words, normalize

from .search import tokenizer

SNIPPET_WIDTH = 180  # display columns; a Chinese character takes two
CONTEXT_BEFORE = 24  # columns shown before the first marked word of the snippet
ELLIPSIS = "…"

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9+]*(?:[-'][a-z0-9+]+)*")
_SPACE = re.compile(r"\s+")

Span = tuple[int, int]


@dataclass(frozen=True)
class Highlighted:
    title: SafeString
    snippet: SafeString


def _normalized(text: str) -> tuple[str, list[int]]:
    """The text as the tokenizer reads it (NFKC, lower case) and, for each of its characters, where it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        form = normalize(char)
        out.append(form)
        origin.extend([index] * len(form))
    return "".join(out), origin


def _chinese_tokens(word: str) -> set[str]:
    lexicon = tokenizer().lexicon
    glossed = lexicon.zh_to_en.get(word)
    return {word, *(glossed if glossed else lexicon.cedict.get(word, ()))}


def matched_spans(text: str, tokens: Collection[str]) -> list[Span]:
    """Where, in ``text``, the words whose tokens are among ``tokens`` stand (merged, in order)."""
    if not text or not tokens:
        return []
    wanted = set(tokens)
    lexicon = tokenizer().lexicon
    normal, origin = _normalized(text)
    spans: list[Span] = []
    for run in _CJK_RUN.finditer(normal):
        piece = run.group(0)
        for i in range(len(piece) - 1):  # a character bigram of the query (what jieba may cut differently)
            if BIGRAM + piece[i : i + 2] in wanted:
                spans.append((run.start() + i, run.start() + i + 2))
        for word in set(tokenizer().chinese_words(piece)):
            if not _chinese_tokens(word) & wanted:
                continue
            start = piece.find(word)
            while start >= 0:
                spans.append((run.start() + start, run.start() + start + len(word)))
                start = piece.find(word, start + 1)
    words: list[tuple[str, int, int]] = []  # (stem, start, end) of each kept English word, in order
    for match in _ASCII_WORD.finditer(normal):
        for token, _word in english_words(match.group(0)):
            words.append((token, match.start(), match.end()))
    for index, (token, start, end) in enumerate(words):
        if token in wanted:
            spans.append((start, end))
        for length in range(2, lexicon.max_phrase + 1):
            if index + length > len(words):
                break
            sequence = words[index : index + length]
            terms = lexicon.en_to_zh.get(tuple(w[0] for w in sequence), ())
            if any(term in wanted for term in terms) or (length == 2 and f"{token}_{sequence[1][0]}" in wanted):
                spans.append((start, sequence[-1][2]))
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [(origin[start], origin[end - 1] + 1) for start, end in merged]


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _marked(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    pieces: list[str] = []
    position = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces.append(escape(_SPACE.sub(" ", text[position:span_start])))
        pieces.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        position = span_end
    pieces.append(escape(_SPACE.sub(" ", text[position:end])))
    return "".join(pieces)


def _window(text: str, spans: list[Span]) -> tuple[int, int]:
    """The stretch of about ``SNIPPET_WIDTH`` columns that holds the most different marked words."""
    widths = [_width(char) for char in text]

    def end_from(start: int) -> int:
        used, position = 0, start
        while position < len(text) and used + widths[position] <= SNIPPET_WIDTH:
            used += widths[position]
            position += 1
        return position

    best: tuple[float, int, int] = (-1.0, 0, end_from(0))
    for anchor, _ in spans or [(0, 0)]:
        start, used = anchor, 0
        while start > 0 and used + widths[start - 1] <= CONTEXT_BEFORE:
            start -= 1
            used += widths[start]
        end = end_from(start)
        inside = [text[a:b].lower() for a, b in spans if a >= start and b <= end]
        score = len(set(inside)) + 0.1 * len(inside)
        if score > best[0]:
            best = (score, start, end)
    _, start, end = best
    if end == len(text):  # at the end of the text: use the room left before the start
        used = sum(widths[start:end])
        while start > 0 and used + widths[start - 1] <= SNIPPET_WIDTH:
            start -= 1
            used += widths[start]
    # Do not cut an English word in two at either end.
    if 0 < start < len(text) and text[start - 1].isalnum() and text[start].isascii():
        gap = text.find(" ", start, start + 20)
        if gap != -1 and not any(a < gap + 1 <= b for a, b in spans):
            start = gap + 1
    if end < len(text) and text[end - 1].isalnum() and text[end].isalnum() and text[end].isascii():
        gap = text.rfind(" ", start, end)
        if gap > start and not any(a < gap < b for a, b in spans):
            end = gap
    return start, end


def snippet(text: str, tokens: Collection[str]) -> SafeString:
    """A stretch of the text around its matched words, with them marked (the text's start when none matched)."""
    text = (text or "").strip()
    spans = matched_spans(text, tokens)
    start, end = _window(text, spans)
    body = _marked(text, spans, start, end).strip()
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return mark_safe(f"{prefix}{body}{suffix}")  # noqa: S308 - every piece of the text is escaped by _marked


def mark(text: str, tokens: Collection[str]) -> SafeString:
    """The whole text, matched words marked."""
    return mark_safe(_marked(text or "", matched_spans(text or "", tokens)))  # noqa: S308 - escaped by _marked


def highlight(*, title: str, body: str, tokens: Collection[str]) -> Highlighted:
    return Highlighted(title=mark(title, tokens), snippet=snippet(body, tokens))
