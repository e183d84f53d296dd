"""The matching engine: fit on both sides' records, then rank every record's candidates on the other side.

    engine = MatchingEngine(taxonomy, geography, config).fit(achievements, needs)
    result = engine.rank()            # both directions, top-K per record, pairs unique
    result = engine.rank_one(need)    # one newly published record against the fitted other side

Candidates come from one sparse product of the term matrices with only the top ``candidates`` kept per row
(``sparse_dot_topn``); every component is then computed over the candidate pairs as array expressions.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

from .components import CONSTRAINTS, Codes, PairScores, SideArrays, score_pairs
from .config import COMPONENTS, EngineConfig
from .explain import Reason, explain_pairs
from .records import AchievementRecord, Geography, NeedRecord, Taxonomy
from .text import BIGRAM, Tokenizer, load_lexicon
from .vectors import Bag, Vectorizer, l2_normalize, pair_dots, prune

THREADS = max((os.cpu_count() or 2), 1)


@dataclass
class RankedPairs:
    """Kept pairs: indices into the fitted needs and achievements, the total and every component."""

    need: np.ndarray
    achievement: np.ndarray
    total: np.ndarray
    components: dict[str, np.ndarray]
    broken: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.total)

    def subset(self, keep: np.ndarray) -> RankedPairs:
        return RankedPairs(
            need=self.need[keep],
            achievement=self.achievement[keep],
            total=self.total[keep],
            components={k: v[keep] for k, v in self.components.items()},
            broken={k: v[keep] for k, v in self.broken.items()},
        )


BLOCK_PAIRS = 2_000_000
_WORKER_ENGINE: MatchingEngine | None = None


def _worker_bag(record: AchievementRecord | NeedRecord) -> Bag:
    assert _WORKER_ENGINE is not None  # noqa: S101 - set before the pool forks
    return _WORKER_ENGINE.bag(record)


def _concat(parts: list[RankedPairs]) -> RankedPairs:
    if not parts:
        empty = np.zeros(0, np.int32)
        return RankedPairs(empty, empty, np.zeros(0, np.float32), {k: np.zeros(0) for k in COMPONENTS},
                           {k: np.zeros(0, bool) for k in CONSTRAINTS})  # fmt: skip
    return RankedPairs(
        need=np.concatenate([p.need for p in parts]),
        achievement=np.concatenate([p.achievement for p in parts]),
        total=np.concatenate([p.total for p in parts]),
        components={k: np.concatenate([p.components[k] for p in parts]) for k in COMPONENTS},
        broken={k: np.concatenate([p.broken[k] for p in parts]) for k in CONSTRAINTS},
    )


def top_per_group(group: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest ``values`` of each ``group``, groups in ascending order, best first."""
    order = np.lexsort((-values, group))
    starts = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    return order[rank < k]


def _row_max(candidates: tuple[np.ndarray, np.ndarray, np.ndarray], size: int) -> np.ndarray:
    rows, _, values = candidates
    best = np.zeros(size, np.float32)
    np.maximum.at(best, rows, values)
    return best


