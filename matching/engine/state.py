"""The fitted engine, kept between runs, so that publishing a record costs one record and not a re-fit.

A full fit (vocabulary, IDF, average length, both sides' weighted matrices, domain centroids, the sides' arrays and
best cosines) is saved by the run that made it, as one directory per fit; every worker process loads it once and
keeps it in memory. A record published afterwards is *added* to the kept state (``MatchingEngine.extend``: weighed
with the fitted IDF, no re-fit) and ranked alone against the other side (``MatchingEngine.rank_rows``). Processes
converge because each one, before it ranks, adds the postings published since the state that it has not added yet
(``EngineState.missing``), from their cached token bags: what a state holds is a function of the fit and of the set
of postings added, not of which process added them.

Records are identified by their ``ref`` (the Django side uses the posting's primary key). A ref added again (its
posting was published again, perhaps edited) gets a new row and its old row is retired; retired rows and the rows of
postings no longer published are never suggested (``retire``).

Why a refit is needed at all, and when (``refit_reason``): added records are weighed with the IDF of the fit, and
their tokens that the fit never saw weigh nothing. Both errors grow with what was added:
- the IDF of a term is ``log(1 + (n - df + 0.5) / (df + 0.5))``; adding a share ``s`` of records in the same mix
  moves it by at most about ``log(1 + s)``, 0.095 for ``s`` = 10 %, against IDF values of 2 to 10 for the terms
  that decide a match: a few per cent of a cosine, which reorders only near-ties. Beyond 10 % the shift, and the
  chance that the new records are not "the same mix", grow, so a refit is due (``MATCHING_REFIT_ADDED``);
- tokens the fit never saw: a token in a single record cannot make any pair similar, so only unseen tokens that
  recur among the added records count, as a share of their weight. New vocabulary that recurs (a new field, a new
  product name several records use) is what a kept state is blind to; when it is more than 10 % of what was added,
  refit (``MATCHING_REFIT_UNSEEN``). On the development benchmarks, records held out of a fit have a recurring
  unseen share of 0.3 to 3 %, so 10 % means a real change of vocabulary, not the usual trickle of rare words;
- neither rule applies below ``minimum`` added records (default 20): for a handful of records the errors above are
  small in absolute terms, and a young corpus's refits would otherwise follow every publication.
A scheduled rebuild (``MATCHING_NIGHTLY_REBUILD``) refits whatever the drift.

Why pickle: the state is NumPy and SciPy arrays and one dictionary (the vocabulary), written by this code into a
directory of its own (``MATCHING_STATE_DIR``) and read back by the same code; pickle (protocol 5) writes and reads
them without conversion (a 100,000 x 20,000 state, ~400 MB, loads in about a second). A state written by other
engine code (``code_version``), for other settings (``fingerprint``) or in another format is refused, never read.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import numpy as np
import scipy.sparse as sp

from .core import MatchingEngine, RankedPairs
from .records import AchievementRecord, NeedRecord
from .vectors import Bag

FORMAT = 1
SIDES = ("a", "n")
# Attributes of a fitted engine that are not saved: built by the engine's constructor (from the current taxonomy,
# places and settings), the records themselves (loaded when needed), caches, and the fit's candidate lists, which
# only ``rank`` reads, in the process that fitted.
NOT_SAVED = frozenset(
    {"taxonomy", "geography", "config", "tokenizer", "codes", "achievements", "needs", "_inverse", "_added_T", "_spare",
     "by_need", "by_ach"}
)  # fmt: skip
# Engine files whose code decides what a fitted state holds (explanations do not).
STATE_CODE = ("core.py", "vectors.py", "components.py", "text.py", "config.py", "records.py", "state.py")

R = TypeVar("R", AchievementRecord, NeedRecord)
Loader = Callable[[list[str]], dict[str, Any]]


@cache
def code_version() -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    here = Path(__file__).resolve().parent
    for name in STATE_CODE:
        path = here / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


class _Overlay(dict):
    """A vocabulary that reads through to the fitted one and keeps the tokens it does not know apart (``local``),
    numbered after it."""

    def __init__(self, base: dict[str, int]) -> None:
        super().__init__()
        self.base = base
        self.local: list[str] = []

    def get(self, token: str, default: int | None = None) -> int | None:  # type: ignore[override]
        found = self.base.get(token)
        return found if found is not None else super().get(token, default)

    def __setitem__(self, token: str, column: int) -> None:
        self.local.append(token)
        super().__setitem__(token, column)

    def __len__(self) -> int:
        return len(self.base) + super().__len__()


class RecordStore(Sequence[R], Generic[R]):
    """A side's records by row, loaded on demand by ``loader`` (refs -> records) and cached up to ``cache_size``:
    a kept state holds refs, not 100,000 texts in every worker. ``prefetch`` loads many rows in one call before
    they are read (explanations read the records of the pairs they explain)."""

    def __init__(self, refs: Iterable[str], loader: Loader, cache_size: int = 20_000) -> None:
        self.refs: list[str] = list(refs)
        self.loader = loader
        self.cache_size = cache_size
        self._cache: dict[str, R] = {}

    def __len__(self) -> int:
        return len(self.refs)

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> list[R]: ...
    def __getitem__(self, index: int | slice) -> R | list[R]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        ref = self.refs[int(index)]
        if ref not in self._cache:
            self._remember(self.loader([ref]))
        return self._cache[ref]

    def __iter__(self) -> Iterator[R]:
        for start in range(0, len(self), 2000):
            self.prefetch(range(start, min(start + 2000, len(self))))
            yield from (self._cache[ref] for ref in self.refs[start : start + 2000])

    def prefetch(self, rows: Iterable[int]) -> None:
        wanted = sorted({self.refs[int(i)] for i in rows} - self._cache.keys())
        for start in range(0, len(wanted), 2000):
            self._remember(self.loader(wanted[start : start + 2000]))

    def extend(self, records: Iterable[R]) -> None:
        records = list(records)
        self.refs.extend(r.ref for r in records)
        self._remember({r.ref: r for r in records})

    def _remember(self, records: dict[str, R]) -> None:
        if len(self._cache) + len(records) > self.cache_size:
            self._cache.clear()
        self._cache.update(records)


@dataclass
class Drift:
    """How far the kept state is from a fit of what it now holds."""

    fitted: int  # records of the fit, both sides
    added: int  # records added since (a posting added again counts again)
    added_weight: float  # their token weight
    unseen_weight: float  # the weight of their tokens the fit never saw and that recur in two or more of them

    @property
    def added_share(self) -> float:
        return self.added / max(self.fitted, 1)

    @property
    def unseen_share(self) -> float:
        return self.unseen_weight / self.added_weight if self.added_weight else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"fitted": self.fitted, "added": self.added, "added_share": round(self.added_share, 4),
                "unseen_share": round(self.unseen_share, 4)}  # fmt: skip


def refit_reason(drift: Drift, *, added_share: float, unseen_share: float, minimum: int) -> str | None:
    """Why the state should be refitted, or None (the rule is explained in the module's docstring)."""
    if drift.added < max(minimum, 1):
        return None
    if drift.added_share > added_share:
        return f"added {drift.added} records, {drift.added_share:.0%} of the {drift.fitted} fitted"
    if drift.unseen_share > unseen_share:
        return f"recurring unseen tokens are {drift.unseen_share:.0%} of the added records' weight"
    return None


class EngineState:
    """A fitted engine with the refs of its rows, the rows retired since, and what was added since the fit.

    ``version`` names the fit (unique: a new fit never reuses one), ``fingerprint`` the settings, taxonomy and places
    it was fitted with (the caller's; a state is only used with the same), ``fitted_at`` when the fit read its input
    (epoch seconds), ``marks`` anything the caller keeps with it (the Django side: each row's bag fingerprint).
    """

    def __init__(
        self,
        engine: MatchingEngine,
        *,
        version: str,
        fingerprint: str,
        fitted_at: float,
        marks: dict[str, list[str]] | None = None,
    ) -> None:
        self.engine = engine
        self.version = version
        self.fingerprint = fingerprint
        self.fitted_at = fitted_at
        self.refs = {"a": [r.ref for r in engine.achievements] if not isinstance(engine.achievements, RecordStore)
                     else list(engine.achievements.refs),
                     "n": [r.ref for r in engine.needs] if not isinstance(engine.needs, RecordStore)
                     else list(engine.needs.refs)}  # fmt: skip
        self.marks = marks or {side: [""] * len(self.refs[side]) for side in SIDES}
        self.alive = {side: np.ones(len(self.refs[side]), bool) for side in SIDES}
        self._row = {side: {ref: i for i, ref in enumerate(self.refs[side])} for side in SIDES}
        self.fitted = len(self.refs["a"]) + len(self.refs["n"])
        self.added = 0
        self.added_weight = 0.0
        self.unseen: dict[str, list[float]] = {}  # token -> [records, weight], among the added records
        for name in ("by_need", "by_ach"):
            engine.__dict__.pop(name, None)  # the fit's candidate lists: ``rank`` was their only reader

    # --- what it holds ---------------------------------------------------------------------------------------
    def row(self, side: str, ref: str) -> int | None:
        """The live row of a ref, or None."""
        row = self._row[side].get(ref)
        return row if row is not None and self.alive[side][row] else None

    def live_refs(self, side: str) -> set[str]:
        return {ref for ref, row in self._row[side].items() if self.alive[side][row]}

    def mark(self, side: str, ref: str) -> str | None:
        row = self.row(side, ref)
        return None if row is None else self.marks[side][row]

    def missing(self, side: str, published: Iterable[str]) -> list[str]:
        """Of the refs published now, those without a live row."""
        return [ref for ref in published if self.row(side, ref) is None]

    def retire(self, side: str, refs: Iterable[str]) -> int:
        """Retire the rows of these refs (postings closed, or about to be added again); returns how many."""
        rows = [row for row in (self._row[side].get(ref) for ref in refs) if row is not None]
        alive = self.alive[side]
        count = int(alive[rows].sum()) if rows else 0
        alive[rows] = False
        return count

    def retire_all_but(self, side: str, published: set[str]) -> int:
        """Retire the live rows whose ref is not among ``published`` (closed, expired, deleted postings)."""
        return self.retire(side, [ref for ref in self.live_refs(side) if ref not in published])

    # --- adding ----------------------------------------------------------------------------------------------
    def add(
        self,
        achievements: Sequence[tuple[AchievementRecord, Bag, str]] = (),
        needs: Sequence[tuple[NeedRecord, Bag, str]] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add records, each with its token bag and a mark, without a re-fit; a ref already held is retired first
        (the new row replaces it). Returns the new rows of each side."""
        vocabulary = self.engine.vectorizer.vocabulary
        for side, items in (("a", achievements), ("n", needs)):
            self.retire(side, [record.ref for record, _, _ in items])
            for _, bag, _ in items:
                self.added_weight += float(sum(bag.values()))
                for token, weight in bag.items():
                    if token not in vocabulary:
                        seen = self.unseen.setdefault(token, [0.0, 0.0])
                        seen[0] += 1
                        seen[1] += weight
            self.added += len(items)
        ach_rows, need_rows = self.engine.extend(
            [record for record, _, _ in achievements],
            [record for record, _, _ in needs],
            achievement_vectors=self._vectors([bag for _, bag, _ in achievements]),
            need_vectors=self._vectors([bag for _, bag, _ in needs]),
        )
        for side, items, rows in (("a", achievements, ach_rows), ("n", needs, need_rows)):
            self.alive[side] = np.r_[self.alive[side], np.ones(len(rows), bool)]
            for (record, _, mark), row in zip(items, rows, strict=True):
                self.refs[side].append(record.ref)
                self.marks[side].append(mark)
                self._row[side][record.ref] = int(row)
        return ach_rows, need_rows

    def _vectors(self, bags: list[Bag]) -> sp.csr_matrix | None:
        """The weighted rows of added records, as a refit would weigh them. Their tokens that the fit never saw
        count in their length and their norm, with the IDF a refit would give them (only added records have them);
        then they are dropped, as no fitted record has them. Leaving them out altogether (as ``transform`` does)
        would raise every cosine of a record with many new words. The fitted vocabulary is not changed: the new
        tokens get columns of their own, beyond it, for this call only."""
        if not bags:
            return None
        fitted = self.engine.vectorizer
        overlay = _Overlay(fitted.vocabulary)
        vectorizer = copy.copy(fitted)
        vectorizer.vocabulary = overlay
        counts = vectorizer.encode(bags, grow=True)
        idf = np.zeros(len(fitted.vocabulary), np.float32)
        idf[: len(fitted.idf)] = fitted.idf[: len(idf)]
        if overlay.local:
            documents = self.fitted + self.added
            df = np.array([self.unseen.get(token, [1.0])[0] for token in overlay.local], np.float64)
            idf = np.r_[idf, np.log1p((documents - df + 0.5) / (df + 0.5)).astype(np.float32)]
        vectorizer.idf = idf
        return vectorizer.weigh(counts)[:, : len(fitted.vocabulary)].tocsr()

    def drift(self) -> Drift:
        unseen = sum(weight for records, weight in self.unseen.values() if records >= 2)
        return Drift(fitted=self.fitted, added=self.added, added_weight=self.added_weight, unseen_weight=unseen)

    # --- ranking ---------------------------------------------------------------------------------------------
    def rank(
        self, *, needs: Sequence[int] = (), achievements: Sequence[int] = (), limit: int | None = None
    ) -> RankedPairs:
        """``rank_rows`` of these rows, without the pairs whose other side is retired; ``limit`` defaults to every
        candidate (what the other side's kept lists are updated from)."""
        pairs = self.engine.rank_rows(
            needs=needs, achievements=achievements, limit=self.engine.config.candidates if limit is None else limit
        )
        keep = self.alive["a"][pairs.achievement] & self.alive["n"][pairs.need]
        return pairs if keep.all() else pairs.subset(np.flatnonzero(keep))

    def refs_of(self, side: str, rows: np.ndarray) -> np.ndarray:
        refs = self.refs[side]
        return np.array([refs[int(i)] for i in rows], dtype=object)

    # --- saving and loading ----------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "code": code_version(),
            "version": self.version,
            "fingerprint": self.fingerprint,
            "fitted_at": self.fitted_at,
            "achievements": len(self.refs["a"]),
            "needs": len(self.refs["n"]),
        }

    def save(self, directory: Path) -> Path:
        """Write the state as ``directory/state-<version>`` (written aside, then renamed into place: a reader never
        sees half a state). Only a state as fitted is saved: added records are re-added by whoever loads it."""
        if self.added:
            raise ValueError("only a state as fitted is saved; records added since are added again by its readers")
        directory.mkdir(parents=True, exist_ok=True)
        final = directory / f"state-{self.version}"
        temporary = directory / f".state-{self.version}.{os.getpid()}.tmp"
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        attributes = {k: v for k, v in vars(self.engine).items() if k not in NOT_SAVED}
        with (temporary / "engine.pickle").open("wb") as handle:
            pickle.dump({"attributes": attributes, "refs": self.refs, "marks": self.marks}, handle, protocol=5)
        (temporary / "meta.json").write_text(json.dumps(self.meta()), encoding="utf-8")
        if final.exists():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.rename(final)
        return final

    @classmethod
    def load(
        cls,
        directory: Path,
        version: str,
        engine: MatchingEngine,
        *,
        fingerprint: str,
        loaders: dict[str, Loader] | None = None,
    ) -> EngineState | None:
        """The state ``version`` from ``directory`` into ``engine`` (a new, unfitted engine built with the current
        taxonomy, places and settings); None when it is missing or was written by other code, format or settings.
        With ``loaders`` (side -> refs -> records) the records are read on demand, else they must be given later."""
        path = directory / f"state-{version}"
        try:
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (meta.get("format"), meta.get("code"), meta.get("fingerprint")) != (FORMAT, code_version(), fingerprint):
            return None
        try:
            with (path / "engine.pickle").open("rb") as handle:
                saved = pickle.load(handle)  # noqa: S301 - written by ``save`` into our own directory
        except (OSError, EOFError, pickle.UnpicklingError):
            return None
        engine.__dict__.update(saved["attributes"])
        engine.reserve()
        if loaders is not None:
            engine.achievements = RecordStore(saved["refs"]["a"], loaders["a"])  # type: ignore[assignment]
            engine.needs = RecordStore(saved["refs"]["n"], loaders["n"])  # type: ignore[assignment]
        return cls(engine, version=meta["version"], fingerprint=fingerprint, fitted_at=meta["fitted_at"],
                   marks=saved["marks"])  # fmt: skip

    @staticmethod
    def prune(directory: Path, keep: Iterable[str]) -> None:
        """Delete saved states other than ``keep`` (versions) and the newest two, and leftovers of failed saves an
        hour old (a process that loaded a state holds it in memory: deleting its files does not disturb it)."""
        if not directory.exists():
            return
        keep = set(keep)
        states = sorted(directory.glob("state-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for path in states[2:]:
            if path.name.removeprefix("state-") not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for path in directory.glob(".state-*.tmp"):
            if path.stat().st_mtime < time.time() - 3600:
                shutil.rmtree(path, ignore_errors=True)


def use_records(engine: MatchingEngine, loaders: dict[str, Loader]) -> None:
    """Let a fitted engine read its records through ``loaders`` from now on, dropping the ones it holds (the
    process that fitted keeps the state too, without every text in memory)."""
    for side, name in (("a", "achievements"), ("n", "needs")):
        records = getattr(engine, name)
        if not isinstance(records, RecordStore):
            setattr(engine, name, RecordStore([r.ref for r in records], loaders[side]))
