"""Similarities computed once per distinct pair of cell values, not per pair of people.

Cohorts repeat values: 30,000 mentees share a few dozen language sets, a few thousand
need profiles, a few thousand goal texts. :class:`Deduplicated` fits a similarity on
the distinct values of each side only and maps people to them; when the table of
distinct mentee values x distinct mentor values is small enough it is computed once
(float64, plus a float32 copy), and every block is a gather from it, so rounds of
pricing cost almost nothing. A larger table is kept in float32 only (the same float32
values, half the memory): float32 blocks still gather from it, while exact float64
scores are computed once per distinct pair. Past that, each block computes the distinct
values it contains and gathers. Results are the same as the wrapped similarity's, except that a
text criterion's document frequencies count distinct texts (a template repeated by
thousands does not swamp the vocabulary weights).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from functools import cache
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from matching.features._base import Cells, FloatArray, IntArray, Similarity, unique_inverse
from matching.features._parse import factorize
from matching.messages import Evidence

TABLE_LIMIT = 2**26
"""Largest distinct-values table (entries) kept whole: 512 MiB in float64, and half that
for the float32 table over every mentor. Past it, each block computes its own distinct
values, which repeats work across blocks and pricing rounds (``benchmarks/README.md``,
"Measurements behind the constants")."""
COMPACT_TABLE_LIMIT = 2**29
"""Largest distinct-values table (entries) kept in float32 when it is past
:data:`TABLE_LIMIT`: 2 GiB. Without it every block recomputes its distinct values, as
many times as mentees repeat them (a cohort's goal texts: 50 mentees a text at
300,000 mentees)."""
TABLE_ROWS = 512
"""Distinct mentee values computed at once when building the table."""
TABLE_THREADS = max(1, min(4, os.cpu_count() or 1))
"""Threads building a table (the products release the GIL)."""


class TableRows(Protocol):
    """Where a distinct-values table is computed (e.g. a cluster's workers)."""

    def __call__(
        self, inner: Similarity, ranges: Sequence[tuple[int, int]], columns: int
    ) -> Iterable[FloatArray] | None:
        """:func:`table_rows` of ``inner`` for each range of distinct mentee values, in
        order (``columns`` distinct mentor values each), or None to compute them here."""
        ...


def table_rows(inner: Similarity, start: int, stop: int) -> FloatArray:
    """Rows ``start:stop`` of the distinct-values table of a fitted ``inner``, in
    float64: every range is computed by this one call, wherever it runs, so a table
    assembled from ranges computed elsewhere holds the same numbers (under
    :func:`one_blas_thread`: BLAS gives other last bits with other thread counts)."""
    rows = inner.block(np.arange(start, stop, dtype=np.int64), np.float64)
    return np.asarray(rows, dtype=np.float64)


def one_blas_thread() -> AbstractContextManager[Any]:
    """BLAS limited to one thread in this process for the block: products then give
    the same bits whatever the machine's cores (and threads inside threads would
    oversubscribe them)."""
    limited: AbstractContextManager[Any] = _blas().limit(limits=1, user_api="blas")
    return limited


@cache
def _blas() -> ThreadpoolController:
    """The process's thread pools (BLAS, OpenMP), found once: looking them up scans the
    loaded libraries (about 8 ms), limiting them afterwards costs microseconds."""
    return ThreadpoolController()


class Deduplicated(Similarity):
    """Wraps a :class:`Similarity` so it works on distinct cell values.

    Parameters
    ----------
    inner
        The similarity to wrap (unfitted).
    table_limit
        Largest (distinct mentee values x distinct mentor values) computed whole.
    compact_limit
        Largest such table kept, in float32, past ``table_limit``.
    """

    def __init__(
        self,
        inner: Similarity,
        table_limit: int = TABLE_LIMIT,
        compact_limit: int = COMPACT_TABLE_LIMIT,
    ) -> None:
        self.inner = inner
        self.table_limit = table_limit
        self.compact_limit = compact_limit

    def fit(
        self, mentee_cells: Cells, mentor_cells: Cells, *, rows: TableRows | None = None
    ) -> Self:
        """Fit the inner similarity on distinct values; build the table when it fits
        (its rows computed by ``rows`` when given, here otherwise)."""
        self._codes_a, distinct_a = factorize(mentee_cells)
        self._codes_b, distinct_b = factorize(mentor_cells)
        self.inner.fit(distinct_a, distinct_b)
        n_a, n_b = len(distinct_a), len(distinct_b)
        self.n_mentees_, self.n_mentors_ = self._codes_a.size, self._codes_b.size
        self._table: NDArray[np.floating[Any]] | None = None
        self._expanded: dict[Any, NDArray[np.floating[Any]]] = {}
        if n_a * n_b <= self.table_limit:
            self._table = self._build_table((n_a, n_b), np.float64, rows)
        elif n_a * n_b <= self.compact_limit:
            self._table = self._build_table((n_a, n_b), np.float32, rows)
        return self

    def _build_table(
        self, shape: tuple[int, int], dtype: type[np.floating[Any]], rows: TableRows | None
    ) -> NDArray[np.floating[Any]]:
        """Every distinct mentee value x every distinct mentor value, computed in float64
        by ranges of :data:`TABLE_ROWS` rows and stored in ``dtype`` (float32: the values
        a float64 table would give once cast)."""
        table = np.empty(shape, dtype=dtype)
        n_a = shape[0]
        ranges = [(start, min(start + TABLE_ROWS, n_a)) for start in range(0, n_a, TABLE_ROWS)]
        computed = None if rows is None else rows(self.inner, ranges, shape[1])
        if computed is not None:
            for (start, stop), part in zip(ranges, computed, strict=True):
                table[start:stop] = part
            return table

        def fill(bounds: tuple[int, int]) -> None:
            table[bounds[0] : bounds[1]] = table_rows(self.inner, *bounds)

        # Row ranges on threads: the products (scipy sparse, BLAS) release the GIL, and
        # each range writes its own rows (same values as in one thread).
        with one_blas_thread():
            if len(ranges) > 1:
                with ThreadPoolExecutor(min(len(ranges), TABLE_THREADS)) as pool:
                    list(pool.map(fill, ranges))
            else:
                for bounds in ranges:
                    fill(bounds)
        return table

    def _exact(self) -> FloatArray | None:
        """The table when it holds exact (float64) values."""
        table = self._table
        if table is None or table.dtype != np.float64:
            return None
        return np.asarray(table, dtype=np.float64)

    def _gathers(self, dtype: type[np.floating[Any]]) -> bool:
        """Whether blocks in ``dtype`` gather from the table (a float32 table serves
        float32 blocks only)."""
        table = self._table
        return table is not None and np.dtype(dtype).itemsize <= table.dtype.itemsize

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the expanded tables (a cluster's workers receive fitted
        scorers): each process makes them again on first use, from the distinct table."""
        return {**vars(self), "_expanded": {}}

    def _expanded_table(self, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]] | None:
        """Distinct mentee values x every mentor in ``dtype``, made on first use when it
        fits: a block is then one row gather (contiguous copies), the cheapest there is."""
        key = np.dtype(dtype)
        if key not in self._expanded:
            table = self._table
            if not self._gathers(dtype) or table is None:
                return None
            if table.shape[0] * self.n_mentors_ > self.table_limit:
                return None
            # Cast the small distinct table first, then gather: the same values without
            # a float64 temporary of the expanded size.
            small = np.asarray(table, dtype=key)
            self._expanded[key] = np.ascontiguousarray(np.take(small, self._codes_b, axis=1))
        return self._expanded[key]

    @property
    def distinct(self) -> tuple[int, int]:
        """Number of distinct mentee and mentor values."""
        return int(self._codes_a.max(initial=-1)) + 1, int(self._codes_b.max(initial=-1)) + 1

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Gather the block from the table, or from the block's distinct values."""
        codes = self._codes_a[rows]
        expanded = self._expanded_table(dtype)
        if expanded is not None:
            return np.asarray(expanded[codes], dtype=dtype)
        if self._table is not None and self._gathers(dtype):
            # Rows first, cast (when the table is float64) on the small part, then the
            # columns: no copy when the table is already in ``dtype``.
            part = np.asarray(self._table[codes], dtype=dtype)
        else:
            distinct, inverse = unique_inverse(codes)
            part = self.inner.block(distinct.astype(np.int64), dtype)[inverse]
        return np.asarray(np.take(part, self._codes_b, axis=1), dtype=dtype)

    def block_columns(
        self, rows: IntArray, columns: IntArray, dtype: type[np.floating[Any]]
    ) -> NDArray[np.floating[Any]]:
        """A gather of just those columns from the table (the values of :meth:`block`)."""
        if self._table is None or not self._gathers(dtype):
            return super().block_columns(rows, columns, dtype)
        part = self._table[np.ix_(self._codes_a[rows], self._codes_b[columns])]
        return np.asarray(part, dtype=dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities, computed once per distinct pair of values."""
        a, b = self._codes_a[mentee_idx], self._codes_b[mentor_idx]
        exact = self._exact()
        if exact is not None:
            return np.asarray(exact[a, b], dtype=np.float64)
        n_b = self.distinct[1]
        keys, inverse = unique_inverse(a * n_b + b)
        values = self.inner.pairs(keys // n_b, keys % n_b)
        return np.asarray(values[inverse], dtype=np.float64)

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """The inner similarity's evidence, once per distinct pair of values."""
        a, b = self._codes_a[mentee_idx], self._codes_b[mentor_idx]
        n_b = max(self.distinct[1], 1)
        keys, inverse = unique_inverse(a * n_b + b)
        distinct_a, distinct_b = keys // n_b, keys % n_b
        exact = self._exact()
        if exact is not None:
            values = np.asarray(exact[distinct_a, distinct_b], dtype=np.float64)
            made = self.inner.evidence_given(distinct_a, distinct_b, values)
        else:
            made = self.inner.evidence(distinct_a, distinct_b)
        return [made[k] for k in inverse.tolist()]
