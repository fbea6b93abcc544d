"""Each criterion kind against values computed by hand on two or three people."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from matching.features import (
    AvailabilityEncoder,
    CategoryEncoder,
    NeedsEncoder,
    TagSetEncoder,
    TextEncoder,
    fit_similarity,
)
from matching.model import (
    AvailabilityCriterion,
    CategoryCriterion,
    DistanceCriterion,
    NeedsCriterion,
    NumericCriterion,
    OverlapCriterion,
    SimilarityEntry,
    TextCriterion,
)


def _matrix(criterion: Any, mentees: dict[str, list[Any]], mentors: dict[str, list[Any]]) -> Any:
    """Dense exact similarity matrix, checked against the float64 and float32 blocks."""
    left, right = pd.DataFrame(mentees), pd.DataFrame(mentors)
    similarity = fit_similarity(criterion, left, right)
    n, m = len(left), len(right)
    i, j = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    exact = similarity.pairs(i, j).reshape(n, m)
    rows = np.arange(n, dtype=np.int64)
    np.testing.assert_allclose(similarity.block(rows, np.float64), exact, atol=1e-12)
    np.testing.assert_allclose(similarity.block(rows, np.float32), exact, atol=1e-6)
    assert ((exact >= 0) & (exact <= 1)).all()
    return exact


def test_needs_levels_and_related_tags() -> None:
    criterion = NeedsCriterion(
        name="needs", mentee_field="needs", mentor_field="expertise",
        related=(SimilarityEntry(a="SEO", b="website", similarity=0.5),),
    )  # fmt: skip
    exact = _matrix(
        criterion,
        {"needs": ["seo:1|website:2", "export", None]},
        {"expertise": ["seo:4", "Website:2| export:1", "export"]},
    )
    # seo: level 4 for need 1 -> full credit; website through seo: 0.5 x credit(4, 2) = 0.5
    assert exact[0, 0] == pytest.approx((1.0 + 0.5) / 2)
    # seo through website: 0.5 x credit(2, 1) = 0.5 x 2/3; website 2 for 2: 1/3
    assert exact[0, 1] == pytest.approx((1 / 3 + 1 / 3) / 2)
    assert exact[1, 0] == 0.0  # no export, nothing related
    assert exact[1, 1] == pytest.approx(1 / 3)  # same level: a third of the credit
    assert exact[1, 2] == pytest.approx(1.0)  # default mentor level 4 for need level 1
    assert (exact[2] == 0).all()  # no needs: nothing to cover


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("share", [[0.5, 1.0], [1.0, 0.0], [0.0, 0.0]]),
        ("jaccard", [[1 / 3, 2 / 3], [0.5, 0.0], [0.0, 0.0]]),
        ("any", [[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]),
    ],
)
def test_overlap_modes(mode: str, expected: list[list[float]]) -> None:
    criterion = OverlapCriterion(
        name="language", mentee_field="languages", mentor_field="languages", mode=mode
    )
    exact = _matrix(
        criterion,
        {"languages": ["fr|ar", ["EN"], None]},
        {"languages": [" Fr | en", "ar|fr|wo"]},
    )
    np.testing.assert_allclose(exact, expected)


def test_category_table() -> None:
    criterion = CategoryCriterion(
        name="region", mentee_field="region", mentor_field="region",
        table=(SimilarityEntry(a="casablanca", b="rabat", similarity=0.5),),
    )  # fmt: skip
    exact = _matrix(
        criterion,
        {"region": ["Casablanca", "dakar", None]},
        {"region": ["casablanca ", "Rabat"]},
    )
    np.testing.assert_allclose(exact, [[1.0, 0.5], [0.0, 0.0], [0.0, 0.0]])


def test_numeric_closeness_and_at_least() -> None:
    mentees = {"years": [3, "2,5", None]}
    mentors = {"years": ["13", 5.0]}
    closeness = NumericCriterion(
        name="years", mentee_field="years", mentor_field="years", scale=10.0
    )
    np.testing.assert_allclose(
        _matrix(closeness, mentees, mentors), [[0.0, 0.8], [0.0, 0.75], [0.0, 0.0]]
    )
    at_least = NumericCriterion(
        name="years", mentee_field="years", mentor_field="years", mode="at_least",
        gap=5.0, scale=10.0,
    )  # fmt: skip
    np.testing.assert_allclose(
        _matrix(at_least, mentees, mentors), [[1.0, 0.7], [1.0, 0.75], [0.0, 0.0]]
    )


def test_availability_across_time_zones() -> None:
    criterion = AvailabilityCriterion(
        name="availability", mentee_field="slots", mentor_field="slots",
        mentee_offset_field="utc_offset", mentor_offset_field="utc_offset", target_hours=2.0,
    )  # fmt: skip
    mentees = {
        # Dakar (UTC+0), Newfoundland-like -3.5 with a half hour, and late Sunday at UTC-1
        "slots": ["mon 18-20", "wed 7:30-9", "sun 23-24"],
        "utc_offset": [0, "-3,5", -1],
    }
    mentors = {
        # Paris (UTC+1): 19-21 local is 18-20 UTC; 18-20 local is 17-19 UTC
        "slots": ["mon 19-21", "mon 18-20", "wed 11-12|mon 0-1"],
        "utc_offset": [1, 1, 0],
    }
    exact = _matrix(criterion, mentees, mentors)
    assert exact[0, 0] == pytest.approx(1.0)  # 2 h in common
    assert exact[0, 1] == pytest.approx(0.5)  # 1 h in common
    assert exact[1, 2] == pytest.approx(0.5)  # wed 11:00-12:30 UTC vs 11-12 UTC
    assert exact[2, 2] == pytest.approx(0.5)  # sun 23-24 at UTC-1 is mon 0-1 UTC
    assert exact[1, 0] == 0.0
    left, right = pd.DataFrame(mentees), pd.DataFrame(mentors)
    phrases = fit_similarity(criterion, left, right).phrases(np.array([0]), np.array([0]))
    assert phrases == ["2 hours a week in common"]


def test_distance_between_known_cities() -> None:
    criterion = DistanceCriterion(
        name="near", mentee_field="location", mentor_field="location", radius_km=500.0
    )
    paris, london, casablanca = "48.8566|2.3522", "51.5074|-0.1278", "33.5731|-7.5898"
    left = pd.DataFrame({"location": [paris, None]})
    right = pd.DataFrame({"location": [paris, london, casablanca]})
    similarity = fit_similarity(criterion, left, right)
    km = 500.0 * (1.0 - similarity.pairs(np.zeros(3, dtype=np.int64), np.arange(3)))
    assert km[0] == pytest.approx(0.0, abs=1e-6)
    assert 340.0 < km[1] < 347.0  # Paris-London is about 344 km
    assert similarity.pairs(np.array([0]), np.array([2]))[0] == 0.0  # ~1,900 km: beyond
    assert similarity.pairs(np.array([1]), np.array([0]))[0] == 0.0  # missing coordinates
    assert similarity.phrases(np.array([0]), np.array([1]))[0] == f"{km[1]:.0f} km apart"


def test_text_identical_similar_unrelated() -> None:
    criterion = TextCriterion(name="goals", mentee_field="goals", mentor_field="bio")
    exact = _matrix(
        criterion,
        {"goals": ["Je veux vendre mes produits en ligne"]},
        {
            "bio": [
                "Je veux vendre mes produits en ligne",
                "J'aide les femmes à vendre leurs produits en ligne",
                "zzz qqq",
                None,
            ]
        },
    )
    assert exact[0, 0] == pytest.approx(1.0)
    assert 0.0 < exact[0, 1] < 1.0
    assert exact[0, 2] == 0.0
    assert exact[0, 3] == 0.0


def test_encoders_follow_the_scikit_learn_contract() -> None:
    cells = ["seo:2|website", "export:5", None]
    for encoder in (
        NeedsEncoder(role="needs"),
        NeedsEncoder(role="expertise", default_level=4),
        TagSetEncoder(),
        CategoryEncoder(),
        TextEncoder(),
        AvailabilityEncoder(),
    ):
        data = ["mon 9-10", None, "tue 8-9"] if isinstance(encoder, AvailabilityEncoder) else cells
        if isinstance(encoder, CategoryEncoder):
            data = ["a", "b", None]
        copy = clone(encoder)
        assert copy.get_params() == encoder.get_params()
        assert copy.fit(data) is copy
        matrix = copy.transform(data)
        assert matrix.shape == (3, len(copy.get_feature_names_out()))


def test_needs_encoder_profiles() -> None:
    encoder = NeedsEncoder(role="needs").fit(["seo:2|website", "seo:5"])
    names = list(encoder.get_feature_names_out())
    profile = np.asarray(encoder.transform(["seo:2|website"]).toarray())[0]
    assert profile[names.index("seo@2")] == pytest.approx(0.5)
    assert profile[names.index("website@1")] == pytest.approx(0.5)
    assert profile.sum() == pytest.approx(1.0)
