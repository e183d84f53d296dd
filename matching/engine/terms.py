"""The shared terms of a pair, as people read them.

The text score is a cosine of two weighted token vectors; the tokens that add most to it are what the two records
have in common. Tokens are not what people read, though: English tokens are stems ("vehicl") and stem pairs
("mission_plan"), Chinese tokens include the parts jieba's search mode cuts out of longer words, and bridging adds
tokens to a record that are not in its text at all (the English stems of a Chinese glossary term, the stems of
CC-CEDICT's senses of any other Chinese word, the Chinese term of an English glossary phrase).

So a shown term is never a token: each token picked is mapped back to how it is written in each record
(``Surface``): an English stem to the word as written ("vehicles"), a phrase to its two words where they stand
next to each other ("solid-state"), a Chinese word to itself where it stands in the text, a bridged token to the
Chinese term of the Chinese record and to the English words of the English record. A reader sees the surface in
their language when either text has one, else the other language's.

Never shown: numbers and units, single letters, stop words and generic words (a curated list in both languages,
and any token found in a large share of the records); Chinese tokens that are not words (a search-mode part such as
行部 or 感器, a part whose whole word is shared too); and tokens that only CC-CEDICT senses put into a record (处理
-> "punish"), unless the other record has that English word written.

Explaining many pairs is vectorised: pairs are grouped by one side's row, which is spread into a dense buffer and
multiplied with its partners' rows (gathered in one call, shown tokens only), and the top tokens of each pair are
picked with NumPy; each (record, token) needed is then resolved once (a record's text searched for the words of
that stem only, not stemmed whole) and kept for later calls (``SurfaceCache``), and only the final strings are put
together per pair.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from .text import (
    _ASCII_WORD,
    _CJK_RUN,
    _LOWER_ASCII,
    _PHRASE_GAP,
    _STOP_EN,
    _UPPER_ASCII,
    BIGRAM,
    Lexicon,
    Tokenizer,
    _as_shown,
    _segmenter,
    english_spans,
    stem,
)

TERMS_SHOWN = 5
CANDIDATES = 10  # tokens per pair looked at (by contribution) to fill the TERMS_SHOWN
GENERIC_SHARE = 0.2  # a token in at least this share of the records is generic ...
GENERIC_MIN_RECORDS = 100  # ... once there are enough records to tell
BLOCK = 50_000

# Kinds of a token's presence in one record, weakest first.
ABSENT, CEDICT, GLOSSARY, WRITTEN = -1, 0, 1, 2

GENERIC_ZH = frozenset(
    """技术 开发 研发 企业 公司 我司 本司 单位 提供 系统 数据 方法 研究 应用 实现 提高 提升 进行 通过 需要
    要求 需求 可以 能够 可 以上 以下 以内 左右 以及 利用 服务 产品 项目 合作 平台 能力 问题 方案 目前
    现有 采用 具有 包括 一种 本发明 发明 所述 其中 用于 涉及 公开 使用 相关 主要 一定 情况 方面 进一步
    及其 之间 形成 根据 结果 效果 性能 水平 领域 行业 工作 过程 条件 作用 影响 支持 希望 寻求 寻找 解决
    降低 增加 改进 改善 开展 建立 完成 达到 满足 具备 实际 国内 国外 国际 行业内 转让 许可 合作开发
    作价入股 技术服务 成果 成果转化 科技成果 推广 市场 产业化 规模化 新型 高效 优势 特点 特征 同时 以此
    从而 由于 因此 并且 并 且 等 等等 其他 其它 各种 多种 一个 两个 本 该 此 这 这种 以便 使得 使 为 对
    在 与 和 或 能 将 已 已经 正在 预计 期望 用 中 上 下 内 外 万元 亿元 万吨 吨 千克 公斤 毫米 厘米 米
    小时 分钟 年 月 日 天 倍 个 台 套 项 次 件 亩 公顷 第一 第二 第三 至少 一端 另一端 一侧 另一侧 部分
    一部分 装置 设备 结构 设置 连接 包含 含有 基于 针对 面向 适用 适用于 可用于 广泛 良好 较好 较高 较低
    更高 更低 显著 有效 稳定 简单 方便 快速 低成本 成本""".split()
)
GENERIC_EN = frozenset(
    stem(word)
    for word in """data technology technique method process system solution approach application applications research
    project develop development provide offer company enterprise firm corporation product products service services
    include including comprise comprising contain consist enable allow support supports improve improved improvement
    make made get put take give set meet meets need needs require required requirement current currently well able
    effect effective result results perform performance base work time first second third way type level range relate
    related form amount number increase reduce achieve obtain seek want look year years month day phase ii iii iv
    propose proposed invention invent present thereof wherein said plurality least end part parts thing things
    provided various different good better best large small high higher low lower great greater many much further
    through throughout another whether therefore thus however although even still yet either neither like unlike
    i.e e.g etc per cent percent approximately about around nearly mainly mostly fully simple simply easy easily
    order case cases kind kinds lot lots aim aims goal goals task tasks step steps stage stages area areas field
    fields point points way ways side sides sort means total basis purpose purposes""".split()
)
UNITS = frozenset(
    """mm cm km nm um μm m kg mg g t kt mt w kw kwh mw mwh gw gwh wh v kv mv a ma mah ah hz khz mhz ghz pa kpa mpa gpa
    bar psi min h hr hrs s ms us ns ps l ml ul ppm ppb ppt db dbm dbi wt vol rpm c k degc lm lx lux cd mol mmol ev kev
    mev bps kbps mbps gbps kb mb gb tb bit bits byte bytes mil mils yr yrs sec secs kda da rmb usd cny wan""".split()
)
_NUMBER = re.compile(r"[0-9][0-9.,+\-']*")
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_WORDISH = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+'-")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NUMBER_UNIT = re.compile(r"([0-9][0-9.]*)([a-zμ]+)")
# A Chinese word that is not in any dictionary (jieba's HMM made it) is taken when it has at least three characters
# and does not start or end with a function character (制得, 例中, 部沿 and 上且 are such debris).
_EDGE_ZH = frozenset("的了和与及或而且在于对为被把从以由将中上下内外后前之其并等个种得地着过所是有该此各每")


@lru_cache(maxsize=1 << 17)
def _cjk(token: str) -> bool:
    return _CJK_RUN.search(token) is not None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "")


def _english_blocked(part: str) -> bool:
    if len(part) <= 1 or part in _STOP_EN or part in UNITS or _NUMBER.fullmatch(part):
        return True
    match = _NUMBER_UNIT.fullmatch(part)
    return bool(match and match.group(2) in UNITS)


@lru_cache(maxsize=1 << 16)
def _words(term: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[\s\-‐‑–/]+", term.lower()) if w)


class Surface(NamedTuple):
    """How one token is present in one record: its Chinese and English surfaces (None when the record has none)
    and how it got there (WRITTEN: words of the text; GLOSSARY: bridged through the glossary; CEDICT: only through
    dictionary senses; ABSENT: no surface found)."""

    zh: str | None
    en: str | None
    kind: int


NOT_FOUND = Surface(None, None, ABSENT)


class TextRecord(Protocol):
    title: str
    keywords: tuple[str, ...]
    text: str


@dataclass
class SideText:
    """One side of many pairs: its records, their weighted term rows (row i = record i) and, per pair, the row;
    ``rows`` keeps the rows' shown tokens between calls (a fitted side's)."""

    records: Sequence[TextRecord]
    matrix: sp.csr_matrix
    index: np.ndarray
    rows: ShownRows | None = None
    cache: SurfaceCache | None = None


class SurfaceCache:
    """The surfaces found so far of a fitted side's (record, token) pairs, kept between calls: bulk runs explain
    their pairs in blocks, in which the records of one side come back block after block. The records used longest
    ago go first once more than ``limit`` surfaces are kept. A fitted record's text never changes (a changed
    posting is added as a new row), so what is kept stays true until a refit, which makes a new cache."""

    def __init__(self, limit: int = 1_500_000) -> None:
        self.limit = limit
        self.size = 0
        self._records: OrderedDict[int, dict[int, int]] = OrderedDict()

    def of(self, record: int) -> dict[int, int]:
        found = self._records.get(record)
        if found is None:
            found = self._records[record] = {}
        else:
            self._records.move_to_end(record)
        return found

    def grew(self, added: int) -> None:
        self.size += added
        while self.size > self.limit and len(self._records) > 1:
            _, dropped = self._records.popitem(last=False)
            self.size -= len(dropped)


class ShownRows:
    """A side's term rows with only the tokens that may be shown (no character bigrams, numbers, generic words...),
    kept between calls while the side's matrix is the same object (a refit or added rows make new ones)."""

    def __init__(self) -> None:
        self._source: sp.csr_matrix | None = None
        self._rows: sp.csr_matrix | None = None

    def of(self, matrix: sp.csr_matrix, shown: np.ndarray) -> sp.csr_matrix:
        if self._source is not matrix or self._rows is None:
            self._source, self._rows = matrix, _only_shown(matrix, shown)
        return self._rows


