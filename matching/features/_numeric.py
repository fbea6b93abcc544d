"""Numbers (years of experience, UTC offset): the ``numeric`` criterion.

Each side is one column of numbers (text may use a decimal comma; missing is NaN). The
similarity of a block is an element-wise function of ``mentor - mentee``: cheap, so it is
computed by broadcasting rather than a product.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin

from matching.features._base import Cells, FloatArray, IntArray, Similarity, title_of
from matching.features._parse import parse_column, parse_number
from matching.messages import Evidence
from matching.model import NumericCriterion


class NumberEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Parse number cells into one float64 column (NaN when missing).

    Stateless: ``fit`` only records the number of features, as scikit-learn expects.
    """

    def fit(self, X: Cells, y: object = None) -> Self:
        """Nothing to learn; checks that every cell parses."""
        parse_column(X, parse_number)
        self.n_features_out_ = 1
        return self

    def transform(self, X: Cells) -> NDArray[np.float64]:
        """(n_rows, 1) float64."""
        return np.asarray(parse_column(X, parse_number), dtype=np.float64).reshape(-1, 1)

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """A single column ``value``."""
        return np.asarray(["value"], dtype=object)


def numeric_similarity(
    difference: NDArray[np.floating[Any]], criterion: NumericCriterion
) -> NDArray[np.floating[Any]]:
    """Similarity from ``mentor - mentee`` (NaN when either is missing -> 0)."""
    if criterion.mode == "closeness":
        raw = 1.0 - np.abs(difference - criterion.gap) / criterion.scale
    else:
        raw = 1.0 - (criterion.gap - difference) / criterion.scale
    return np.asarray(np.nan_to_num(np.clip(raw, 0.0, 1.0), nan=0.0), dtype=difference.dtype)


class NumericSimilarity(Similarity):
    """``closeness`` or ``at_least`` of two numbers (see :class:`NumericCriterion`)."""

    def __init__(self, criterion: NumericCriterion) -> None:
        self.criterion = criterion

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Parse both columns."""
        encoder = NumberEncoder().fit([*mentee_cells, *mentor_cells])
        self._x = encoder.transform(mentee_cells).ravel()
        self._y = encoder.transform(mentor_cells).ravel()
        self.n_mentees_, self.n_mentors_ = self._x.size, self._y.size
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Broadcast ``mentor - mentee`` over the block."""
        difference = self._y[None, :].astype(dtype) - self._x[rows, None].astype(dtype)
        return numeric_similarity(difference, self.criterion).astype(dtype, copy=False)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities of given pairs."""
        difference = self._y[mentor_idx] - self._x[mentee_idx]
        return np.asarray(numeric_similarity(difference, self.criterion), dtype=np.float64)

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``years of experience: mentor 12, mentee 3``."""
        title = title_of(self.criterion)
        similarity = self.pairs(mentee_idx, mentor_idx)
        x, y = self._x[mentee_idx], self._y[mentor_idx]
        return [
            Evidence("numeric", title, {"mentor": b, "mentee": a}) if s > 0 else None
            for a, b, s in zip(x.tolist(), y.tolist(), similarity.tolist(), strict=True)
        ]
