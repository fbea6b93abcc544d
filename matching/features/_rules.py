"""Field-based hard rules: ``requires`` (a mentor attribute the mentee asks for) and
``exclude_same`` (conflict of interest), evaluated blockwise as products of tag sets;
``allowed_values`` (a rule on one side alone), a flag per participant.

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
from matching.features._parse import factorize, parse_tags
from matching.features._tags import TagSetEncoder
from matching.model import AllowedValuesRule, ExcludeSameRule, RequiresRule, Rule

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


class SideRuleMask:
    """Which pairs a one-side rule (``allowed_values``) allows: those whose participant on
    the rule's side holds at least one allowed value. An empty cell holds none."""

    def __init__(self, rule: AllowedValuesRule) -> None:
        self.rule = rule

    @property
    def name(self) -> str:
        """The rule's name, or ``allowed_values:<side>.<field>`` when it has none."""
        return self.rule.name or f"{self.rule.kind}:{self.rule.side}.{self.rule.field}"

    def fit(self, cells: Cells | None, n_mentees: int, n_mentors: int) -> Self:
        """Flag the rule's side; ``None`` for a column that does not exist, which allows
        nobody (the run is refused earlier unless the rule is optional)."""
        size = n_mentees if self.rule.side == "mentee" else n_mentors
        if cells is None:
            self.allowed_ = np.full(size, self.rule.optional, dtype=bool)
        else:
            wanted = {value for item in self.rule.values for value in parse_tags(item)}
            codes, distinct = factorize(cells)
            flags = np.array([bool(wanted & set(parse_tags(v))) for v in distinct], dtype=bool)
            self.allowed_ = flags[codes] if len(distinct) else np.zeros(size, dtype=bool)
        self.n_mentees_, self.n_mentors_ = n_mentees, n_mentors
        return self

    def block(self, rows: IntArray) -> BoolArray:
        """Allowed pairs of the block."""
        return self.block_columns(rows, np.arange(self.n_mentors_, dtype=np.int64))

    def block_columns(self, rows: IntArray, columns: IntArray) -> BoolArray:
        """:meth:`block` restricted to mentors ``columns``."""
        if self.rule.side == "mentee":
            return np.repeat(self.allowed_[rows][:, None], len(columns), axis=1)
        return np.repeat(self.allowed_[columns][None, :], len(rows), axis=0)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> BoolArray:
        """Allowed flag of each given pair."""
        index = mentee_idx if self.rule.side == "mentee" else mentor_idx
        return np.asarray(self.allowed_[index], dtype=bool)


def fit_rule(rule: Rule, mentees: Any, mentors: Any) -> RuleMask | SideRuleMask:
    """A fitted rule mask from the two participant frames (columns may be absent)."""
    if isinstance(rule, AllowedValuesRule):
        frame = mentees if rule.side == "mentee" else mentors
        cells = frame[rule.field] if rule.field in frame.columns else None
        return SideRuleMask(rule).fit(cells, len(mentees), len(mentors))
    mentee_cells = mentees[rule.mentee_field] if rule.mentee_field in mentees.columns else None
    mentor_cells = mentors[rule.mentor_field] if rule.mentor_field in mentors.columns else None
    return RuleMask(rule).fit(mentee_cells, mentor_cells, len(mentees), len(mentors))
