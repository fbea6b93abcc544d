"""One value each (business stage, region): the ``category`` criterion.

Mentees are one-hot encoded (scikit-learn's ``OneHotEncoder``) over the values of both
sides; mentors are encoded as their row of the similarity table (1 on their own value),
so similarity is a product of the two.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import OneHotEncoder

from matching.features._base import (
    CastCache,
    Cells,
    FloatArray,
    IntArray,
    Matrix,
    Similarity,
    ValueLabels,
    as_matrix,
    block_product,
    rowwise_dot,
    title_of,
)
from matching.features._parse import normalise, parse_column, parse_single
from matching.messages import Evidence
from matching.model import CategoryCriterion, SimilarityEntry

_MISSING = "\x00missing"


class CategoryEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """One-hot (``table=()``) or similarity-table rows over the values of both sides.

    Parameters
    ----------
    table
        Partial similarity between values (symmetric); equal values have similarity 1.
    as_table_rows
        False: one-hot rows. True: each row is the similarity of its value to every value.

    Attributes
    ----------
    categories_ : list of str
        Normalised values of both sides and of the table, sorted.
    similarity_ : ndarray (n_values, n_values)
    """

    def __init__(self, table: tuple[SimilarityEntry, ...] = (), as_table_rows: bool = False):
        self.table = table
        self.as_table_rows = as_table_rows

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn the values of every cell in ``X`` (both sides' cells, concatenated)."""
        values = {v for v in parse_column(X, parse_single) if v is not None}
        values |= {normalise(e.a) for e in self.table} | {normalise(e.b) for e in self.table}
        self.categories_ = sorted(values)
        self._onehot_ = OneHotEncoder(
            categories=[[_MISSING, *self.categories_]], handle_unknown="ignore"
        ).fit(np.asarray([_MISSING], dtype=object).reshape(-1, 1))
        index = {v: k for k, v in enumerate(self.categories_)}
        similarity = np.eye(len(self.categories_))
        for entry in self.table:
            a, b = index[normalise(entry.a)], index[normalise(entry.b)]
            if a != b:
                similarity[a, b] = similarity[b, a] = max(similarity[a, b], entry.similarity)
        self.similarity_ = similarity
        return self

    def transform(self, X: Cells) -> Matrix:
        """One-hot rows (missing or unknown values give a zero row) or table rows."""
        values = [v if v is not None else _MISSING for v in parse_column(X, parse_single)]
        onehot = self._onehot_.transform(np.asarray(values, dtype=object).reshape(-1, 1))
        # The first column stands for "missing": dropped, so a missing value is a zero row.
        matrix = as_matrix(onehot[:, 1:])
        if self.as_table_rows:
            return np.asarray(matrix @ self.similarity_, dtype=np.float64)
        return matrix

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """``value=<value>`` for each column."""
        return np.asarray([f"value={v}" for v in self.categories_], dtype=object)


class CategorySimilarity(Similarity):
    """1 for the same value, the table's similarity otherwise, 0 when either is missing."""

    def __init__(self, criterion: CategoryCriterion) -> None:
        self.criterion = criterion

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Encode mentees one-hot and mentors as table rows, over shared values."""
        # Series all the way: parsing then goes once per distinct value (pandas' factorize).
        mentees, mentors = _series(mentee_cells), _series(mentor_cells)
        both = pd.concat([mentees, mentors], ignore_index=True)
        table = self.criterion.table
        self.encoder_ = CategoryEncoder(table).fit(both)
        rows_encoder = CategoryEncoder(table, as_table_rows=True).fit(both)
        self._a = self.encoder_.transform(mentees)
        self._b = rows_encoder.transform(mentors)
        self._b_cache = CastCache(self._b)
        self._mentee_value = parse_column(mentees, parse_single)
        self._mentor_value = parse_column(mentors, parse_single)
        self._written = _first_written(both)
        self._labels = ValueLabels(self.criterion)
        self.n_mentees_, self.n_mentors_ = len(mentees), len(mentors)
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """One-hot block times the mentors' table rows."""
        return block_product(self._a, rows, self._b_cache, dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities of given pairs."""
        return rowwise_dot(self._a, self._b, mentee_idx, mentor_idx)

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``same region (Casablanca-Settat)`` or ``related region (a / b)``, values as
        labelled or first written."""
        title = title_of(self.criterion)
        similarity = self.pairs(mentee_idx, mentor_idx)
        out: list[Evidence | None] = []
        for i, j, s in zip(mentee_idx.tolist(), mentor_idx.tolist(), similarity, strict=True):
            a, b = self._mentee_value[i], self._mentor_value[j]
            if s <= 0 or a is None or b is None:
                out.append(None)
            elif a == b:
                out.append(Evidence("same", title, {"value": self._shown(a)}))
            else:
                values = {"mentee": self._shown(a), "mentor": self._shown(b)}
                out.append(Evidence("related", title, values))
        return out

    def _shown(self, value: str) -> Any:
        """A normalised value as explanations show it."""
        return self._labels(self._written.get(value, value))


def _first_written(cells: pd.Series) -> dict[str, str]:
    """Each normalised value as first written in the data (trimmed)."""
    written: dict[str, str] = {}
    for value in cells.tolist():
        if isinstance(value, str) and value.strip():
            written.setdefault(normalise(value), value.strip())
    return written


def _series(cells: Cells) -> pd.Series:
    """The cells as a Series (a list becomes an object Series, values untouched)."""
    return (
        cells.reset_index(drop=True)
        if isinstance(cells, pd.Series)
        else pd.Series(list(cells), dtype=object)
    )
