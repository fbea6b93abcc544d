"""What every criterion's similarity provides to scoring, and the matrix helpers it uses.

A :class:`Similarity` is fitted on a criterion's mentee column and mentor column (the
encoders inside see both sides, so vocabularies are shared) and then answers three
questions: a block of mentees against every mentor (fast, in the scorer's dtype), a list
of (mentee, mentor) pairs (exact, float64) and the evidence in words for pairs.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Self, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from matching._labels import ValueLabels, title_of
from matching.messages import Evidence, render

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Matrix: TypeAlias = Any
"""A dense float ndarray or a scipy CSR matrix (scipy ships no type stubs)."""

__all__ = ["ValueLabels", "title_of"]  # re-exported for the similarities
Cells: TypeAlias = Sequence[Any] | pd.Series

PAIR_CHUNK = 65_536
"""Pairs handled at once by the exact pair functions: bounds their temporary memory."""

DENSE_COLUMNS = 4096
"""Encoded matrices up to this width are kept dense, so block products use BLAS."""


class Similarity(ABC):
    """One criterion's similarity in [0, 1] between mentees and mentors."""

    n_mentees_: int
    n_mentors_: int

    @abstractmethod
    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Encode both sides (vocabularies fitted on both) and keep the matrices."""

    @abstractmethod
    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Similarity of mentees ``rows`` with every mentor: (len(rows), n_mentors)."""

    def block_columns(
        self, rows: IntArray, columns: IntArray, dtype: type[np.floating[Any]]
    ) -> NDArray[np.floating[Any]]:
        """:meth:`block` restricted to mentors ``columns`` (same values): (rows, columns).
        Override when the restriction can be computed for less than the whole block."""
        return np.ascontiguousarray(self.block(rows, dtype)[:, columns])

    @abstractmethod
    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact float64 similarity of each given pair."""

    @abstractmethod
    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """Evidence as data for each pair, None when the criterion contributes nothing."""

    def evidence_given(
        self, mentee_idx: IntArray, mentor_idx: IntArray, similarity: FloatArray
    ) -> list[Evidence | None]:
        """:meth:`evidence` when the pairs' similarities are already known (override to
        skip recomputing them)."""
        return self.evidence(mentee_idx, mentor_idx)

    def phrases(
        self, mentee_idx: IntArray, mentor_idx: IntArray, language: str = "en"
    ) -> list[str | None]:
        """:meth:`evidence` in words (see :func:`matching.messages.render`)."""
        return [
            None if e is None else render(e, language)
            for e in self.evidence(mentee_idx, mentor_idx)
        ]


def as_matrix(matrix: Any) -> Matrix:
    """Dense float64 when narrow enough for BLAS, else CSR float64."""
    if sp.issparse(matrix):
        if matrix.shape[1] <= DENSE_COLUMNS:
            return np.asarray(matrix.toarray(), dtype=np.float64)
        return sp.csr_matrix(matrix, dtype=np.float64)
    return np.asarray(matrix, dtype=np.float64)


class CastCache:
    """A matrix and its copies in other dtypes, made once (mentor side, reused per block)."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self._copies: dict[Any, Matrix] = {}
        self._transposed: dict[Any, Matrix] = {}
        self._lock = threading.Lock()  # blocks are computed on threads: make copies once

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its matrix alone (a cluster's workers receive fitted scorers): the
        copies are made again where they are used, and a lock does not travel."""
        return {"matrix": self.matrix}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["matrix"])  # type: ignore[misc]

    def get(self, dtype: type[np.floating[Any]]) -> Matrix:
        """The matrix in ``dtype``."""
        key = np.dtype(dtype)
        if key == self.matrix.dtype:
            return self.matrix
        with self._lock:
            if key not in self._copies:
                self._copies[key] = self.matrix.astype(key)
            return self._copies[key]

    def transposed(self, dtype: type[np.floating[Any]]) -> Matrix:
        """The sparse matrix in ``dtype``, transposed, as CSR: what scipy would convert
        ``matrix.T`` to for every product (the same arrays, so the same products)."""
        key = np.dtype(dtype)
        matrix = self.get(dtype)
        with self._lock:
            if key not in self._transposed:
                self._transposed[key] = sp.csr_matrix(matrix.T)
            return self._transposed[key]


def block_product(
    left: Matrix, rows: IntArray, right: CastCache, dtype: type[np.floating[Any]]
) -> NDArray[np.floating[Any]]:
    """``left[rows] @ right.T`` as a dense array: BLAS when both are dense."""
    right_m = right.get(dtype)
    part = left[rows]
    if sp.issparse(part):
        part = part.astype(dtype)
        product = part @ (right.transposed(dtype) if sp.issparse(right_m) else right_m.T)
        return np.asarray(product.toarray() if sp.issparse(product) else product, dtype=dtype)
    part = np.asarray(part, dtype=dtype)
    if sp.issparse(right_m):
        return np.asarray((right_m @ part.T).T, dtype=dtype)
    return np.asarray(part @ right_m.T, dtype=dtype)


def rowwise_dot(left: Matrix, right: Matrix, left_idx: IntArray, right_idx: IntArray) -> FloatArray:
    """``sum(left[i] * right[j])`` for each pair (i, j), exactly in float64, in chunks."""
    out = np.empty(left_idx.shape[0], dtype=np.float64)
    for start in range(0, left_idx.shape[0], PAIR_CHUNK):
        stop = min(start + PAIR_CHUNK, left_idx.shape[0])
        a = left[left_idx[start:stop]]
        b = right[right_idx[start:stop]]
        if sp.issparse(a):
            product = a.multiply(b)
            out[start:stop] = np.asarray(product.sum(axis=1)).ravel()
        elif sp.issparse(b):
            out[start:stop] = np.asarray(b.multiply(a).sum(axis=1)).ravel()
        else:
            out[start:stop] = np.einsum("ij,ij->i", a, b)
    return out


def unique_inverse(values: IntArray) -> tuple[IntArray, IntArray]:
    """Sorted distinct values and each value's position among them (``np.unique`` with
    ``return_inverse``, by sorting: numpy 2's hashing path is far slower on large arrays)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(ordered.size, dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(values.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def row_counts(matrix: Matrix) -> FloatArray:
    """Number of non-zero entries per row."""
    counts = np.diff(matrix.indptr) if sp.issparse(matrix) else np.count_nonzero(matrix, axis=1)
    return np.asarray(counts, dtype=np.float64)
