"""Tag sets (languages, sectors, meeting modes): the ``overlap`` criterion.

Cells are ``a|b`` text or lists; tags are compared case-insensitively, trimmed. A
:class:`TagSetEncoder` is a multi-hot encoding over the tags of both sides
(scikit-learn's ``MultiLabelBinarizer``), and overlap similarities are matrix products
of those encodings.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import MultiLabelBinarizer

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
    row_counts,
    rowwise_dot,
    title_of,
)
from matching.features._parse import parse_column, parse_tags, split_items
from matching.messages import Evidence
from matching.model import OverlapCriterion


class TagSetEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Multi-hot encoding of tag-set cells over a vocabulary shared by both sides.

    Parameters
    ----------
    normalize
        ``None``: 0/1 entries. ``"share"``: each row divided by its number of tags, so a
        product with a 0/1 matrix gives the share of a row's tags found in the other.

    Attributes
    ----------
    classes_ : ndarray of str
        The normalised tags, sorted.
    labels_ : dict[str, str]
        Each tag as first written in the data (for explanations).
    """

    def __init__(self, normalize: str | None = None) -> None:
        self.normalize = normalize

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn the tags of every cell in ``X`` (both sides' cells, concatenated)."""
        tags = parse_column(X, parse_tags)
        self._binarizer_ = MultiLabelBinarizer(sparse_output=True).fit(tags)
        self.classes_ = self._binarizer_.classes_
        labels: dict[str, str] = {}
        for cell in dict.fromkeys(map(_hashable, _as_list(X))):
            for item in split_items(cell):
                labels.setdefault(item.casefold(), item)
        self.labels_ = labels
        return self

    def transform(self, X: Cells) -> sp.csr_matrix:
        """Multi-hot rows (CSR, float64); tags unseen in ``fit`` are ignored."""
        known = set(self.classes_.tolist())
        tags = [tuple(t for t in row if t in known) for row in parse_column(X, parse_tags)]
        matrix = sp.csr_matrix(self._binarizer_.transform(tags), dtype=np.float64)
        if self.normalize == "share":
            counts = np.maximum(row_counts(matrix), 1.0)
            matrix = sp.csr_matrix(sp.diags(1.0 / counts) @ matrix)
        return matrix

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """One column per tag: ``tag=<tag>``."""
        return np.asarray([f"tag={t}" for t in self.classes_], dtype=object)


def _as_list(cells: Cells) -> list[Any]:
    """Cells as a plain list."""
    return cells.tolist() if hasattr(cells, "tolist") else list(cells)


def _hashable(cell: Any) -> Any:
    """Lists as tuples so cells can be deduplicated."""
    return tuple(cell) if isinstance(cell, list) else cell


class OverlapSimilarity(Similarity):
    """``any``, ``jaccard`` or ``share`` of two tag sets (see :class:`OverlapCriterion`)."""

    def __init__(self, criterion: OverlapCriterion) -> None:
        self.criterion = criterion

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Encode both sides over their shared tags."""
        both = [*_as_list(mentee_cells), *_as_list(mentor_cells)]
        encoder = TagSetEncoder().fit(both)
        self.encoder_ = encoder
        self._a: Matrix = as_matrix(encoder.transform(mentee_cells))
        self._b: Matrix = as_matrix(encoder.transform(mentor_cells))
        self._na = row_counts(self._a)
        self._nb = row_counts(self._b)
        self._b_cache = CastCache(self._b)
        if self.criterion.mode == "share":
            self._a_share = as_matrix(
                TagSetEncoder(normalize="share").fit(both).transform(mentee_cells)
            )
        self.n_mentees_, self.n_mentors_ = self._a.shape[0], self._b.shape[0]
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Block of similarities; counts are small integers, so float32 is exact."""
        if self.criterion.mode == "share":
            return block_product(self._a_share, rows, self._b_cache, dtype)
        common = block_product(self._a, rows, self._b_cache, dtype)
        if self.criterion.mode == "any":
            return (common > 0.5).astype(dtype)
        union = self._na[rows, None].astype(dtype) + self._nb[None, :].astype(dtype) - common
        jaccard = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
        return np.asarray(jaccard, dtype=dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact similarities of given pairs."""
        if self.criterion.mode == "share":
            return rowwise_dot(self._a_share, self._b, mentee_idx, mentor_idx)
        common = rowwise_dot(self._a, self._b, mentee_idx, mentor_idx)
        if self.criterion.mode == "any":
            return (common > 0.5).astype(np.float64)
        union = self._na[mentee_idx] + self._nb[mentor_idx] - common
        jaccard = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
        return np.asarray(jaccard, dtype=np.float64)

    def common_tags(self, i: int, j: int) -> list[str]:
        """Tags mentee ``i`` and mentor ``j`` share, as first written in the data."""
        if not hasattr(self, "_sets_a"):
            self._sets_a = [_row_set(self._a, r) for r in range(self._a.shape[0])]
            self._sets_b = [_row_set(self._b, r) for r in range(self._b.shape[0])]
        labels = self._tag_labels()
        return [labels[k] for k in sorted(self._sets_a[i] & self._sets_b[j])]

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``both speak French and Darija`` / ``sectors in common: agrifood``: made once per
        distinct set of common tags."""
        if sp.issparse(self._a) or sp.issparse(self._b):
            pairs = zip(mentee_idx.tolist(), mentor_idx.tolist(), strict=True)
            return [self._evidence(self.common_tags(i, j)) for i, j in pairs]
        common = (self._a[mentee_idx] > 0) & (self._b[mentor_idx] > 0)
        sets, inverse = np.unique(np.packbits(common, axis=1), axis=0, return_inverse=True)
        labels = self._tag_labels()
        width = common.shape[1]
        made = [
            self._evidence([labels[k] for k in np.flatnonzero(np.unpackbits(row)[:width]).tolist()])
            for row in sets
        ]
        return [made[k] for k in inverse.ravel().tolist()]

    def _tag_labels(self) -> list[str]:
        """Each tag as first written in the data, by column."""
        if not hasattr(self, "_labels"):
            names = self.encoder_.classes_.tolist()
            self._labels = [self.encoder_.labels_.get(t, t) for t in names]
        return self._labels

    def _evidence(self, common_tags: list[str]) -> Evidence | None:
        """The evidence of a pair's common tags (in tag order), None when there are none."""
        if not common_tags:
            return None
        if not hasattr(self, "_value_labels"):
            self._value_labels = ValueLabels(self.criterion)
        common = [self._value_labels(t) for t in common_tags]
        kind = (
            "languages"
            if "lang" in (self.criterion.name + self.criterion.mentee_field).lower()
            else "common"
        )
        return Evidence(kind, title_of(self.criterion), {"common": common})


def _row_set(matrix: Matrix, row: int) -> set[int]:
    """Column indices of a row's non-zero entries."""
    if sp.issparse(matrix):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        return set(matrix.indices[start:stop].tolist())
    return set(np.flatnonzero(matrix[row]).tolist())
