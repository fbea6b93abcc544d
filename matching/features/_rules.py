"""Field-based hard rules: ``requires`` (a mentor attribute the mentee asks for) and
``exclude_same`` (conflict of interest), evaluated blockwise as products of tag sets.

Values are compared case-insensitively, trimmed; a cell may hold several values
(``coop_a|coop_b``). A *missing column* is accepted on purpose: no ``mentor_gender``
column means nobody requires anything, no ``organisation`` column means no conflict is
known. A mentee asking for a value the mentor column lacks (or that is absent from the
mentor table) has no allowed mentor under this rule, which the unmatched reason names.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from matching.features._base import (
    CastCache,
    Cells,
    IntArray,
    Matrix,
    as_matrix,
    block_product,
    row_counts,
    rowwise_dot,
    unique_inverse,
)
from matching.features._dedup import TABLE_LIMIT
from matching.features._parse import factorize
from matching.features._tags import TagSetEncoder
from matching.model import ExcludeSameRule, RequiresRule

BoolArray = NDArray[np.bool_]


class RuleMask:
    """Which (mentee, mentor) pairs a field-based rule allows."""

    def __init__(self, rule: RequiresRule | ExcludeSameRule) -> None:
        self.rule = rule

    @property
    def name(self) -> str:
        """The rule's name, or ``<kind>:<mentee_field>`` when it has none."""
        return self.rule.name or f"{self.rule.kind}:{self.rule.mentee_field}"

    def fit(
        self, mentee_cells: Cells | None, mentor_cells: Cells | None, n_mentees: int, n_mentors: int
    ) -> Self:
        """Encode both sides; ``None`` for a column that does not exist."""
        mentees = mentee_cells if mentee_cells is not None else [None] * n_mentees
        mentors = mentor_cells if mentor_cells is not None else [None] * n_mentors
        # Work on distinct values (a few hundred organisations, not 30,000 people).
        self._codes_a, distinct_a = factorize(mentees)
        self._codes_b, distinct_b = factorize(mentors)
        encoder = TagSetEncoder().fit(distinct_a + distinct_b)
        self._a: Matrix = as_matrix(encoder.transform(distinct_a))
        self._b: Matrix = as_matrix(encoder.transform(distinct_b))
        self._b_cache = CastCache(self._b)
        self._asks = row_counts(self._a) > 0
        self._table: BoolArray | None = None
        self._expanded: BoolArray | None = None
        if len(distinct_a) * len(distinct_b) <= TABLE_LIMIT:
            self._table = self._distinct_block(np.arange(len(distinct_a), dtype=np.int64))
            if len(distinct_a) * n_mentors <= TABLE_LIMIT:
                # Distinct mentee values x every mentor: a block is then one row gather
                # (a third of a block's scoring time went into the column gather).
                self._expanded = np.ascontiguousarray(np.take(self._table, self._codes_b, axis=1))
        self.n_mentees_, self.n_mentors_ = n_mentees, n_mentors
        return self

    def _distinct_block(self, codes: IntArray) -> BoolArray:
        """Allowed flags of distinct mentee values x distinct mentor values."""
        shared = block_product(self._a, codes, self._b_cache, np.float32) > 0.5
        if self.rule.kind == "requires":
            return np.asarray(shared | ~self._asks[codes, None], dtype=bool)
        return np.asarray(~shared, dtype=bool)

    def block(self, rows: IntArray) -> BoolArray:
        """Allowed pairs of the block (counts of shared values are exact in float32)."""
        codes = self._codes_a[rows]
        if self._expanded is not None:
            return np.asarray(self._expanded[codes], dtype=bool)
        if self._table is not None:
            part = self._table[codes]
        else:
            distinct, inverse = unique_inverse(codes)
            part = self._distinct_block(distinct.astype(np.int64))[inverse]
        return np.asarray(np.take(part, self._codes_b, axis=1), dtype=bool)

    def block_columns(self, rows: IntArray, columns: IntArray) -> BoolArray:
        """:meth:`block` restricted to mentors ``columns``."""
        if self._table is None:
            return np.ascontiguousarray(self.block(rows)[:, columns])
        part = self._table[np.ix_(self._codes_a[rows], self._codes_b[columns])]
        return np.asarray(part, dtype=bool)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> BoolArray:
        """Allowed flag of each given pair."""
        a, b = self._codes_a[mentee_idx], self._codes_b[mentor_idx]
        if self._table is not None:
            return np.asarray(self._table[a, b], dtype=bool)
        shared = rowwise_dot(self._a, self._b, a, b) > 0.5
        if self.rule.kind == "requires":
            return np.asarray(shared | ~self._asks[a], dtype=bool)
        return np.asarray(~shared, dtype=bool)


def fit_rule(rule: RequiresRule | ExcludeSameRule, mentees: Any, mentors: Any) -> RuleMask:
    """A fitted :class:`RuleMask` from the two participant frames (columns may be absent)."""
    mentee_cells = mentees[rule.mentee_field] if rule.mentee_field in mentees.columns else None
    mentor_cells = mentors[rule.mentor_field] if rule.mentor_field in mentors.columns else None
    return RuleMask(rule).fit(mentee_cells, mentor_cells, len(mentees), len(mentors))