def _only_shown(matrix: sp.csr_matrix, shown: np.ndarray) -> sp.csr_matrix:
    keep = np.zeros(matrix.nnz, bool)
    inside = matrix.indices < len(shown)
    keep[inside] = shown[matrix.indices[inside]]
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))[keep]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))]
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


class _Field:
    """One field of a record, searched for the words of given stems (instead of stemming every word of it)."""

    def __init__(self, text: str) -> None:
        cased = _nfkc(text)
        self.lowered = cased.lower()
        self.cased = cased if len(cased) == len(self.lowered) else self.lowered
        shouted = not _LOWER_ASCII.search(self.cased) and len(_UPPER_ASCII.findall(self.cased)) >= 20
        self.shown: Callable[[str], str] = str.lower if shouted else _as_shown
        self._hits: dict[str, list[tuple[int, int]]] = {}

    def occurrences(self, token: str) -> list[tuple[int, int]]:
        """Where the words (or parts of hyphenated words) that ``english_words`` stems to ``token`` stand."""
        hits = self._hits.get(token)
        if hits is None:
            hits = self._hits[token] = []
            lowered, prefix = self.lowered, _stem_prefix(token)
            at = lowered.find(prefix)
            while at >= 0:
                if at == 0 or lowered[at - 1] not in _ALNUM:  # not inside another word
                    part = self._part_at(at)
                    if part is not None and part[0] == token:
                        hits.append(part[1:])
                at = lowered.find(prefix, at + 1)
        return hits

    def _part_at(self, at: int) -> tuple[str, int, int] | None:
        """The word or part of a word that ``english_spans`` finds starting at ``at``, if any."""
        lowered = self.lowered
        start = at
        while start > 0 and lowered[start - 1] in _WORDISH:
            start -= 1
        for match in _ASCII_WORD.finditer(lowered, start):
            if match.start() > at:
                return None
            if match.end() > at:
                word = match.group(0)
                if match.start() == at and "-" not in word and "'" not in word:  # a plain word, as english_spans has it
                    plain = word not in _STOP_EN and (len(word) > 1 or word.isdigit())
                    return (stem(word), at, match.end()) if plain else None
                for token, first, last in english_spans(word)[1]:
                    if match.start() + first == at:
                        return token, at, match.start() + last
                return None
        return None

    def sequence(self, stems: Sequence[str]) -> str | None:
        """The first place where words of these stems stand next to each other, as written."""
        followers = [dict(self.occurrences(token)) for token in stems[1:]]
        for start, end in self.occurrences(stems[0]):
            last = end
            for follower in followers:
                gap = _PHRASE_GAP.match(self.lowered, last)
                last = follower.get(gap.end(), -1) if gap else -1
                if last < 0:
                    break
            else:
                return self.shown(self.cased[start:last])
        return None


