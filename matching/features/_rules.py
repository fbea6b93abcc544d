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
)
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
        mentees = list(mentee_cells) if mentee_cells is not None else [None] * n_mentees
        mentors = list(mentor_cells) if mentor_cells is not None else [None] * n_mentors
        encoder = TagSetEncoder().fit(mentees + mentors)
        self._a: Matrix = as_matrix(encoder.transform(mentees))
        self._b: Matrix = as_matrix(encoder.transform(mentors))
        self._b_cache = CastCache(self._b)
        self._asks = row_counts(self._a) > 0
        self.n_mentees_, self.n_mentors_ = n_mentees, n_mentors
        return self

    def block(self, rows: IntArray) -> BoolArray:
        """Allowed pairs of the block (counts of shared values are exact in float32)."""
        shared = block_product(self._a, rows, self._b_cache, np.float32) > 0.5
        if self.rule.kind == "requires":
            return shared | ~self._asks[rows, None]
        return ~shared

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> BoolArray:
        """Allowed flag of each given pair."""
        shared = rowwise_dot(self._a, self._b, mentee_idx, mentor_idx) > 0.5
        if self.rule.kind == "requires":
            return shared | ~self._asks[mentee_idx]
        return ~shared


def fit_rule(rule: RequiresRule | ExcludeSameRule, mentees: Any, mentors: Any) -> RuleMask:
    """A fitted :class:`RuleMask` from the two participant frames (columns may be absent)."""
    mentee_cells = mentees[rule.mentee_field] if rule.mentee_field in mentees.columns else None
    mentor_cells = mentors[rule.mentor_field] if rule.mentor_field in mentors.columns else None
    return RuleMask(rule).fit(mentee_cells, mentor_cells, len(mentees), len(mentors))
