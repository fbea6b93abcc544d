"""TF-IDF of character n-grams, today's encoder of the ``text`` criterion within one language.

TF-IDF over character n-grams within word boundaries (scikit-learn's ``TfidfVectorizer``
with ``analyzer="char_wb"``), fitted on both sides' texts so the vocabulary and the
document frequencies are shared; rows are L2-normalised, so a pair's similarity is the
dot product of its rows (cosine). Character n-grams need no tokeniser or stemmer per
language and survive spelling variants. The encoder is pluggable: any transformer with
L2-normalised rows can replace :class:`TextEncoder` through :class:`TextSimilarity`.

Fitting counts n-grams per distinct *word*, not per text: the text x n-gram counts are
the product of the text x word counts and the word x n-gram counts, laid out exactly as
scikit-learn lays them out (same columns, same order inside each row), and scikit-learn's
``TfidfTransformer`` weighs them, so the encoding equals ``TfidfVectorizer``'s bit for bit.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from matching.features._base import Cells
from matching.features._folding import fold
from matching.features._parse import is_missing


def _texts(cells: Cells) -> list[str]:
    """Cells as text; missing cells become empty (a zero row)."""
    values = cells.tolist() if hasattr(cells, "tolist") else list(cells)
    return [
        "" if is_missing(v) else (" ".join(map(str, v)) if isinstance(v, list) else str(v))
        for v in values
    ]


def _csr(columns: NDArray[Any], lengths: list[int], width: int) -> sp.csr_matrix:
    """Rows of ones at ``columns`` (``lengths`` entries each); repeats add up in products."""
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    data = np.ones(columns.size, dtype=np.float64)
    return sp.csr_matrix((data, columns, indptr), shape=(len(lengths), width))


def _sort_terms(counts: sp.csr_matrix, terms: list[str]) -> tuple[sp.csr_matrix, list[str]]:
    """Renumber columns in term order (``CountVectorizer._sort_features``): only the column
    numbers change, each row keeps its entries' order."""
    order = sorted(range(len(terms)), key=terms.__getitem__)
    new_index = np.empty(len(terms), dtype=counts.indices.dtype)
    new_index[order] = np.arange(len(terms), dtype=counts.indices.dtype)
    counts.indices = new_index.take(counts.indices)
    return counts, [terms[k] for k in order]


def _limit_terms(
    counts: sp.csr_matrix, terms: list[str], limit: int | None
) -> tuple[sp.csr_matrix, list[str]]:
    """Keep the ``limit`` most frequent terms (``CountVectorizer._limit_features`` with
    ``max_df=1.0`` and ``min_df=1``, which keep every term, and the same selection among
    equal frequencies: the same ``argsort`` of the same totals)."""
    if limit is None or len(terms) <= limit:
        return counts, terms
    totals = np.asarray(counts.sum(axis=0)).ravel()
    keep = np.zeros(len(terms), dtype=bool)
    keep[(-totals).argsort()[:limit]] = True
    kept = np.flatnonzero(keep)
    return sp.csr_matrix(counts[:, kept]), [terms[k] for k in kept.tolist()]


class WordBoundedGrams:
    """scikit-learn's ``char_wb`` analyser (lower-cased), remembering each word's n-grams.

    Texts repeat words far more than they repeat themselves: the n-grams of a word are
    made once, then every text is the concatenation of its words' n-grams — the same
    list, in the same order, as ``TfidfVectorizer(analyzer="char_wb")`` produces.
    """

    def __init__(self, ngram_min: int, ngram_max: int, folded: bool = False) -> None:
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.folded = folded
        self._words: dict[str, list[str]] = {}

    def word_grams(self, word: str) -> list[str]:
        """A word's n-grams, padded with one space each side (short words count once);
        with ``folded``, the n-grams of the word without accents or Arabic letter variants
        (:func:`matching.features._folding.fold`)."""
        padded = f" {fold(word) if self.folded else word} "
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
                cached = words[word] = self.word_grams(word)
            grams.extend(cached)
        return grams

    def __getstate__(self) -> dict[str, int]:
        state = {"ngram_min": self.ngram_min, "ngram_max": self.ngram_max}
        return state | ({"folded": 1} if self.folded else {})

    def __setstate__(self, state: dict[str, int]) -> None:
        folded = bool(state.get("folded", 0))
        self.__init__(state["ngram_min"], state["ngram_max"], folded)  # type: ignore[misc]


class TextEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """TF-IDF of character n-grams, rows L2-normalised (cosine = dot product).

    Parameters
    ----------
    ngram_min, ngram_max
        Range of n-gram lengths.
    max_features
        Keep the most frequent n-grams only (bounds memory on large cohorts).
    folded
        Take the n-grams of each word folded (case, accents, Arabic diacritics and letter
        variants: :func:`matching.features._folding.fold`), once per distinct word.
    """

    def __init__(
        self,
        ngram_min: int = 3,
        ngram_max: int = 5,
        max_features: int | None = None,
        folded: bool = False,
    ):
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.max_features = max_features
        self.folded = folded

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        """A scikit-learn vectoriser with this encoder's parameters (the analyser is
        ``char_wb``'s, lower-cased, with each distinct word's n-grams made once)."""
        return TfidfVectorizer(
            analyzer=WordBoundedGrams(self.ngram_min, self.ngram_max, self.folded),
            max_features=self.max_features,
            vocabulary=vocabulary,
            lowercase=False,
            sublinear_tf=True,
            dtype=np.float64,
        )

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn n-grams and document frequencies from both sides' texts."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Cells, y: object = None, **fit_params: Any) -> sp.csr_matrix:
        """Fit and encode: ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)``'s
        ``fit_transform``, with n-grams counted once per distinct word."""
        texts = _texts(X)
        self.empty_ = not any(t.strip() for t in texts)
        if self.empty_:  # nobody wrote anything: every similarity is 0
            self.vectorizer_ = self._vectorizer()
            return sp.csr_matrix((len(texts), 0))
        counts, vocabulary = self._counts(texts)
        tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        encoded = tfidf.transform(counts, copy=False)
        # A vectoriser holding the learned vocabulary and weights encodes new texts.
        self.vectorizer_ = self._vectorizer(vocabulary)
        self.vectorizer_.idf_ = tfidf.idf_
        return sp.csr_matrix(encoded)

    def _counts(self, texts: list[str]) -> tuple[sp.csr_matrix, dict[str, int]]:
        """n-gram counts and vocabulary as ``CountVectorizer.fit_transform`` leaves them
        (``max_df=1.0``, ``min_df=1``): float64, columns in n-gram order, each row's entries
        in first-seen n-gram order. That order decides the rounding of the row norms and of
        the products later, so it is kept."""
        analyser = WordBoundedGrams(self.ngram_min, self.ngram_max, self.folded)
        words_of = [text.lower().split() for text in texts]
        word_codes, words = pd.factorize(np.asarray(list(chain.from_iterable(words_of)), object))
        by_text = _csr(word_codes, [len(w) for w in words_of], len(words))
        # Words come in first-seen order, so their n-grams do too: numbering n-grams as
        # they appear here numbers them as a pass over the texts would.
        grams_of = [analyser.word_grams(word) for word in words.tolist()]
        gram_codes, grams = pd.factorize(np.asarray(list(chain.from_iterable(grams_of)), object))
        by_word = _csr(gram_codes, [len(g) for g in grams_of], len(grams))
        counts = sp.csr_matrix(by_text @ by_word)
        counts.sort_indices()  # first-seen n-gram order, as scikit-learn's counting leaves it
        # scikit-learn's order of steps: with max_features, sort then limit (ties between
        # equal totals are broken by the sorted column order); else limit, then sort.
        terms = grams.tolist()
        if self.max_features is not None:
            counts, terms = _sort_terms(counts, terms)
        counts, terms = _limit_terms(counts, terms, self.max_features)
        if self.max_features is None:
            counts, terms = _sort_terms(counts, terms)
        return counts, {term: k for k, term in enumerate(terms)}

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
