"""The default text encoder across French, Arabic and English (issue #20's examples)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from matching import match
from matching.errors import ConfigError
from matching.features import (
    Glossary,
    MultilingualTextEncoder,
    TextEncoder,
    default_glossary,
)
from matching.features._folding import KeyMaker, fold
from matching.model import Programme


def _cosines(encoder: object, need: str, bios: list[str]) -> np.ndarray:
    encoded = encoder.fit_transform([need, *bios])  # type: ignore[attr-defined]
    return np.asarray((encoded[:1] @ encoded[1:].T).todense()).ravel()


def test_website_need_ranks_the_web_designer_above_the_accountant() -> None:
    bios = ["comptabilité et création d'entreprise", "web design, sites internet"]
    today = _cosines(TextEncoder(), "création de site web", bios)
    assert today[0] > today[1]  # the complaint, kept as a witness
    cosine = _cosines(MultilingualTextEncoder(), "création de site web", bios)
    assert cosine[1] > cosine[0]


@pytest.mark.parametrize(
    ("need", "expected"),
    [
        ("أريد إنشاء موقع إلكتروني لورشة الخياطة", 1),
        ("أحتاج إلى قرض صغير لشراء آلة خياطة", 3),
        ("كيف أزيد عدد المتابعين على إنستغرام؟", 0),
        ("I need help building a website", 1),
        ("bghit nbi3 online les produits dyal la coopérative", 4),
    ],
)
def test_a_need_in_another_language_ranks_the_right_mentor_first(need: str, expected: int) -> None:
    bios = [
        "Community manager, je gère les comptes Instagram et TikTok de marques locales",
        "Web designer building simple WordPress websites for small businesses",
        "Expert-comptable : bilans, TVA et trésorerie des petites entreprises",
        "Chargée de financement en microfinance, je prépare les dossiers de prêt",
        "E-commerce consultant: I set up online stores for craft brands",
        "Export manager experienced in customs and logistics",
    ]
    cosine = _cosines(MultilingualTextEncoder(), need, bios)
    assert int(np.argmax(cosine)) == expected
    assert cosine[expected] > 0.2


def test_folding_unifies_case_accents_and_arabic_letter_variants() -> None:
    assert fold("Création ÉTÉ") == "creation ete"
    assert fold("إِنْشَاء") == fold("انشاء")  # harakat and hamza seat
    assert fold("مدرسة") == fold("مدرسه")  # taa marbuta
    assert fold("مـوقـع") == "موقع"  # tatweel
    keys = KeyMaker()
    assert keys.keys("Sites") == keys.keys("site")
    assert keys.keys("المواقع") == keys.keys("مواقع")


def test_stop_words_and_punctuation_give_no_keys() -> None:
    keys = default_glossary().keys
    assert keys.keys("de la, et ; the and في من") == []
    assert keys.keys("d'entreprise") == keys.keys("entreprise")


def test_glossary_phrases_match_across_inflection_and_stop_words() -> None:
    glossary = default_glossary()
    assert glossary.find(glossary.keys.keys("la création d'un site web")) == ["website"]
    assert glossary.find(glossary.keys.keys("تصميم المواقع")) == ["website"]
    assert "online_shop" in glossary.find(glossary.keys.keys("Online Stores"))


def test_programme_glossary_entries_join_the_shipped_ones() -> None:
    need, bio = "je voudrais me lancer dans l'apiculture", "beekeeper and honey producer"
    plain = _cosines(MultilingualTextEncoder(), need, [bio])
    added = MultilingualTextEncoder(glossary={"beekeeping": ["apiculture", "beekeeper"]})
    assert _cosines(added, need, [bio])[0] > plain[0] + 0.3


def test_related_concepts_must_exist() -> None:
    with pytest.raises(ValueError, match="related concepts"):
        Glossary({"a": ["x"]}, related=[("a", "b")])


def test_estimator_contract_rows_and_names() -> None:
    texts = ["site web", "", "متجر إلكتروني", "accounting help"]
    encoder = MultilingualTextEncoder()
    assert clone(encoder).get_params() == encoder.get_params()
    encoded = encoder.fit_transform(texts)
    norms = np.sqrt(np.asarray(encoded.multiply(encoded).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, [1, 0, 1, 1])
    names = encoder.get_feature_names_out()
    assert len(names) == encoded.shape[1]
    assert "concept:website" in set(names)
    again = pickle.loads(pickle.dumps(encoder)).transform(texts)
    np.testing.assert_allclose(again.toarray(), encoded.toarray())


def test_no_text_at_all_scores_zero() -> None:
    encoded = MultilingualTextEncoder().fit_transform(["", None, "  "])
    assert encoded.shape[0] == 3
    assert encoded.nnz == 0


def test_bad_block_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="block weights"):
        MultilingualTextEncoder(concept_weight=0, word_weight=0, ngram_weight=0).fit(["a"])


def test_programme_configures_encoder_and_glossary() -> None:
    base = {
        "criteria": [
            {
                "name": "goals",
                "kind": "text",
                "mentee_field": "goals",
                "mentor_field": "bio",
                "glossary": [{"concept": "beekeeping", "terms": ["apiculture", "beekeeper"]}],
            }
        ]
    }
    programme = Programme.from_dict(base)
    mentees = pd.DataFrame({"id": ["m1"], "goals": ["apiculture en montagne"]})
    mentors = pd.DataFrame(
        {"id": ["a", "b"], "bio": ["beekeeper in the Atlas", "accountant"], "capacity": [1, 1]}
    )
    result = match(mentees, mentors, programme)
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("m1", "a")]
    bad = {"criteria": [{**base["criteria"][0], "glossary": [{"concept": "x", "terms": ["-"]}]}]}
    with pytest.raises(ConfigError, match="glossary"):
        Programme.from_dict(bad)
