"""Free text in any language (goals vs bio): the ``text`` criterion.

TF-IDF over character n-grams within word boundaries (scikit-learn's ``TfidfVectorizer``
with ``analyzer="char_wb"``), fitted on both sides' texts so the vocabulary and the
document frequencies are shared; rows are L2-normalised, so a pair's similarity is the
dot product of its rows (cosine). Character n-grams need no tokeniser or stemmer per
language and survive spelling variants. The encoder is pluggable: any transformer with
L2-normalised rows can replace :class:`TextEncoder` through :class:`TextSimilarity`.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.features._base import (
    CastCache,
    Cells,
    FloatArray,
    IntArray,
    Similarity,
    block_product,
    rowwise_dot,
)
from matching.features._parse import is_missing
from matching.model import TextCriterion


def _texts(cells: Cells) -> list[str]:
    """Cells as text; missing cells become empty (a zero row)."""
    values = cells.tolist() if hasattr(cells, "tolist") else list(cells)
    return [
        "" if is_missing(v) else (" ".join(map(str, v)) if isinstance(v, list) else str(v))
        for v in values
    ]


class WordBoundedGrams:
    """scikit-learn's ``char_wb`` analyser (lower-cased), remembering each word's n-grams.

    Texts repeat words far more than they repeat themselves: the n-grams of a word are
    made once, then every text is the concatenation of its words' n-grams — the same
    list, in the same order, as ``TfidfVectorizer(analyzer="char_wb")`` produces.
    """

    def __init__(self, ngram_min: int, ngram_max: int) -> None:
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self._words: dict[str, list[str]] = {}

    def _word(self, word: str) -> list[str]:
        """A word's n-grams, padded with one space each side (short words count once)."""
        padded = f" {word} "
        size = len(padded)
        grams = []
        for n in range(self.ngram_min, self.ngram_max + 1):
            if n >= size:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
        return grams

    def __call__(self, text: str) -> list[str]:
        words = self._words
        grams: list[str] = []
        for word in text.lower().split():
            cached = words.get(word)
            if cached is None:
                cached = words[word] = self._word(word)
            grams.extend(cached)
        return grams

    def __getstate__(self) -> dict[str, int]:
        return {"ngram_min": self.ngram_min, "ngram_max": self.ngram_max}

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(state["ngram_min"], state["ngram_max"])  # type: ignore[misc]


class TextEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """TF-IDF of character n-grams, rows L2-normalised (cosine = dot product).

    Parameters
    ----------
    ngram_min, ngram_max
        Range of n-gram lengths.
    max_features
        Keep the most frequent n-grams only (bounds memory on large cohorts).
    """

    def __init__(self, ngram_min: int = 3, ngram_max: int = 5, max_features: int | None = None):
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.max_features = max_features

    def _vectorizer(self) -> TfidfVectorizer:
        """A fresh scikit-learn vectoriser with this encoder's parameters (the analyser is
        ``char_wb``'s, lower-cased, with each distinct word's n-grams made once)."""
        return TfidfVectorizer(
            analyzer=WordBoundedGrams(self.ngram_min, self.ngram_max),
            max_features=self.max_features,
            lowercase=False,
            sublinear_tf=True,
            dtype=np.float64,
        )

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn n-grams and document frequencies from both sides' texts."""
        texts = _texts(X)
        self.vectorizer_ = self._vectorizer()
        if any(t.strip() for t in texts):
            self.vectorizer_.fit(texts)
            self.empty_ = False
        else:
            self.empty_ = True  # nobody wrote anything: every similarity is 0
        return self

    def fit_transform(self, X: Cells, y: object = None, **fit_params: Any) -> sp.csr_matrix:
        """Fit and encode in one pass of the n-gram analyser."""
        texts = _texts(X)
        self.vectorizer_ = self._vectorizer()
        self.empty_ = not any(t.strip() for t in texts)
        if self.empty_:
            return sp.csr_matrix((len(texts), 0))
        return sp.csr_matrix(self.vectorizer_.fit_transform(texts))

    def transform(self, X: Cells) -> sp.csr_matrix:
        """(n_rows, n_ngrams) CSR float64 with unit (or zero) rows."""
        texts = _texts(X)
        if self.empty_:
            return sp.csr_matrix((len(texts), 0))
        return sp.csr_matrix(self.vectorizer_.transform(texts))

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """The n-grams."""
        if self.empty_:
            return np.asarray([], dtype=object)
        return np.asarray(self.vectorizer_.get_feature_names_out(), dtype=object)


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
        c = self.criterion
        encoder = self.encoder or TextEncoder(c.ngram_min, c.ngram_max, c.max_features)
        mentees, mentors = _texts(mentee_cells), _texts(mentor_cells)
        # One pass of the (slow, pure Python) n-gram analyser over both sides.
        both = encoder.fit_transform(mentees + mentors)
        self.encoder_ = encoder
        a, b = both[: len(mentees)], both[len(mentees) :]
        self._a = sp.csr_matrix(a) if sp.issparse(a) else np.asarray(a, dtype=np.float64)
        self._b = sp.csr_matrix(b) if sp.issparse(b) else np.asarray(b, dtype=np.float64)
        self._b_cache = CastCache(self._b)
        self.n_mentees_, self.n_mentors_ = len(mentees), len(mentors)
        return self

    def block(self, rows: IntArray, dtype: type[np.floating[Any]]) -> NDArray[np.floating[Any]]:
        """Cosines of the block (clipped to [0, 1] against rounding)."""
        cosine = block_product(self._a, rows, self._b_cache, dtype)
        return np.asarray(np.clip(cosine, 0.0, 1.0), dtype=dtype)

    def pairs(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Exact cosines of given pairs."""
        return np.clip(rowwise_dot(self._a, self._b, mentee_idx, mentor_idx), 0.0, 1.0)

    def phrases(self, mentee_idx: IntArray, mentor_idx: IntArray) -> list[str | None]:
        """``similar goals and bio`` / ``somewhat similar ...`` by cosine."""
        return self.phrases_given(mentee_idx, mentor_idx, self.pairs(mentee_idx, mentor_idx))

    def phrases_given(
        self, mentee_idx: IntArray, mentor_idx: IntArray, similarity: FloatArray
    ) -> list[str | None]:
        """Phrases from known cosines."""
        c = self.criterion
        what = (
            c.mentee_field
            if c.mentee_field == c.mentor_field
            else (f"{c.mentee_field} and {c.mentor_field}")
        )
        what = what.replace("_", " ")
        out: list[str | None] = []
        for s in similarity.tolist():
            if s >= 0.3:
                out.append(f"similar {what}")
            elif s >= 0.1:
                out.append(f"somewhat similar {what}")
            else:
                out.append(None)
        return out
