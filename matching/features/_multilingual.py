"""The default text encoder: concepts and character n-grams across French, Arabic and
English, and optionally stemmed words.

A text is encoded as TF-IDF blocks, each L2-normalised, then weighted and joined:

- **concepts** from the glossary (:mod:`matching.features._glossary`): "création de site
  web", "web design" and "موقع إلكتروني" all carry ``website``, so texts in different
  languages meet here; the glossary's phrases are found through the words' stemmed and
  folded keys (:mod:`matching.features._folding`), so "sites", "Site" and "site" are one
  word, and so are "المواقع" and "مواقع";
- **words** as those keys (off by default: on the evaluation set they add nothing the
  n-grams do not already give);
- **character n-grams** of the folded words (:class:`TextEncoder`), for what the
  glossary does not know: names, misspellings, words of one language.

The joined row is L2-normalised again, so a pair's cosine is the weighted mean of the
blocks' cosines when both texts have every block. A text with no concept spreads its
weight over the blocks it has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from matching.features._base import Cells
from matching.features._glossary import Glossary, default_glossary
from matching.features._ngrams import TextEncoder, _texts

__all__ = ["MultilingualTextEncoder"]

BLOCKS = ("concept", "word", "ngram")


def _as_is(tokens: list[str]) -> list[str]:
    """The analyser of pre-tokenised documents (a module function: it pickles)."""
    return tokens


class _ConceptEncoder:
    """Concept lists -> TF-IDF rows, where a concept also counts for its related ones
    (``glossary.related_weight`` of its count), so a need for a website leans towards a
    search-engine mentor rather than towards an accountant."""

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary

    def fit_transform(self, documents: list[list[str]]) -> sp.csr_matrix:
        self.counter_ = CountVectorizer(analyzer=_as_is, lowercase=False, dtype=np.float64)
        counts = self.counter_.fit_transform(documents)
        index = self.counter_.vocabulary_
        spread = sp.identity(len(index), format="lil", dtype=np.float64)
        for concept, partners in self.glossary.partners().items():
            for partner in partners:
                if concept in index and partner in index:
                    spread[index[concept], index[partner]] = self.glossary.related_weight
        self.spread_ = sp.csr_matrix(spread)
        self.tfidf_ = TfidfTransformer(sublinear_tf=True)
        return sp.csr_matrix(self.tfidf_.fit_transform(counts @ self.spread_))

    def transform(self, documents: list[list[str]]) -> sp.csr_matrix:
        counts = self.counter_.transform(documents)
        return sp.csr_matrix(self.tfidf_.transform(counts @ self.spread_))

    def get_feature_names_out(self) -> NDArray[np.object_]:
        return np.asarray(self.counter_.get_feature_names_out(), dtype=object)


class MultilingualTextEncoder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Glossary concepts, stemmed words and character n-grams, rows L2-normalised.

    Parameters
    ----------
    glossary
        More phrases per concept (new concepts or new words for shipped ones), added to
        the shipped glossary.
    concept_weight, word_weight, ngram_weight
        Share of each block in a row's squared norm (a block's cosine counts that much in
        the pair's cosine). 0 leaves a block out: by default the word block, which the
        evaluation set finds adds nothing the n-grams do not already give, at a cost
        (``make bench-text``); the stemmed words still find the glossary's concepts.
    ngram_min, ngram_max, max_features
        The n-gram block's settings (see :class:`TextEncoder`).
    """

    def __init__(
        self,
        glossary: Mapping[str, Sequence[str]] | None = None,
        concept_weight: float = 0.6,
        word_weight: float = 0.0,
        ngram_weight: float = 0.4,
        ngram_min: int = 3,
        ngram_max: int = 5,
        max_features: int | None = None,
    ) -> None:
        self.glossary = glossary
        self.concept_weight = concept_weight
        self.word_weight = word_weight
        self.ngram_weight = ngram_weight
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.max_features = max_features

    def _weights(self) -> dict[str, float]:
        weights = {
            "concept": float(self.concept_weight),
            "word": float(self.word_weight),
            "ngram": float(self.ngram_weight),
        }
        if any(w < 0 for w in weights.values()) or not any(weights.values()):
            raise ValueError("block weights must be >= 0, and one of them above 0")
        return weights

    def fit(self, X: Cells, y: object = None) -> Self:
        """Learn the vocabularies and document frequencies of every block."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X: Cells, y: object = None, **fit_params: Any) -> sp.csr_matrix:
        """Fit on the texts and encode them."""
        texts = _texts(X)
        weights = self._weights()
        self.glossary_ = default_glossary().extended(dict(self.glossary or {}))
        tokens = self._tokens(texts)
        self.blocks_: dict[str, Any] = {}
        parts = []
        for block in BLOCKS:
            if weights[block] == 0.0:
                continue
            encoder, encoded = self._fit_block(block, tokens[block])
            if encoder is not None:
                self.blocks_[block] = encoder
                parts.append(encoded * np.sqrt(weights[block]))
        return self._join(parts, len(texts))

    def transform(self, X: Cells) -> sp.csr_matrix:
        """(n_rows, n_features) CSR float64 with unit (or zero) rows."""
        texts = _texts(X)
        tokens = self._tokens(texts)
        weights = self._weights()
        parts = [
            sp.csr_matrix(encoder.transform(tokens[block])) * np.sqrt(weights[block])
            for block, encoder in self.blocks_.items()
        ]
        return self._join(parts, len(texts))

    def get_feature_names_out(self, input_features: object = None) -> NDArray[np.object_]:
        """``concept:website``, ``word:sit``, ``ngram: si``..."""
        names: list[str] = []
        for block, encoder in self.blocks_.items():
            names.extend(f"{block}:{name}" for name in encoder.get_feature_names_out())
        return np.asarray(names, dtype=object)

    def concepts(self, text: str) -> list[str]:
        """The distinct glossary concepts a text carries, in text order (after fitting)."""
        keys = self.glossary_.keys.keys(text)
        return list(dict.fromkeys(self.glossary_.find(keys)))

    def _tokens(self, texts: list[str]) -> dict[str, list[Any]]:
        """Each block's input: concept lists, key lists, folded texts."""
        keys = [self.glossary_.keys.keys(text) for text in texts]
        return {
            "concept": [self.glossary_.find(k) for k in keys],
            "word": keys,
            "ngram": texts,  # folded word by word inside the n-gram encoder
        }

    def _fit_block(self, block: str, documents: list[Any]) -> tuple[Any, sp.csr_matrix]:
        """One block's fitted encoder and encoding; no encoder when no text has any."""
        if block == "ngram":
            ngrams = TextEncoder(self.ngram_min, self.ngram_max, self.max_features, folded=True)
            encoded = ngrams.fit_transform(documents)
            return (None if ngrams.empty_ else ngrams), encoded
        if not any(documents):
            return None, sp.csr_matrix((len(documents), 0))
        if block == "concept":
            concepts = _ConceptEncoder(self.glossary_)
            return concepts, concepts.fit_transform(documents)
        vectorizer = TfidfVectorizer(
            analyzer=_as_is, lowercase=False, sublinear_tf=True, dtype=np.float64
        )
        return vectorizer, sp.csr_matrix(vectorizer.fit_transform(documents))

    @staticmethod
    def _join(parts: list[sp.csr_matrix], n_rows: int) -> sp.csr_matrix:
        if not parts:
            return sp.csr_matrix((n_rows, 0))
        joined = sp.csr_matrix(sp.hstack(parts, format="csr"), dtype=np.float64)
        return sp.csr_matrix(normalize(joined, norm="l2", copy=False))
