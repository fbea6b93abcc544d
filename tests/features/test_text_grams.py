"""The cached word n-gram analyser equals scikit-learn's ``char_wb``, and so do the
encodings built on it: same columns, same entries in the same order, same bits."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.features import _text
from matching.features._text import TextEncoder, TextSimilarity, WordBoundedGrams
from matching.model import TextCriterion

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


AWKWARD = [
    "Vendre, vendre... VENDRE!! (en ligne)",
    "banana bananas ananas: ana-ana",  # n-grams repeated inside one word and across words
    "a b c a b c",  # words shorter than the n-grams
    "   ",
    "",
    "l'été à Fès — 10% de réduction; ça marche?",
    "İstanbul ΣΊΣΥΦΟΣ straße STRASSE",  # lower() changes lengths and letters
    "emoji 🙂🙂 et\ttabs\nnew  lines",
    "Vendre, vendre... VENDRE!! (en ligne)",  # a repeated text
    "zz",
]


def _assert_same_csr(got: Any, want: Any) -> None:
    """Same shape, same row pointers, same columns in the same order, same bits."""
    got, want = sp.csr_matrix(got), sp.csr_matrix(want)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    assert got.data.dtype == want.data.dtype == np.float64
    assert got.data.tobytes() == want.data.tobytes()


def _reference(low: int, high: int, max_features: int | None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(low, high),
        lowercase=True,
        sublinear_tf=True,
        max_features=max_features,
    )


# 3 and 40 cut through runs of n-grams with equal totals: the choice among ties must be
# scikit-learn's own.
@pytest.mark.parametrize("max_features", [None, 2**16, 40, 3, 1])
@pytest.mark.parametrize(("low", "high"), [(3, 5), (1, 2), (2, 4), (5, 5)])
def test_fast_fit_equals_tfidf_vectorizer(max_features: int | None, low: int, high: int) -> None:
    reference = _reference(low, high, max_features)
    want = reference.fit_transform(AWKWARD)
    encoder = TextEncoder(low, high, max_features)
    got = encoder.fit_transform(AWKWARD)
    _assert_same_csr(got, want)
    assert list(encoder.get_feature_names_out()) == list(reference.get_feature_names_out())
    np.testing.assert_array_equal(encoder.vectorizer_.idf_, reference.idf_)
    _assert_same_csr(encoder.transform(AWKWARD[::-1]), reference.transform(AWKWARD[::-1]))
    fitted = TextEncoder(low, high, max_features).fit(AWKWARD)
    _assert_same_csr(fitted.transform(AWKWARD), reference.transform(AWKWARD))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet="abcab  Éé.-'\tXY", max_size=30), min_size=1, max_size=12),
    st.integers(1, 3),
    st.integers(0, 2),
    st.one_of(st.none(), st.integers(1, 30)),
)
def test_fast_fit_equals_tfidf_vectorizer_on_any_corpus(
    texts: list[str], low: int, extra: int, max_features: int | None
) -> None:
    encoder = TextEncoder(low, low + extra, max_features)
    got = encoder.fit_transform(texts)
    if not any(t.strip() for t in texts):
        assert got.shape == (len(texts), 0)
        return
    _assert_same_csr(got, _reference(low, low + extra, max_features).fit_transform(texts))


def test_nobody_wrote_anything() -> None:
    encoder = TextEncoder()
    assert encoder.fit_transform(["", "  ", None]).shape == (3, 0)
    assert encoder.transform(["anything"]).shape == (1, 0)
    assert list(encoder.get_feature_names_out()) == []


@pytest.mark.parametrize("share", [0.0, 0.05, float("inf")])
def test_text_blocks_equal_the_cosine_product(
    share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks multiply the frequent n-grams dense and the rest sparse: every split (all
    # dense, mixed, all sparse) gives the cosines of the whole encodings.
    monkeypatch.setattr(_text, "DENSE_SHARE", share)
    criterion = TextCriterion(name="goals", mentee_field="goals", mentor_field="bio")
    similarity = TextSimilarity(criterion).fit(AWKWARD, [*AWKWARD[::-1], "vendre en ligne"])
    dense = similarity._split.width if similarity._split is not None else 0
    width = similarity._a.shape[1]
    assert dense == width if share == 0.0 else dense == 0 if share > 1 else 0 < dense < width
    rows = np.array([0, 2, 5, 8], dtype=np.int64)
    want = np.clip((similarity._a[rows] @ similarity._b.T).toarray(), 0.0, 1.0)
    for dtype, tolerance in ((np.float64, 1e-12), (np.float32, 1e-6)):
        got = similarity.block(rows, dtype)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, atol=tolerance, rtol=0)
        np.testing.assert_allclose(got[1], similarity.block(rows[1:2], dtype)[0], atol=tolerance)
