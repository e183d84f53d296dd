"""Sparse term vectors: weighted bags of tokens -> BM25-saturated, IDF-weighted, L2-normalised CSR rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

Bag = dict[str, float]


class Vectorizer:
    """Fitted once on the corpus of both sides; transforms any bag with the fitted vocabulary and IDF."""

    def __init__(self, *, k1: float = 1.2, b: float = 0.5) -> None:
        self.k1, self.b = k1, b
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.average_length = 1.0

    def fit(self, bags: Sequence[Bag]) -> Vectorizer:
        document_frequency: dict[str, int] = {}
        total_length = 0.0
        for bag in bags:
            total_length += sum(bag.values())
            for token in bag:
                document_frequency[token] = document_frequency.get(token, 0) + 1
        self.vocabulary = {token: index for index, token in enumerate(sorted(document_frequency))}
        df = np.array([document_frequency[t] for t in sorted(document_frequency)], dtype=np.float64)
        n = max(len(bags), 1)
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.average_length = total_length / n if total_length else 1.0
        return self

    def counts(self, bags: Sequence[Bag]) -> sp.csr_matrix:
        indptr, indices, data = [0], [], []
        for bag in bags:
            for token, weight in bag.items():
                column = self.vocabulary.get(token)
                if column is not None:
                    indices.append(column)
                    data.append(weight)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
            shape=(len(bags), len(self.vocabulary)),
        )

    def transform(self, bags: Sequence[Bag]) -> sp.csr_matrix:
        matrix = self.counts(bags)
        lengths = np.array([sum(bag.values()) for bag in bags], dtype=np.float32)
        norm_length = self.k1 * (1 - self.b + self.b * lengths / self.average_length)
        row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        tf = matrix.data
        matrix.data = (tf * (self.k1 + 1) / (tf + norm_length[row_of_entry])) * self.idf[matrix.indices]
        return l2_normalize(matrix)


def l2_normalize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    row_of_entry = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data = (matrix.data / norms[row_of_entry]).astype(np.float32)
    return matrix
