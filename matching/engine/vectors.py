"""Sparse term vectors: weighted bags of tokens -> BM25-saturated, IDF-weighted, pruned, L2-normalised CSR rows.

Bags are encoded into CSR matrices of raw weights as they arrive (a growing vocabulary maps tokens to columns), so
that a corpus of 100,000 records never holds 100,000 Python dictionaries at once.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

Bag = dict[str, float]


class Vectorizer:
    """Encodes bags, is fitted once on the corpus of both sides, then weighs any encoded rows the same way."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.5, max_terms: int = 0) -> None:
        self.k1, self.b, self.max_terms = k1, b, max_terms
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.average_length = 1.0

    def encode(self, bags: Iterable[Bag], *, grow: bool = True) -> sp.csr_matrix:
        """Raw weights of the bags; with ``grow`` unknown tokens get new columns, else they are dropped."""
        vocabulary = self.vocabulary
        indptr, indices, data = [0], [], []
        for bag in bags:
            for token, weight in bag.items():
                column = vocabulary.get(token)
                if column is None:
                    if not grow:
                        continue
                    column = vocabulary[token] = len(vocabulary)
                indices.append(column)
                data.append(weight)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(vocabulary)),
        )

    def fit(self, *matrices: sp.csr_matrix) -> Vectorizer:
        """Document frequencies and the average length over all the encoded matrices (rows are documents)."""
        size = len(self.vocabulary)
        df = np.zeros(size, dtype=np.float64)
        total_length, n = 0.0, 0
        for matrix in matrices:
            df += np.bincount(matrix.indices, minlength=size)[:size]
            total_length += float(matrix.data.sum())
            n += matrix.shape[0]
        n = max(n, 1)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.average_length = total_length / n if total_length else 1.0
        return self

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        matrix = counts.copy()
        matrix.resize((matrix.shape[0], len(self.vocabulary)))
        lengths = np.asarray(matrix.sum(axis=1)).ravel().astype(np.float32)
        norm_length = self.k1 * (1 - self.b + self.b * lengths / self.average_length)
        row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        idf = np.zeros(len(self.vocabulary), np.float32)
        idf[: len(self.idf)] = self.idf  # tokens met after fitting weigh nothing
        tf = matrix.data
        matrix.data = (tf * (self.k1 + 1) / (tf + norm_length[row_of_entry])) * idf[matrix.indices]
        matrix.eliminate_zeros()
        if self.max_terms:
            matrix = prune(matrix, self.max_terms)
        return l2_normalize(matrix)

    def transform(self, bags: Sequence[Bag]) -> sp.csr_matrix:
        return self.weigh(self.encode(bags, grow=False))


def prune(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Keep the ``keep`` heaviest terms of each row (the rest add little to a cosine and much to the products)."""
    counts = np.diff(matrix.indptr)
    if counts.max(initial=0) <= keep:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), counts)
    order = np.lexsort((-matrix.data, rows))
    starts = np.repeat(matrix.indptr[:-1], counts)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - starts
    mask = rank < keep
    kept_rows = rows[mask]
    indptr = np.r_[0, np.cumsum(np.bincount(kept_rows, minlength=matrix.shape[0]))]
    return sp.csr_matrix((matrix.data[mask], matrix.indices[mask], indptr), shape=matrix.shape)


def l2_normalize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data = (matrix.data / norms[row_of_entry]).astype(np.float32)
    return matrix


PARALLEL_PAIRS = 500_000
_FORKED: tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, np.ndarray] | None = None


def pair_dots(
    left: sp.csr_matrix, right: sp.csr_matrix, left_rows: np.ndarray, right_rows: np.ndarray, processes: int = 1
) -> np.ndarray:
    """Exact dot products of the pairs (``left[left_rows[k]]``, ``right[right_rows[k]]``).

    Pairs are grouped by their left row: that row is spread into one dense buffer, its partners' rows are gathered
    in one indexing call and multiplied with the buffer in one sparse product, so the work is the non-zeros of the
    gathered rows and the Python loop runs once per distinct left row. Callers put the side with fewer, longer
    rows on the left. With ``processes`` > 1, many pairs and a process allowed to fork (not a daemon, such as a
    Celery prefork child, and running no other thread), the groups are shared out over forked processes."""
    if (
        processes > 1
        and len(left_rows) >= PARALLEL_PAIRS
        and not multiprocessing.current_process().daemon
        and threading.active_count() == 1  # forking beside other threads can hang the children on their locks
    ):
        return _pair_dots_forked(left, right, left_rows, right_rows, processes)
    return _pair_dots(left, right, left_rows, right_rows)


def _pair_dots_part(bounds: tuple[int, int]) -> np.ndarray:
    assert _FORKED is not None  # noqa: S101 - set before the pool forks
    left, right, left_rows, right_rows = _FORKED
    return _pair_dots(left, right, left_rows[bounds[0] : bounds[1]], right_rows[bounds[0] : bounds[1]])


def _pair_dots_forked(
    left: sp.csr_matrix, right: sp.csr_matrix, left_rows: np.ndarray, right_rows: np.ndarray, processes: int
) -> np.ndarray:
    global _FORKED
    order = np.argsort(left_rows, kind="stable")
    sorted_left, sorted_right = left_rows[order], right_rows[order]
    # Cut between groups, so that each left row is spread once.
    cuts = [0]
    for share in range(1, processes):
        cut = int(np.searchsorted(sorted_left, sorted_left[len(order) * share // processes]))
        cuts.append(max(cut, cuts[-1]))
    cuts.append(len(order))
    _FORKED = (left, right, sorted_left, sorted_right)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            parts = pool.map(_pair_dots_part, list(pairwise(cuts)))
    finally:
        _FORKED = None
    out = np.empty(len(order), np.float32)
    out[order] = np.concatenate(parts)
    return out


def _pair_dots(left: sp.csr_matrix, right: sp.csr_matrix, left_rows: np.ndarray, right_rows: np.ndarray) -> np.ndarray:
    out = np.zeros(len(left_rows), np.float32)
    if not len(left_rows):
        return out
    order = np.argsort(left_rows, kind="stable")
    sorted_rows = left_rows[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_rows)) + 1]
    stops = np.r_[starts[1:], len(order)]
    width = max(left.shape[1], right.shape[1])
    right = right if right.shape[1] == width else _widen(right, width)
    buffer = np.zeros(width, np.float32)
    indptr, indices, data = left.indptr, left.indices, left.data
    for start, stop in zip(starts, stops, strict=True):
        row = sorted_rows[start]
        columns = indices[indptr[row] : indptr[row + 1]]
        buffer[columns] = data[indptr[row] : indptr[row + 1]]
        picked = order[start:stop]
        out[picked] = right[right_rows[picked]] @ buffer
        buffer[columns] = 0.0
    return out


def _widen(matrix: sp.csr_matrix, width: int) -> sp.csr_matrix:
    matrix = matrix.copy()
    matrix.resize((matrix.shape[0], width))
    return matrix