_CEDICT_BY_TOKEN: dict[int, dict[str, frozenset[str]]] = {}


def _cedict_by_token(lexicon: Lexicon) -> dict[str, frozenset[str]]:
    """English token -> the Chinese words whose first CC-CEDICT senses give it (one index per lexicon)."""
    index = _CEDICT_BY_TOKEN.get(id(lexicon))
    if index is None:
        words: dict[str, list[str]] = {}
        for word, tokens in lexicon.cedict.items():
            for token in tokens:
                words.setdefault(token, []).append(word)
        index = _CEDICT_BY_TOKEN[id(lexicon)] = {token: frozenset(found) for token, found in words.items()}
    return index


@lru_cache(maxsize=1 << 16)
def _stem_prefix(token: str) -> str:
    """How every word of this stem starts: a Snowball stem may change a word's last two letters (batteri <- battery,
    relat <- relational), not the ones before."""
    return token[: len(token) - 2 if len(token) >= 6 else len(token) - 1 if len(token) >= 3 else len(token)]


class RecordText:
    """One record's text, scanned for the surfaces of the tokens asked for."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        record: TextRecord,
        words: Callable[[], tuple[list[str], list[float]]] | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.fields = [record.title or "", " ; ".join(record.keywords or ()), record.text or ""]
        cased = _nfkc(" \n ; \n ".join(self.fields))
        self.lowered = cased.lower()
        self.cased = cased if len(cased) == len(self.lowered) else self.lowered
        self._english: dict[str, str | None] = {}
        self._searched: list[_Field] | None = None
        self._has_ascii = _ASCII_ALNUM.search(self.lowered) is not None
        self._words = words
        self._weights: dict[str, float] | None = None
        self._word_set: frozenset[str] = frozenset()

    def english(self, token: str) -> str | None:
        """How the record writes the English ``token`` (a stem, a phrase, or a Chinese term bridged from English
        words), as ``Tokenizer.english_surfaces`` finds it: the body first, as prose shows words as they are
        usually written, then the keywords and the title."""
        if token in self._english:
            return self._english[token]
        found: str | None = None
        if self._has_ascii:
            if self._searched is None:
                self._searched = [_Field(text) for text in reversed(self.fields) if _ASCII_ALNUM.search(text.lower())]
            if "_" not in token and not _cjk(token):  # a stem: the first of its words
                for field in self._searched:
                    hits = field.occurrences(token)
                    if hits:
                        found = field.shown(field.cased[hits[0][0] : hits[0][1]])
                        break
            else:
                keys = self.tokenizer.lexicon.zh_keys(token) if _cjk(token) else [tuple(token.split("_"))]
                for field in self._searched:
                    found = next((surface for key in keys if (surface := field.sequence(key))), None)
                    if found:
                        break
        self._english[token] = found
        return found

    @property
    def words(self) -> dict[str, float]:
        """The record's Chinese word tokens (from its term row), with their weights."""
        if self._weights is None:
            self._weights = dict(zip(*self._words(), strict=True)) if self._words else {}
            self._word_set = frozenset(self._weights)
        return self._weights

    def heaviest(self, candidates: frozenset[str]) -> str | None:
        """The heaviest of ``candidates`` that is a Chinese word token of the record; of equal weights the longer
        word, then the first in code-point order (never a set's order, which differs from process to process)."""
        words = self.words
        present = candidates & self._word_set
        return max(present, key=lambda word: (words[word], len(word), [-ord(c) for c in word])) if present else None

    def chinese(self, term: str) -> str | None:
        """``term`` as it stands in the text (case as written), or None."""
        at = self.lowered.find(term)
        return None if at < 0 else self.cased[at : at + len(term)]


