"""Evidence computed for many pairs at once equals the pair-by-pair reading of the
criterion: covered needs, related expertise (the first best related tag), the needs left
without either, common tags."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from matching.features import NeedsSimilarity, OverlapSimilarity, fit_similarity
from matching.features._base import ValueLabels, title_of
from matching.messages import Evidence
from matching.model import (
    NeedsCriterion,
    OverlapCriterion,
    SimilarityEntry,
    participants_frame,
)
from matching.synthetic import generate_cohort


def _needs_reference(similarity: NeedsSimilarity, i: int, j: int) -> Evidence | None:
    """One pair's needs evidence, read need by need."""
    gap = similarity.criterion.full_credit_gap

    def credit(level: int, need: int) -> float:
        return min(1.0, max(0.0, (level - need + 1) / (gap + 1))) if level else 0.0

    shown = ValueLabels(similarity.criterion)
    tags = [shown(t) for t in similarity.needs_encoder_.tags_]
    sim = similarity.needs_encoder_.tag_similarity_
    needs = similarity._need_levels[i]
    have = similarity._mentor_levels[j]
    covered, related, missing = [], [], []
    for t in np.flatnonzero(needs).tolist():
        n, level = int(needs[t]), int(have[t])
        if credit(level, n) > 0:
            covered.append({"need": tags[t], "mentor_level": level, "need_level": n})
            continue
        best, via = 0.0, -1
        for k in np.flatnonzero(sim[t]).tolist():
            if k != t and float(sim[t, k]) * credit(int(have[k]), n) > best:
                best, via = float(sim[t, k]) * credit(int(have[k]), n), k
        if via >= 0:
            related.append({"need": tags[t], "via": tags[via]})
        else:
            missing.append({"need": tags[t]})
    if not covered and not related:
        return None
    values: dict[str, Any] = {"covered": covered, "related": related}
    if missing:
        values["missing"] = missing
    return Evidence("needs", title_of(similarity.criterion), values)


def _all_pairs(n: int, m: int) -> tuple[Any, Any]:
    return np.repeat(np.arange(n), m).astype(np.int64), np.tile(np.arange(m), n).astype(np.int64)


@pytest.mark.parametrize("gap", [0, 2, 4])
def test_needs_phrases_equal_the_pair_by_pair_reading(gap: int) -> None:
    related = (
        SimilarityEntry(a="seo", b="website", similarity=0.5),
        SimilarityEntry(a="seo", b="marketing", similarity=0.5),  # a tie with website
        SimilarityEntry(a="export", b="website", similarity=0.25),
        SimilarityEntry(a="marketing", b="ads", similarity=0.5),
    )
    criterion = NeedsCriterion(
        name="needs",
        mentee_field="needs",
        mentor_field="expertise",
        full_credit_gap=gap,
        related=related,
        default_mentor_level=3,
    )
    needs = ["seo:3|export:2", "seo:5", "marketing|ads:4", "export:1|seo:1|web", None, "ads:5"]
    expertise = [
        "website:5|marketing:5",
        "marketing:2|website:4",
        "seo:2",
        "ads|export:5",
        None,
        "website:1|marketing:1",
        "seo:5|ads:5|export:5|marketing:5|website:5",
    ]
    similarity = NeedsSimilarity(criterion).fit(needs, expertise)
    i, j = _all_pairs(len(needs), len(expertise))
    evidence = similarity.evidence(i, j)
    assert evidence == [_needs_reference(similarity, a, b) for a, b in zip(i, j, strict=True)]
    got = similarity.phrases(i, j)
    assert any(p and "through" in p for p in got)
    assert any(p and "covers" in p for p in got)
    assert similarity.phrases(i[:0], j[:0]) == []


def test_needs_and_overlap_phrases_on_a_synthetic_cohort() -> None:
    cohort = generate_cohort(400, 60, seed=3)
    programme = cohort.programme
    mentees = participants_frame(cohort.mentees, "mentee")
    mentors = participants_frame(cohort.mentors, "mentor")
    rng = np.random.default_rng(0)
    i = rng.integers(0, len(mentees), 5000).astype(np.int64)
    j = rng.integers(0, len(mentors), 5000).astype(np.int64)
    for criterion in programme.criteria:
        if isinstance(criterion, NeedsCriterion):
            reference = _needs_reference
        elif isinstance(criterion, OverlapCriterion):
            reference = _overlap_reference  # type: ignore[assignment]
        else:
            continue
        fitted = fit_similarity(criterion, mentees, mentors)
        inner = fitted.inner  # type: ignore[attr-defined]
        a, b = fitted._codes_a[i], fitted._codes_b[j]  # type: ignore[attr-defined]
        want = [reference(inner, x, y) for x, y in zip(a, b, strict=True)]
        assert fitted.evidence(i, j) == want


def _overlap_reference(similarity: OverlapSimilarity, i: int, j: int) -> Evidence | None:
    """One pair's common-tags evidence, from the tags of both people."""
    shown = ValueLabels(similarity.criterion)
    common = [shown(t) for t in similarity.common_tags(i, j)]
    if not common:
        return None
    languages = "lang" in (similarity.criterion.name + similarity.criterion.mentee_field).lower()
    kind = "languages" if languages else "common"
    return Evidence(kind, title_of(similarity.criterion), {"common": common})


@pytest.mark.parametrize("name", ["language", "sector"])
def test_overlap_phrases_equal_the_pair_by_pair_reading(name: str) -> None:
    criterion = OverlapCriterion(name=name, mentee_field="tags", mentor_field="tags", mode="any")
    mentees = ["fr|ar", ["EN", "fr"], None, "Darija|fr|en|ar", "x", ""]
    mentors = ["FR|en", "ar|darija", None, "en|fr|ar|darija", "y"]
    similarity = OverlapSimilarity(criterion).fit(mentees, mentors)
    i, j = _all_pairs(len(mentees), len(mentors))
    got = similarity.evidence(i, j)
    assert got == [_overlap_reference(similarity, a, b) for a, b in zip(i, j, strict=True)]
    assert similarity.evidence(i[:0], j[:0]) == []