class MatchingEngine:
    def __init__(self, taxonomy: Taxonomy, geography: Geography, config: EngineConfig | None = None) -> None:
        self.taxonomy = taxonomy
        self.geography = geography
        self.config = config or EngineConfig()
        names = tuple(sorted(taxonomy.names.values()))
        self.tokenizer = Tokenizer(
            load_lexicon(taxonomy_names=names),
            bridge_weight=self.config.bridge_weight,
            cedict_weight=self.config.cedict_weight,
            bigram_weight=self.config.bigram_weight,
        )
        self.codes = Codes(taxonomy, geography)
        self.vectorizer = Vectorizer(k1=self.config.bm25_k1, b=self.config.bm25_b, max_terms=self.config.max_terms)
        self.achievements: list[AchievementRecord] = []
        self.needs: list[NeedRecord] = []
        # Whether large steps may fork worker processes (the benchmarks and commands; a Celery child cannot).
        self.parallel = False

    # --- fitting ---------------------------------------------------------------------------------------------
    def bag(self, record: AchievementRecord | NeedRecord) -> Bag:
        bag: Bag = {}
        c = self.config
        self.tokenizer.tokens(record.title, c.title_weight, bag)
        if record.keywords:
            self.tokenizer.tokens(" ; ".join(record.keywords), c.keyword_weight, bag)
        self.tokenizer.tokens(record.text, c.body_weight, bag)
        return bag

    def encode(self, records: Sequence[AchievementRecord | NeedRecord], processes: int = 1) -> sp.csr_matrix:
        """Raw token weights of many records (one row each); with ``processes`` > 1 the records are tokenised in
        forked worker processes, their bags encoded as they come back."""
        if processes <= 1 or len(records) < 2000:
            return self.vectorizer.encode(self.bag(r) for r in records)
        context = multiprocessing.get_context("fork")
        global _WORKER_ENGINE
        _WORKER_ENGINE = self
        with context.Pool(processes) as pool:
            return self.vectorizer.encode(pool.imap(_worker_bag, records, chunksize=256))

    def fit(
        self,
        achievements: Sequence[AchievementRecord],
        needs: Sequence[NeedRecord],
        *,
        achievement_counts: sp.csr_matrix | None = None,
        need_counts: sp.csr_matrix | None = None,
        processes: int = 1,
    ) -> MatchingEngine:
        """Fit on both sides. Encoded token weights may be given (from an earlier ``encode`` with this engine) to
        skip tokenising again."""
        self.achievements, self.needs = list(achievements), list(needs)
        ach_counts = achievement_counts if achievement_counts is not None else self.encode(self.achievements, processes)
        need_counts = need_counts if need_counts is not None else self.encode(self.needs, processes)
        self.vectorizer.fit(ach_counts, need_counts)
        self.A = self.vectorizer.weigh(ach_counts)
        self.N = self.vectorizer.weigh(need_counts)
        # Candidates come from a product of pruned vectors (the heaviest terms of each record), cheap at any size;
        # every candidate pair is then scored on the full vectors (``_candidates_of``).
        self.A_T = self._for_candidates(self.A).T.tocsr()
        self.N_T = self._for_candidates(self.N).T.tocsr()
        self._fit_domain_centroids()
        self.ach_arrays = self._side(self.achievements, self.A)
        self.need_arrays = self._side(self.needs, self.N)
        self.ach_keys = self.codes.place_keys(self.ach_arrays.province, self.ach_arrays.city)
        self.need_keys = self.codes.place_keys(self.need_arrays.province, self.need_arrays.city)
        # Candidates of both directions, and each record's best cosine (the text score is relative to both).
        self.by_need = self._candidates_of(self.N, "a")
        self.by_ach = self._candidates_of(self.A, "n")
        self.need_best = _row_max(self.by_need, len(self.needs))
        self.ach_best = _row_max(self.by_ach, len(self.achievements))
        return self

    def _fit_domain_centroids(self) -> None:
        """Centroids of the subdomains, from the records that name them and from the taxonomy's names."""
        subs = self.codes.subs
        index = {code: i for i, code in enumerate(subs)}
        rows, cols = [], []
        records: list[AchievementRecord | NeedRecord] = [*self.achievements, *self.needs]
        for row, record in enumerate(records):
            for code in record.domains:
                if code in index:
                    rows.append(row)
                    cols.append(index[code])
        labels = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(len(records), len(subs)))
        matrix = sp.vstack([self.A, self.N]).tocsr()
        centroids = (labels.T @ matrix).tocsr()
        name_bags = []
        for code in subs:
            zh, en = self.taxonomy.names.get(code, ("", ""))
            bag: Bag = {}
            self.tokenizer.tokens(f"{zh} {en}", 1.0, bag)
            name_bags.append(bag)
        names = self.vectorizer.transform(name_bags)
        self.centroids = prune(l2_normalize((centroids + names * 2.0).tocsr()), 400)
        self.centroids_T = self.centroids.T.tocsr()

    def infer_domains(
        self, matrix: sp.csr_matrix, records: Sequence[AchievementRecord | NeedRecord]
    ) -> list[list[str]]:
        """Likely subdomains of the records that name none (or only a top-level one), from their text."""
        similarity = (matrix @ self.centroids_T).toarray()
        inferred: list[list[str]] = []
        for i, record in enumerate(records):
            given_tops = {self.taxonomy.top(c) for c in record.domains}
            if any(self.taxonomy.is_sub(c) for c in record.domains):
                inferred.append([])
                continue
            row = similarity[i]
            if given_tops:
                allowed = np.array([self.taxonomy.top(c) in given_tops for c in self.codes.subs])
                row = np.where(allowed, row, 0.0)
            order = np.argsort(-row)[:2]
            best = row[order[0]] if len(order) else 0.0
            picks = [
                self.codes.subs[j]
                for j in order
                if row[j] >= self.config.domain_inference_threshold and row[j] >= 0.8 * best
            ]
            inferred.append(picks)
        return inferred

    def _side(self, records: Sequence[AchievementRecord | NeedRecord], matrix: sp.csr_matrix) -> SideArrays:
        inferred = self.infer_domains(matrix, records) if len(records) else []
        return self.codes.arrays(records, inferred)

    # --- ranking ---------------------------------------------------------------------------------------------
    def _candidates(self, left: sp.csr_matrix, right_t: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The top candidates of each row of ``left`` among the columns of ``right_t`` (a transposed side)."""
        if left.shape[0] == 0 or right_t.shape[1] == 0:
            empty = np.zeros(0, np.int32)
            return empty, empty, np.zeros(0, np.float32)
        product = sp_matmul_topn(left, right_t, top_n=self.config.candidates, threshold=0.0, n_threads=THREADS).tocsr()
        rows = np.repeat(np.arange(product.shape[0], dtype=np.int32), np.diff(product.indptr))
        return rows, product.indices.astype(np.int32), product.data.astype(np.float32)

    def _text(self, cosine: np.ndarray, need_best: np.ndarray, ach_best: np.ndarray) -> np.ndarray:
        """Cosine relative to the best cosine either record reaches (geometric mean), blended with the absolute
        cosine, so that a record's best fits stand out whatever its vocabulary, while weak fits stay weak."""
        share = self.config.text_need_share
        best = np.maximum(need_best, 1e-6) ** share * np.maximum(ach_best, 1e-6) ** (1 - share)
        relative = np.minimum(1.0, cosine / best)
        absolute = np.minimum(1.0, cosine / self.config.text_saturation)
        alpha = self.config.text_relative
        return (alpha * relative + (1 - alpha) * absolute).astype(np.float32)

    def _score(
        self,
        need: SideArrays,
        need_keys: tuple[np.ndarray, np.ndarray],
        need_idx: np.ndarray,
        ach_idx: np.ndarray,
        cosine: np.ndarray,
        need_best: np.ndarray | None = None,
    ) -> PairScores:
        best = self.need_best[need_idx] if need_best is None else need_best
        text = self._text(cosine, best, self.ach_best[ach_idx])
        return score_pairs(
            need, self.ach_arrays, need_idx, ach_idx, text, self.config, self.codes, need_keys, self.ach_keys
        )

    def _top_k(self, group: np.ndarray, total: np.ndarray, k: int | None = None) -> np.ndarray:
        return top_per_group(group, total, self.config.top_k if k is None else k)

    def rank_needs(self) -> RankedPairs:
        """For every need, its top-K achievements."""
        return self._rank_blocks(self.by_need, need_side=True)

    def rank_achievements(self) -> RankedPairs:
        """For every achievement, its top-K needs."""
        return self._rank_blocks(self.by_ach, need_side=False)

    def _rank_blocks(
        self, candidates: tuple[np.ndarray, np.ndarray, np.ndarray], *, need_side: bool, limit: int | None = None
    ) -> RankedPairs:
        """Score the candidates in blocks of whole rows, so memory stays bounded whatever the corpus size; keep the
        top ``limit`` (default K) of each row."""
        rows, cols, cos = candidates
        boundaries = np.r_[0, np.flatnonzero(np.diff(rows)) + 1, len(rows)]
        kept: list[RankedPairs] = []
        start = 0
        while start < len(rows):
            stop_at = np.searchsorted(boundaries, start + BLOCK_PAIRS, side="right") - 1
            stop = int(boundaries[max(stop_at, 0)])
            if stop <= start:
                stop = int(boundaries[np.searchsorted(boundaries, start, side="right")])
            r, c, v = rows[start:stop], cols[start:stop], cos[start:stop]
            n, a = (r, c) if need_side else (c, r)
            scores = self._score(self.need_arrays, self.need_keys, n, a, v)
            pairs = RankedPairs(n, a, scores.total, scores.components, scores.broken)
            kept.append(pairs.subset(self._top_k(r, scores.total, limit)))
            start = stop
        return _concat(kept)

    def rank(self) -> RankedPairs:
        """Both directions; a pair kept by either side appears once."""
        merged = _concat([self.rank_needs(), self.rank_achievements()])
        key = merged.need.astype(np.int64) * (len(self.achievements) + 1) + merged.achievement
        _, first = np.unique(key, return_index=True)
        return merged.subset(np.sort(first))

    def rank_one(self, record: AchievementRecord | NeedRecord) -> tuple[list[int], RankedPairs]:
        """Score one record (new or changed) against the fitted other side; returns the other side's indices."""
        vector = self.vectorizer.transform([self.bag(record)])
        arrays = self.codes.arrays([record], self.infer_domains(vector, [record]))
        keys = self.codes.place_keys(arrays.province, arrays.city)
        if isinstance(record, NeedRecord):
            _, a, cos = self._candidates_of(vector, "a")
            n = np.zeros(len(a), np.int64)
            own_best = np.full(len(a), cos.max() if len(cos) else 0.0, np.float32)
            scores = self._score(arrays, keys, n, a, cos, need_best=own_best)
            other = a
        else:
            _, n, cos = self._candidates_of(vector, "n")
            a = np.zeros(len(n), np.int64)
            own_best = np.full(len(n), cos.max() if len(cos) else 0.0, np.float32)
            text = self._text(cos, self.need_best[n], own_best)
            scores = score_pairs(self.need_arrays, arrays, n, a, text, self.config, self.codes, self.need_keys, keys)
            other = n
        pairs = RankedPairs(n, a, scores.total, scores.components, scores.broken)
        keep = self._top_k(np.zeros(len(other), np.int64), scores.total)
        return [int(i) for i in other[keep]], pairs.subset(keep)

    # --- adding records without a refit (incremental matching: matching/engine/state.py) ---------------------
    def extend(
        self,
        achievements: Sequence[AchievementRecord] = (),
        needs: Sequence[NeedRecord] = (),
        *,
        achievement_counts: sp.csr_matrix | None = None,
        need_counts: sp.csr_matrix | None = None,
        achievement_vectors: sp.csr_matrix | None = None,
        need_vectors: sp.csr_matrix | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add records to the fitted sides without refitting; returns the rows they got on each side.

        They are weighed with the fitted vocabulary, IDF and average length (a token met after fitting weighs
        nothing, as in ``rank_one``), their unnamed subdomains are inferred from the fitted centroids, and every
        record's best cosine (what the relative text score is relative to) is raised where a new record beats it,
        as a refit would. Counts, when given, come from ``vectorizer.encode(bags, grow=False)``; vectors, when given,
        are the rows already weighed (``EngineState`` weighs them as a refit would, see there). ``rank_rows`` ranks
        any rows, the added ones included; ``rank``, ``rank_needs`` and ``rank_achievements`` keep ranking the
        records of the last fit, which takes everything in again.
        """
        added = {"a": self._append("a", list(achievements), achievement_counts, achievement_vectors),
                 "n": self._append("n", list(needs), need_counts, need_vectors)}  # fmt: skip
        for side, other in (("a", "n"), ("n", "a")):
            rows = added[side]
            if not len(rows):
                continue
            r, c, v = self._candidates_of(self._side_matrix(side)[rows], other)
            own = np.zeros(len(rows), np.float32)
            np.maximum.at(own, r, v)
            best, other_best = self._side_best(side), self._side_best(other)
            best[rows] = np.maximum(best[rows], own)
            np.maximum.at(other_best, c, v)
        return added["a"], added["n"]

    def rank_rows(
        self,
        *,
        needs: Sequence[int] | np.ndarray = (),
        achievements: Sequence[int] | np.ndarray = (),
        limit: int | None = None,
    ) -> RankedPairs:
        """The top ``limit`` (default K) pairs of some rows of either side (records added by ``extend``, or fitted
        ones) against every row of the other side, added ones included, scored as ``rank_needs`` and
        ``rank_achievements`` score them."""
        parts = []
        for rows, side, other in ((needs, "n", "a"), (achievements, "a", "n")):
            rows = np.unique(np.asarray(rows, np.int64))
            if not len(rows):
                continue
            r, c, v = self._candidates_of(self._side_matrix(side)[rows], other)
            parts.append(self._rank_blocks((rows[r], c, v), need_side=side == "n", limit=limit))
        return _concat(parts)

    def reserve(self) -> None:
        """Make room in both sides for records to be added (``extend``), so that the first one added does not copy
        a whole side; a kept state does this as it loads, in the background."""
        for side in ("a", "n"):
            matrix = self._side_matrix(side)
            empty = sp.csr_matrix((0, matrix.shape[1]), dtype=matrix.data.dtype)
            setattr(self, "A" if side == "a" else "N", self._grown(side, matrix, empty))

    def _side_matrix(self, side: str) -> sp.csr_matrix:
        return self.A if side == "a" else self.N

    def _side_best(self, side: str) -> np.ndarray:
        return self.ach_best if side == "a" else self.need_best

    def _append(
        self, side: str, records: list, counts: sp.csr_matrix | None, vectors: sp.csr_matrix | None
    ) -> np.ndarray:
        if not records:
            return np.zeros(0, np.int64)
        if vectors is None and counts is None:
            counts = self.vectorizer.encode((self.bag(r) for r in records), grow=False)
        width = self.A.shape[1]  # the fitted vocabulary
        matrix = vectors if vectors is not None else self.vectorizer.weigh(counts)
        if matrix.shape[1] > width:  # tokens met after fitting: they weigh nothing
            matrix = matrix[:, :width]
        arrays = self._side(records, matrix)
        keys = self.codes.place_keys(arrays.province, arrays.city)
        start = self._side_matrix(side).shape[0]
        if side == "a":
            self.A = self._grown("a", self.A, matrix)
            self.ach_arrays = _append_arrays(self.ach_arrays, arrays)
            self.ach_keys = (np.r_[self.ach_keys[0], keys[0]], np.r_[self.ach_keys[1], keys[1]])
            self.ach_best = np.r_[self.ach_best, np.zeros(len(records), np.float32)]
            self.achievements.extend(records)
        else:
            self.N = self._grown("n", self.N, matrix)
            self.need_arrays = _append_arrays(self.need_arrays, arrays)
            self.need_keys = (np.r_[self.need_keys[0], keys[0]], np.r_[self.need_keys[1], keys[1]])
            self.need_best = np.r_[self.need_best, np.zeros(len(records), np.float32)]
            self.needs.extend(records)
        return np.arange(start, start + len(records), dtype=np.int64)

    def _grown(self, side: str, matrix: sp.csr_matrix, rows: sp.csr_matrix) -> sp.csr_matrix:
        """``matrix`` with ``rows`` below it. The arrays are kept with a quarter of spare room, so that adding a
        record copies its row, not the side (100,000 rows are 120 MB: a copy per publication would cost more than
        the rest of it)."""
        spare = self.__dict__.setdefault("_spare", {})
        held = spare.get(side)
        nnz, n = matrix.nnz + rows.nnz, matrix.shape[0] + rows.shape[0]
        if held is None or held[0] is not matrix or len(held[1]) < nnz or len(held[3]) < n + 1:
            grown = _append_rows(matrix, rows)
            room = int(grown.nnz * 1.25) + 1024
            data = np.empty(room, grown.data.dtype)
            indices = np.empty(room, grown.indices.dtype)
            indptr = np.empty(int(n * 1.25) + 64, grown.indptr.dtype)
            data[: grown.nnz], indices[: grown.nnz], indptr[: n + 1] = grown.data, grown.indices, grown.indptr
        else:
            _, data, indices, indptr = held
            data[matrix.nnz : nnz] = rows.data
            indices[matrix.nnz : nnz] = rows.indices
            indptr[matrix.shape[0] + 1 : n + 1] = rows.indptr[1:] + matrix.nnz
        result = sp.csr_matrix((data[:nnz], indices[:nnz], indptr[: n + 1]), shape=(n, matrix.shape[1]), copy=False)
        spare[side] = (result, data, indices, indptr)
        return result

    def _searchable(self, side: str) -> list[tuple[int, sp.csr_matrix]]:
        """A side's rows as transposed blocks (row offset, block) for the candidate products. Rows added since the
        last transpose are searched through a small transposed block of their own, folded into the whole once they
        are more than 2 % of the side: transposing 100,000 rows costs about half a second, a few hundred rows a
        millisecond."""
        matrix = self._side_matrix(side)
        transposed = self.A_T if side == "a" else self.N_T
        covered, rows = transposed.shape[1], matrix.shape[0]
        if rows == covered:
            return [(0, transposed)]
        if rows - covered > max(1000, rows // 50):
            transposed = self._for_candidates(matrix).T.tocsr()
            setattr(self, "A_T" if side == "a" else "N_T", transposed)
            return [(0, transposed)]
        cache = self.__dict__.setdefault("_added_T", {})
        cached = cache.get(side)
        if cached is None or cached[0] is not matrix or cached[1] != covered:
            cached = cache[side] = (matrix, covered, self._for_candidates(matrix[covered:]).T.tocsr())
        return [(0, transposed), (covered, cached[2])]

    def _for_candidates(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """The vectors the candidate products use: each record's ``candidate_terms`` heaviest terms, character
        bigrams left out (common bigrams have long posting lists and choose nothing words do not), not
        renormalised, so a product is a lower bound of the full cosine."""
        keep = self.config.candidate_terms
        if not keep:
            return matrix
        matrix = matrix.copy()
        bigrams = self._bigram_columns()
        inside = matrix.indices < len(bigrams)
        matrix.data[inside & bigrams[np.minimum(matrix.indices, len(bigrams) - 1)]] = 0.0
        matrix.eliminate_zeros()
        return prune(matrix, keep)

    def _bigram_columns(self) -> np.ndarray:
        """Which columns of the vocabulary are character bigrams (cached while the vocabulary does not grow)."""
        vocabulary = self.vectorizer.vocabulary
        cached = self.__dict__.get("_bigrams")
        if cached is None or len(cached) != len(vocabulary):
            cached = np.zeros(max(len(vocabulary), 1), bool)
            for token, column in vocabulary.items():
                if token.startswith(BIGRAM):
                    cached[column] = True
            self._bigrams = cached
        return cached

    def _candidates_of(self, left: sp.csr_matrix, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidates of the rows of ``left`` (full vectors) among every row of ``side``, the rows added since
        the fit included, with their cosines on the full vectors: the pruned product chooses, the full vectors
        score. Long texts share many light, common words whose sum matters; scoring only the chosen pairs on full
        vectors keeps that at the cost of the pruned product."""
        pruned = self._for_candidates(left)
        parts = []
        for offset, transposed in self._searchable(side):
            r, c, v = self._candidates(pruned, transposed)
            parts.append((r, (c + offset).astype(np.int32), v))
        if len(parts) == 1:
            r, c, v = parts[0]
        else:
            r, c, v = (np.concatenate(values) for values in zip(*parts, strict=True))
            keep = self._top_k(r, v, self.config.candidates)
            r, c, v = r[keep], c[keep], v[keep]
        if not self.config.candidate_terms or not len(r):
            return r, c, v
        right = self._side_matrix(side)
        # Group by the side whose rows are fewer per pair: the other side's rows are gathered, once per pair.
        processes = THREADS if self.parallel else 1
        if left.shape[0] <= right.shape[0]:
            exact = pair_dots(left, right, r, c, processes)
        else:
            exact = pair_dots(right, left, c, r, processes)
        return r, c, exact

    # --- explanations ----------------------------------------------------------------------------------------
    def explain_many(self, pairs: RankedPairs) -> list[list[Reason]]:
        """Reasons for every pair of ``pairs`` (fitted records), in order; the way bulk runs explain (in blocks of
        pairs, with array operations: ``explain.explain_pairs``)."""
        return explain_pairs(self, pairs)

    def explain(
        self,
        pairs: RankedPairs,
        i: int,
        *,
        need: NeedRecord | None = None,
        achievement: AchievementRecord | None = None,
    ) -> list[Reason]:
        """Reasons, in Chinese and English, for pair ``i`` of ``pairs`` (records default to the fitted ones)."""
        return explain_pairs(self, pairs, [i], need=need, achievement=achievement)[0]


def _append_rows(matrix: sp.csr_matrix, rows: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix`` with ``rows`` below it: one copy of the three arrays, without scipy's general stacking."""
    nnz = matrix.nnz + rows.nnz
    dtype = np.int32 if nnz < np.iinfo(np.int32).max and matrix.shape[1] < np.iinfo(np.int32).max else np.int64
    indptr = np.concatenate([matrix.indptr[: matrix.shape[0] + 1].astype(dtype, copy=False),
                             (rows.indptr[1:] + matrix.indptr[-1]).astype(dtype)])  # fmt: skip
    indices = np.concatenate([matrix.indices[: matrix.nnz], rows.indices]).astype(dtype, copy=False)
    data = np.concatenate([matrix.data[: matrix.nnz], rows.data.astype(matrix.data.dtype, copy=False)])
    return sp.csr_matrix((data, indices, indptr), shape=(matrix.shape[0] + rows.shape[0], matrix.shape[1]))


def _append_arrays(side: SideArrays, more: SideArrays) -> SideArrays:
    return SideArrays(**{f.name: np.concatenate([getattr(side, f.name), getattr(more, f.name)]) for f in fields(side)})
