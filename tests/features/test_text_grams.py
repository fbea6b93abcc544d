"""The cached word n-gram analyser equals scikit-learn's ``char_wb``, and so do the
encodings built on it."""

from __future__ import annotations

import pickle

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.features._text import TextEncoder, WordBoundedGrams

TEXTS = [
    "Mon objectif cette année : animer mes réseaux sociaux",
    "I'd like to grow my e-commerce  shop\tand EXPORT",
    "",
    "ab",
    "  É à ç  ",
    "Aprender a vender en línea; vender más",
]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab cdÉé\t\nXY.-'", max_size=40), st.integers(1, 3), st.integers(0, 3))
def test_grams_equal_char_wb(text: str, low: int, extra: int) -> None:
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(low, low + extra))
    assert WordBoundedGrams(low, low + extra)(text) == reference.build_analyzer()(text)


def test_encoding_equals_char_wb_tfidf() -> None:
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), lowercase=True, sublinear_tf=True
    )
    want = reference.fit_transform(TEXTS)
    encoder = TextEncoder(3, 5)
    got = encoder.fit_transform(TEXTS)
    assert list(encoder.get_feature_names_out()) == list(reference.get_feature_names_out())
    np.testing.assert_array_equal(got.toarray(), want.toarray())
    # (scikit-learn's own transform differs from its fit_transform in the last bit)
    want = reference.transform(TEXTS).toarray()
    np.testing.assert_array_equal(encoder.transform(TEXTS).toarray(), want)
    again = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_array_equal(again.transform(TEXTS).toarray(), want)