class TermIndex:
    """Per fitted vocabulary: which tokens may be shown at all, the reverse bridges to find a token's Chinese
    source in a record, and the shared terms of many pairs."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        vocabulary: dict[str, int],
        idf: np.ndarray | None = None,
        records: int = 0,
    ) -> None:
        self.tokenizer = tokenizer
        self.lexicon: Lexicon = tokenizer.lexicon
        self.vocabulary = vocabulary
        self.tokens: list[str] = [""] * len(vocabulary)
        for token, column in vocabulary.items():
            self.tokens[column] = token
        self.cjk = np.array([_CJK_RUN.search(t) is not None for t in self.tokens], bool)
        self.words = np.array([_CJK_RUN.fullmatch(t) is not None for t in self.tokens], bool)  # not bigrams (#..)
        share = self._share(idf, records)
        shown = np.array([self._showable(t) for t in self.tokens], bool)
        shown[: len(share)] &= share < GENERIC_SHARE
        self.shown = shown
        self._glossary_by_token: dict[str, list[str]] | None = None
        self._translated: dict[str, frozenset[str]] = {}
        self.surfaces = _Surfaces()  # every surface met, kept with their ids (the caches hold ids)
        self.strings = _Strings()

    @staticmethod
    def _share(idf: np.ndarray | None, records: int) -> np.ndarray:
        """The share of the records each token is found in, from the fitted IDF (log1p((n - df + .5)/(df + .5)))."""
        if idf is None or records < GENERIC_MIN_RECORDS:
            return np.zeros(0, np.float64)
        odds = np.expm1(idf.astype(np.float64))
        return np.clip((records + 0.5 - 0.5 * odds) / (1.0 + odds), 0.0, None) / records

    def grow(self) -> None:
        """Tokens met after fitting (never weighed, so never shared) get a column that is not shown."""
        missing = len(self.vocabulary) - len(self.tokens)
        if missing > 0:
            extra = [""] * missing
            for token, column in self.vocabulary.items():
                if column >= len(self.tokens):
                    extra[column - len(self.tokens)] = token
            self.tokens.extend(extra)
            self.cjk = np.r_[self.cjk, [_cjk(t) for t in extra]]
            self.words = np.r_[self.words, [_CJK_RUN.fullmatch(t) is not None for t in extra]]
            self.shown = np.r_[self.shown, np.zeros(missing, bool)]

    def _showable(self, token: str) -> bool:
        if not token or token[0] == BIGRAM:
            return False
        if _CJK_RUN.search(token):
            return self.chinese_word(token) and token not in GENERIC_ZH
        parts = token.split("_")
        if any(_english_blocked(p) for p in parts):
            return False
        return not all(p in GENERIC_EN for p in parts)

    def chinese_word(self, token: str) -> bool:
        """A token that is a word: in the glossary or the taxonomy, in CC-CEDICT, a word of three characters or more
        in jieba's dictionary, or made by jieba's HMM with three characters or more and no function character at
        either end. Search-mode debris (行部, 感器, 理器) is in none of them."""
        if token in self.lexicon.zh_to_en or token in self.lexicon.cedict:
            return True
        if not _CJK_RUN.fullmatch(token) or len(token) < 3:
            return False
        if _segmenter(self.lexicon).is_word(token):
            return True
        return token[0] not in _EDGE_ZH and token[-1] not in _EDGE_ZH

    @property
    def glossary_by_token(self) -> dict[str, list[str]]:
        """English token -> the glossary's Chinese terms that bridge to it, the most direct translation first."""
        if self._glossary_by_token is None:
            index: dict[str, list[str]] = {}
            for term, tokens in self.lexicon.zh_to_en.items():
                for token in tokens:
                    index.setdefault(token, []).append(term)
            for terms in index.values():
                terms.sort(key=lambda term: (len(self.lexicon.zh_to_en[term]), -len(term)))
            self._glossary_by_token = index
        return self._glossary_by_token

    # --- one record ---------------------------------------------------------------------------------------------
    def surface(self, record: RecordText, token: str, cjk: bool) -> Surface:
        """How ``token`` is present in ``record``: written there, bridged from a Chinese glossary term of the record
        (one of its word tokens), or from an English glossary phrase, or only by the CC-CEDICT senses of one of its
        Chinese words (the heaviest such word of the record, for Chinese readers)."""
        if cjk:
            written = record.chinese(token)
            if written:
                return Surface(written, None, WRITTEN)
            english = record.english(token)
            return Surface(None, english, GLOSSARY) if english else NOT_FOUND
        english = record.english(token)
        if english:
            return Surface(None, english, WRITTEN)
        terms = self.glossary_by_token.get(token)
        if terms:
            words = record.words
            for term in terms:
                if term in words:
                    return Surface(record.chinese(term), None, GLOSSARY)
        source = record.heaviest(_cedict_by_token(self.lexicon).get(token, frozenset()))
        return Surface(source and record.chinese(source), None, CEDICT)

    def chinese_words(self, matrix: sp.csr_matrix, row: int) -> tuple[list[str], list[float]]:
        """The Chinese word tokens of a row of weights, and their weights."""
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        columns = matrix.indices[start:stop]
        chinese = np.zeros(len(columns), bool)
        inside = columns < len(self.words)
        chinese[inside] = self.words[columns[inside]]
        tokens = self.tokens
        return [tokens[c] for c in columns[chinese].tolist()], matrix.data[start:stop][chinese].tolist()

    # --- many pairs ---------------------------------------------------------------------------------------------
    def top_tokens(
        self, left: sp.csr_matrix, right: sp.csr_matrix, left_rows: np.ndarray, right_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each pair (``left[left_rows[k]]``, ``right[right_rows[k]]``), the tokens that add most to its cosine,
        best first: ``(tokens, valid)``, two (pairs x CANDIDATES) arrays (token columns, and which are real).

        Pairs are grouped by their left row (as ``vectors.pair_dots`` does): that row is spread into a dense buffer,
        its partners' rows are gathered in one indexing call for the whole block and multiplied with the buffer, so
        the work is the non-zeros of the gathered rows and the Python loop runs once per distinct left row."""
        count = len(left_rows)
        tokens = np.zeros((count, CANDIDATES), np.int32)
        valid = np.zeros((count, CANDIDATES), bool)
        if not count:
            return tokens, valid
        width = max(left.shape[1], right.shape[1])
        order = np.argsort(left_rows, kind="stable")
        sorted_rows = left_rows[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_rows)) + 1, count]
        gathered = right[right_rows[order]]
        products = np.zeros(gathered.nnz, np.float32)
        buffer = np.zeros(width, np.float32)
        indptr, indices, data = left.indptr, left.indices, left.data
        g_indptr, g_indices, g_data = gathered.indptr, gathered.indices, gathered.data
        for first, last in pairwise(starts.tolist()):
            row = sorted_rows[first]
            columns = indices[indptr[row] : indptr[row + 1]]
            buffer[columns] = data[indptr[row] : indptr[row + 1]]
            lo, hi = g_indptr[first], g_indptr[last]
            products[lo:hi] = g_data[lo:hi] * buffer[g_indices[lo:hi]]
            buffer[columns] = 0.0
        shared = np.flatnonzero(products)
        owner = np.repeat(np.arange(count), np.diff(g_indptr))[shared]
        rank_order = np.lexsort((g_indices[shared], -products[shared], owner))  # ties: by token, as anywhere
        owner, shared = owner[rank_order], shared[rank_order]
        group_starts = np.r_[0, np.flatnonzero(np.diff(owner)) + 1] if len(owner) else np.zeros(0, np.int64)
        rank = np.arange(len(owner)) - np.repeat(group_starts, np.diff(np.r_[group_starts, len(owner)]))
        best = rank < CANDIDATES
        pair = order[owner[best]]
        tokens[pair, rank[best]] = g_indices[shared[best]]
        valid[pair, rank[best]] = True
        return tokens, valid

    def shared_terms(self, need: SideText, ach: SideText) -> list[dict[str, list[str]]]:
        """The terms a Chinese and an English reader see for every pair (``need.index[i]``, ``ach.index[i]``)."""
        self.grow()
        count = len(need.index)
        tokens = np.zeros((count, CANDIDATES), np.int32)
        valid = np.zeros((count, CANDIDATES), bool)
        need_rows = (need.rows or ShownRows()).of(need.matrix, self.shown)
        ach_rows = (ach.rows or ShownRows()).of(ach.matrix, self.shown)
        for start in range(0, count, BLOCK):
            stop = min(start + BLOCK, count)
            n, a = need.index[start:stop], ach.index[start:stop]
            # The side with fewer distinct rows in the block is spread into the buffer.
            if len(np.unique(n)) <= len(np.unique(a)):
                tokens[start:stop], valid[start:stop] = self.top_tokens(need_rows, ach_rows, n, a)
            else:
                tokens[start:stop], valid[start:stop] = self.top_tokens(ach_rows, need_rows, a, n)
        surfaces, strings = self.surfaces, self.strings
        n_ids = self._resolve(need, tokens, valid)
        a_ids = self._resolve(ach, tokens, valid)
        shown = valid & _shown(surfaces, n_ids, a_ids)
        # Each shown entry's Chinese and English surface (of either record; -1 none), as ids of strings.
        zh_sid, en_sid = surfaces.string_ids(strings)
        rows, columns = np.nonzero(shown)
        n_at, a_at = n_ids[rows, columns], a_ids[rows, columns]
        chinese = np.where(zh_sid[n_at] >= 0, zh_sid[n_at], zh_sid[a_at])
        english = np.where(en_sid[n_at] >= 0, en_sid[n_at], en_sid[a_at])
        entry_tokens = tokens[rows, columns]
        offsets = np.r_[0, np.cumsum(np.bincount(rows, minlength=count))]
        vocabulary, cjk = self.tokens, self.cjk.tolist()
        out: list[dict[str, list[str]]] = []
        for start in range(0, count, BLOCK):
            stop = min(start + BLOCK, count)
            first, last = int(offsets[start]), int(offsets[stop])
            pair_tokens = entry_tokens[first:last].tolist()
            pair_chinese = chinese[first:last].tolist()
            pair_english = english[first:last].tolist()
            bounds = (offsets[start : stop + 1] - first).tolist()
            for lo, hi in pairwise(bounds):
                if lo == hi:
                    out.append({"zh": [], "en": []})
                    continue
                out.append(
                    self._pick(pair_tokens[lo:hi], pair_chinese[lo:hi], pair_english[lo:hi], strings, vocabulary, cjk)
                )
        return out

    def _pick(
        self,
        token_ids: list[int],
        chinese: list[int],
        english: list[int],
        strings: _Strings,
        vocabulary: list[str],
        cjk: list[bool],
    ) -> dict[str, list[str]]:
        """The terms each reader sees from the shown candidates of one pair (best first): the surface in the reader's
        language, else the other one; a Chinese word not beside a longer one the two share; a term without a surface
        in the reader's language not when its translation is shown."""
        wholes = [vocabulary[t] for t in token_ids if cjk[t]]
        if len(wholes) < 2:
            wholes = []
        zh: list[int] = []
        en: list[int] = []
        # When every term has a surface in one language only, the same one, both readers read the same list.
        any_chinese, any_english = any(c >= 0 for c in chinese), any(e >= 0 for e in english)
        if not (any_chinese and any_english):
            for t, term in zip(token_ids, chinese if any_chinese else english, strict=True):
                if wholes and cjk[t]:
                    word = vocabulary[t]
                    if any(word != whole and word in whole for whole in wholes):
                        continue  # a part of a longer word the two share
                strings.add(zh, term)
                if len(zh) >= TERMS_SHOWN:
                    break
            alike = [strings.text[k] for k in zh]
            return {"zh": alike, "en": list(alike)}
        in_chinese: set[str] | None = None
        in_english: set[str] | None = None
        for t, c, e in zip(token_ids, chinese, english, strict=True):
            if wholes and cjk[t]:
                word = vocabulary[t]
                if any(word != whole and word in whole for whole in wholes):
                    continue  # a part of a longer word the two share
            if len(zh) < TERMS_SHOWN:
                if c >= 0:
                    strings.add(zh, c)
                else:
                    if in_chinese is None:
                        in_chinese = {vocabulary[u] for u, k in zip(token_ids, chinese, strict=True) if k >= 0}
                    if not in_chinese or not self._translations(vocabulary[t]) & in_chinese:
                        strings.add(zh, e)
            if len(en) < TERMS_SHOWN:
                if e >= 0:
                    strings.add(en, e)
                else:
                    if in_english is None:
                        in_english = {vocabulary[u] for u, k in zip(token_ids, english, strict=True) if k >= 0}
                    if not in_english or not self._translations(vocabulary[t]) & in_english:
                        strings.add(en, c)
            elif len(zh) >= TERMS_SHOWN:
                break
        text = strings.text
        return {"zh": [text[k] for k in zh], "en": [text[k] for k in en]}

    def _translations(self, token: str) -> frozenset[str]:
        """The tokens the glossary gives as the translation of ``token`` (English tokens of a Chinese term, Chinese
        terms of an English stem or phrase)."""
        found = self._translated.get(token)
        if found is None:
            if _cjk(token):
                found = frozenset(self.lexicon.zh_to_en.get(token, ()))
            else:
                found = frozenset(self.lexicon.en_to_zh.get(tuple(token.split("_")), ()))
            self._translated[token] = found
        return found

    def _text(self, side: SideText, record: int) -> RecordText:
        return RecordText(self.tokenizer, side.records[record], lambda: self.chinese_words(side.matrix, record))

    def _resolve(self, side: SideText, tokens: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """Surface ids of every (pair, candidate) token in this side's records: each (record, token) found once (and
        kept, with the side's cache), each record's text read once per call at most."""
        size = len(self.tokens)
        keys = np.where(valid, side.index.astype(np.int64)[:, None] * size + tokens, -1)
        unique, inverse = np.unique(keys.ravel(), return_inverse=True)
        ids = np.zeros(len(unique), np.int32)
        present = unique >= 0
        records, columns = np.divmod(unique[present], size)
        slots = np.flatnonzero(present)
        starts = np.r_[0, np.flatnonzero(np.diff(records)) + 1, len(records)] if len(records) else np.zeros(1, int)
        cache = side.cache or SurfaceCache()
        vocabulary, cjk, surfaces = self.tokens, self.cjk, self.surfaces
        added = 0
        for first, last in pairwise(starts.tolist()):
            record = int(records[first])
            known = cache.of(record)
            text = None
            for slot, token in zip(slots[first:last].tolist(), columns[first:last].tolist(), strict=True):
                found = known.get(token)
                if found is None:
                    if text is None:
                        text = self._text(side, record)
                    found = known[token] = surfaces.id(self.surface(text, vocabulary[token], bool(cjk[token])))
                    added += 1
                ids[slot] = found
        cache.grew(added)
        return ids[inverse].reshape(tokens.shape)


class _Surfaces:
    """The distinct surfaces met, each with an id, and arrays of what the rules ask of them (kept up to date as the
    table grows, so that a call costs what it adds, not what came before)."""

    def __init__(self) -> None:
        self.table: list[Surface] = [NOT_FOUND]
        self._ids: dict[Surface, int] = {NOT_FOUND: 0}
        self.kind = np.zeros(0, np.int8)
        self.has_zh = np.zeros(0, bool)
        self.written_english = np.zeros(0, bool)  # a word of the record written in English
        self.generic = np.zeros(0, bool)
        self._zh = np.zeros(0, np.int64)
        self._en = np.zeros(0, np.int64)

    def id(self, surface: Surface) -> int:
        found = self._ids.get(surface)
        if found is None:
            found = self._ids[surface] = len(self.table)
            self.table.append(surface)
        return found

    def update(self) -> None:
        done = len(self.kind)
        if done < len(self.table):
            more = self.table[done:]
            self.kind = np.r_[self.kind, np.array([s.kind for s in more], np.int8)]
            self.has_zh = np.r_[self.has_zh, np.array([s.zh is not None for s in more], bool)]
            self.written_english = np.r_[
                self.written_english, np.array([s.kind == WRITTEN and s.en is not None for s in more], bool)
            ]
            self.generic = np.r_[self.generic, np.array([_generic(s) for s in more], bool)]

    def string_ids(self, strings: _Strings) -> tuple[np.ndarray, np.ndarray]:
        """The ids (in ``strings``; -1 none) of each surface's Chinese and of its English text."""
        done = len(self._zh)
        if done < len(self.table):
            more = self.table[done:]
            self._zh = np.r_[self._zh, np.array([strings.id(s.zh) for s in more], np.int64)]
            self._en = np.r_[self._en, np.array([strings.id(s.en) for s in more], np.int64)]
        return self._zh, self._en


def _shown(surfaces: _Surfaces, n_ids: np.ndarray, a_ids: np.ndarray) -> np.ndarray:
    """Which tokens both records have may be shown: one of them has it written; a token only a dictionary sense
    put into a record counts when the other record has the English word written; one with no surface in a record
    (a phrase whose words never stand together there) counts when the other has it written. Never a generic
    surface."""
    surfaces.update()
    n_kind, a_kind = surfaces.kind[n_ids], surfaces.kind[a_ids]
    n_written_en, a_written_en = surfaces.written_english[n_ids], surfaces.written_english[a_ids]
    weak_n, weak_a = n_kind <= CEDICT, a_kind <= CEDICT
    shared = np.where(
        weak_n,
        (a_kind == WRITTEN) & ((n_kind == ABSENT) | a_written_en),
        np.where(
            weak_a,
            (n_kind == WRITTEN) & ((a_kind == ABSENT) | n_written_en),
            (n_kind == WRITTEN) | (a_kind == WRITTEN) | surfaces.has_zh[n_ids] | surfaces.has_zh[a_ids],
        ),
    )
    return shared & ~surfaces.generic[n_ids] & ~surfaces.generic[a_ids]


def _generic(surface: Surface) -> bool:
    """A surface that says nothing particular: a generic Chinese word (设备, which a glossary bridge may bring), or
    English words that are all stop words, generic words, numbers or units ("10k CNY")."""
    if surface.zh and surface.zh.lower() in GENERIC_ZH:
        return True
    if surface.en:
        words = _words(surface.en)
        return all(_english_blocked(w) or stem(w) in GENERIC_EN for w in words)
    return False


class _Strings:
    """The distinct surfaces shown in one call, each with an id, and how one may say what another says: a Chinese
    string inside another, or an English one whose words are among another's."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.words: list[frozenset[str] | None] = []  # None for a string with Chinese in it
        self._ids: dict[str, int] = {}

    def id(self, text: str | None) -> int:
        if text is None:
            return -1
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = len(self.text)
            self.text.append(text)
            self.words.append(None if _cjk(text) else _words(text))
        return found

    def add(self, found: list[int], term: int) -> None:
        """Add ``term`` to ``found`` unless a shown term already says it (a Chinese string inside it, or English
        words all among its words); a longer term that contains shown ones takes the place of the first, and the
        others go."""
        if term < 0 or term in found:
            return
        words, text = self.words, self.text
        mine, written = words[term], text[term]
        for k, shown in enumerate(found):
            theirs = words[shown]
            if mine is not None and theirs is not None and len(mine) == 1 == len(theirs):
                if mine == theirs:  # one English word, written differently ("Vehicles", "vehicles")
                    return
                continue
            if mine is None or theirs is None:
                inside, outside = written in text[shown], text[shown] in written
            else:
                inside, outside = mine <= theirs, theirs < mine
            if inside:
                return
            if outside:
                found[k] = term
                found[k + 1 :] = [other for other in found[k + 1 :] if not self._within(other, term)]
                return
        if len(found) < TERMS_SHOWN:
            found.append(term)

    def _within(self, inner: int, outer: int) -> bool:
        a, b = self.words[inner], self.words[outer]
        if a is None or b is None:
            return self.text[inner] in self.text[outer]
        return a <= b
