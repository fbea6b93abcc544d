"""Free text in any language (goals vs bio): the ``text`` criterion's similarity.

The cosine of two texts' encodings: by default :class:`MultilingualTextEncoder`
(glossary concepts, stemmed words and character n-grams across French, Arabic and
English); with ``encoder = "ngrams"`` today's :class:`TextEncoder` (TF-IDF of character
n-grams within word boundaries). Any transformer with L2-normalised rows can replace them.

Block products split the columns by frequency (:class:`_SplitProduct`): n-grams and
words follow Zipf's law, and the few hundred that most texts share ("the", " de") make
up nine tenths of a sparse product's work, which dense BLAS does several times faster.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matching.features._base import (
    CastCache,
    Cells,
    FloatArray,
    IntArray,
    Similarity,
    block_product,
    rowwise_dot,
    title_of,
)
from matching.features._multilingual import MultilingualTextEncoder
from matching.features._ngrams import TextEncoder, WordBoundedGrams, _texts
from matching.messages import Evidence
from matching.model import TextCriterion

__all__ = ["DENSE_SHARE", "TextEncoder", "TextSimilarity", "WordBoundedGrams", "default_encoder"]

DENSE_SHARE = 1 / 128
"""An n-gram joins the dense part of block products when the share of (mentee text,
mentor text) pairs that both contain it reaches this (a broad optimum:
``benchmarks/README.md``, "Measurements behind the constants")."""


class _SplitProduct:
    """``left[rows] @ right.T`` for CSR ``left`` and ``right``, frequent columns in BLAS.

    A column's cost in a sparse product is (left rows with it) x (right rows with it);
    the columns where that reaches ``share`` of every pair are multiplied as dense
    arrays, the rest sparse, and the two parts added: the same sums in another order
    (results agree to about 1e-15).
    """

    def __init__(self, left: sp.csr_matrix, right: sp.csr_matrix, share: float) -> None:
        width = left.shape[1]
        left_df = np.bincount(left.indices, minlength=width).astype(np.float64)
        right_df = np.bincount(right.indices, minlength=width).astype(np.float64)
        frequent = left_df * right_df >= share * left.shape[0] * right.shape[0]
        dense, rare = np.flatnonzero(frequent), np.flatnonzero(~frequent)
        self.width = int(dense.size)
        self._left_dense = sp.csr_matrix(left[:, dense])
        self._right_dense = CastCache(np.asarray(right[:, dense].toarray(), dtype=np.float64))
        self._left_rare = sp.csr_matrix(left[:, rare])
        self._right_rare = CastCache(sp.csr_matrix(right[:, rare]))

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """The product's rows ``rows`` in ``dtype``."""
        product = block_product(self._left_rare, rows, self._right_rare, dtype)
        left = np.asarray(self._left_dense[rows].toarray(), dtype=dtype)
        product += left @ self._right_dense.get(dtype).T
        return product


def default_encoder(criterion: TextCriterion) -> Any:
    """The encoder a text criterion asks for, unfitted."""
    if criterion.encoder == "ngrams":
        return TextEncoder(criterion.ngram_min, criterion.ngram_max, criterion.max_features)
    glossary: dict[str, list[str]] = {}
    for entry in criterion.glossary:
        glossary.setdefault(entry.concept, []).extend(entry.terms)
    return MultilingualTextEncoder(
        glossary=glossary,
        ngram_min=criterion.ngram_min,
        ngram_max=criterion.ngram_max,
        max_features=criterion.max_features,
    )


class TextSimilarity(Similarity):
    """Cosine similarity of two texts' encodings (see :class:`TextCriterion`).

    Parameters
    ----------
    criterion
        The text criterion.
    encoder
        Optional replacement encoder (a transformer whose rows are L2-normalised); by
        default a :class:`TextEncoder` with the criterion's n-gram settings.
    """

    def __init__(self, criterion: TextCriterion, encoder: Any = None) -> None:
        self.criterion = criterion
        self.encoder = encoder

    def fit(self, mentee_cells: Cells, mentor_cells: Cells) -> Self:
        """Fit the encoder on both sides and encode each."""
        encoder = self.encoder or default_encoder(self.criterion)
        mentees, mentors = _texts(mentee_cells), _texts(mentor_cells)
        # One pass of the (slow, pure Python) n-gram analyser over both sides.
        both = encoder.fit_transform(mentees + mentors)
        self.encoder_ = encoder
        a, b = both[: len(mentees)], both[len(mentees) :]
        self._a = sp.csr_matrix(a) if sp.issparse(a) else np.asarray(a, dtype=np.float64)
        self._b = sp.csr_matrix(b) if sp.issparse(b) else np.asarray(b, dtype=np.float64)
        self._b_cache = CastCache(self._b)
        self._split: _SplitProduct | None = None
        if sp.issparse(self._a) and sp.issparse(self._b):
            split = _SplitProduct(self._a, self._b, DENSE_SHARE)
            self._split = split if split.width else None
        self.n_mentees_, self.n_mentors_ = len(mentees), len(mentors)
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Cosines of the block (clipped to [0, 1] against rounding)."""
        if self._split is not None:
            cosine = self._split.block(rows, dtype)
        else:
            cosine = block_product(self._a, rows, self._b_cache, dtype)
        return np.asarray(np.clip(cosine, 0.0, 1.0), dtype=dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact cosines of given pairs."""
        return np.clip(rowwise_dot(self._a, self._b, mentee_idx, mentor_idx), 0.0, 1.0)

    def evidence(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[Evidence | None]:
        """``similar goals`` / ``somewhat similar goals`` by cosine."""
        return self.evidence_given(mentee_idx, mentor_idx, self.pairs(mentee_idx, mentor_idx))

    def evidence_given(
        self, mentee_idx: IntArray, mentor_idx: IntArray, similarity: FloatArray
    ) -> list[Evidence | None]:
        """Evidence from known cosines."""
        title = title_of(self.criterion)
        made = [None, *(Evidence("text", title, {"level": level}) for level in (1, 2))]
        level = np.where(similarity >= 0.3, 2, np.where(similarity >= 0.1, 1, 0))
        return [made[k] for k in level.tolist()]
