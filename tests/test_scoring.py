"""PairScorer: blocks agree with exact pairs, rules are hard, evidence is in words."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.messages import render_many
from matching.model import Programme, participants_frame
from matching.scoring import PairScorer, count_rows
from matching.synthetic import generate_cohort

PROGRAMME = Programme.from_dict(
    {
        "criteria": [
            {"name": "needs", "kind": "needs", "mentee_field": "needs",
             "mentor_field": "expertise", "weight": 0.6},
            {"name": "language", "kind": "overlap", "mentee_field": "languages",
             "mentor_field": "languages", "weight": 0.4, "required": True, "mode": "any"},
        ],
        "rules": [
            {"kind": "requires", "name": "woman_mentor", "mentee_field": "mentor_gender",
             "mentor_field": "gender"},
            {"kind": "exclude_same", "mentee_field": "organisation",
             "mentor_field": "organisation"},
        ],
    }
)  # fmt: skip


def _small_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    mentees = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "needs": ["seo:1|social_media", "bookkeeping:2", "export"],
            "languages": ["French|Darija", "fr", "rw"],
            "mentor_gender": ["woman", None, None],
            "organisation": ["coop1", None, None],
        }
    )
    mentors = pd.DataFrame(
        {
            "id": ["m1", "m2", "m3"],
            "expertise": ["seo:4|social_media:5", "bookkeeping:4", "export:5"],
            "languages": ["french|darija", "fr|en", "en"],
            "gender": ["woman", "man", "Woman"],
            "organisation": [None, None, "COOP1"],
        }
    )
    return participants_frame(mentees, "mentee"), participants_frame(mentors, "mentor")


def _small() -> PairScorer:
    return PairScorer(PROGRAMME).fit(*_small_frames())


@cache
def _cohort_scorer(min_score: float = 0.0) -> PairScorer:
    cohort = generate_cohort(150, 25, seed=3)
    programme = cohort.programme.model_copy(update={"min_score": min_score})
    return PairScorer(programme).fit(cohort.mentees, cohort.mentors)


def _all_pairs(scorer: PairScorer) -> tuple[np.ndarray, np.ndarray]:
    n, m = scorer.n_mentees_, scorer.n_mentors_
    return np.repeat(np.arange(n), m), np.tile(np.arange(m), n)


def test_names_and_hand_computed_scores() -> None:
    scorer = _small()
    assert scorer.criterion_names_ == ("needs", "language")
    assert scorer.exclusion_names_ == (
        "language", "woman_mentor", "exclude_same:organisation", "min_score",
    )  # fmt: skip
    contributions = scorer.pair_contributions(np.array([0, 1, 0]), np.array([0, 1, 2]))
    # a-m1: both needs fully covered (level 4-5 for need 1), language shared
    np.testing.assert_allclose(contributions[0], [0.6, 0.4])
    # b-m2: bookkeeping level 4 for need 2 -> credit (4 - 2 + 1) / 3 = 1
    np.testing.assert_allclose(contributions[1], [0.6, 0.4])
    # a-m3: no shared need, no shared language
    np.testing.assert_allclose(contributions[2], [0.0, 0.0])


def test_rules_and_exclusion_counts() -> None:
    scorer = _small()
    block = scorer.score_block(np.arange(3))
    # a needs a woman mentor, shares coop1 with m3 (case-insensitive), speaks fr/darija
    assert block.allowed[0].tolist() == [True, False, False]
    assert block.allowed[1].tolist() == [False, True, False]  # "fr" is not "french"
    assert block.allowed[2].tolist() == [False, False, False]  # nobody speaks Kinyarwanda
    assert block.exclusion_counts[0].tolist() == [2, 1, 1, 0]
    assert block.exclusion_counts[2].tolist() == [3, 0, 0, 0]
    i, j = _all_pairs(scorer)
    assert scorer.pair_allowed(i, j).reshape(3, 3).tolist() == block.allowed.tolist()


def test_blocks_agree_with_exact_contributions() -> None:
    scorer = _cohort_scorer()
    i, j = _all_pairs(scorer)
    contributions = scorer.pair_contributions(i, j)
    exact = contributions.sum(axis=1).reshape(scorer.n_mentees_, scorer.n_mentors_)
    blocks = [scorer.score_block(np.arange(s, min(s + 64, 150))) for s in range(0, 150, 64)]
    score = np.vstack([b.score for b in blocks])
    assert score.dtype == np.float32
    np.testing.assert_allclose(score, exact, atol=1e-5)
    exact_scores, allowed = scorer.exact_pairs(i, j)
    np.testing.assert_allclose(exact_scores, contributions.sum(axis=1), atol=1e-12)
    block_allowed = np.vstack([b.allowed for b in blocks]).ravel()
    assert (block_allowed == allowed).all()
    assert (contributions >= 0).all()
    assert (contributions <= scorer.weights_ + 1e-12).all()


def test_min_score_is_a_separate_exclusion() -> None:
    scorer = _cohort_scorer(0.5)
    block = scorer.score_block(np.arange(150))
    below = block.rule_allowed & ~block.allowed
    assert (block.score[below] < 0.5).all()
    assert (block.score[block.allowed] >= 0.5 - 1e-6).all()
    assert block.exclusion_counts[:, -1].tolist() == below.sum(axis=1).tolist()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 149), min_size=1, max_size=40))
def test_any_block_matches_the_exact_scores(rows: list[int]) -> None:
    scorer = _cohort_scorer()
    mentee = np.asarray(rows, dtype=np.int64)
    block = scorer.score_block(mentee)
    m = scorer.n_mentors_
    exact, allowed = scorer.exact_pairs(np.repeat(mentee, m), np.tile(np.arange(m), mentee.size))
    np.testing.assert_allclose(block.score.ravel(), exact, atol=1e-5)
    assert (block.allowed.ravel() == allowed).all()


def test_evidence_in_words() -> None:
    scorer = _small()
    phrases = scorer.evidence(0, 0)
    assert phrases[0].startswith("covers seo (mentor level 4 for need level 1)")
    assert "social_media (mentor level 5" in phrases[0]  # as written, underscore kept
    assert phrases[1] == "both speak Darija and French"  # as first written in the data
    # A pair that gets nothing from a criterion says so, as plainly as what matched.
    lacking = scorer.evidence(0, 2)
    assert lacking == ["covers none of her needs", "no language in common"]
    many = scorer.evidence_many(np.array([0, 0]), np.array([0, 2]))
    assert many == ["; ".join(phrases), "; ".join(lacking)]


def test_evidence_names_the_needs_a_pair_leaves_uncovered() -> None:
    mentees = pd.DataFrame(
        {"id": ["a"], "needs": ["export:2|bookkeeping:1|seo"], "languages": ["fr"]}
    )
    mentors = pd.DataFrame({"id": ["m"], "expertise": ["export:5"], "languages": ["fr"]})
    scorer = PairScorer(PROGRAMME).fit(
        participants_frame(mentees, "mentee"), participants_frame(mentors, "mentor")
    )
    # What she needs and the mentor does not offer is said beside what is covered.
    assert scorer.evidence(0, 0)[0] == (
        "covers export (mentor level 5 for need level 2); does not cover bookkeeping and seo"
    )
    french = render_many(scorer.evidence_data(np.array([0]), np.array([0])), "fr")[0]
    assert "ne couvre pas bookkeeping et seo" in french
    arabic = render_many(scorer.evidence_data(np.array([0]), np.array([0])), "ar")[0]
    assert "لا يغطي bookkeeping" in arabic


def test_evidence_in_french_and_arabic_with_configured_labels() -> None:
    data = PROGRAMME.model_dump()
    for criterion in data["criteria"]:
        if criterion["kind"] == "needs":
            criterion["labels"] = {"SEO": {"fr": "référencement", "ar": "تحسين محركات البحث"}}
            criterion["labels"]["social_media"] = {"fr": "réseaux sociaux", "ar": "التواصل"}
        if criterion["kind"] == "overlap":
            criterion["labels"] = {"french": {"fr": "français", "ar": "الفرنسية"}}
            criterion["labels"]["darija"] = {"fr": "darija", "ar": "الدارجة"}
    scorer = PairScorer(Programme.from_dict(data)).fit(*_small_frames())
    i, j = np.array([0]), np.array([0])
    french = scorer.evidence_many(i, j, "fr")[0]
    assert french.startswith("couvre référencement (mentor niveau 4, besoin niveau 1) et réseaux")
    assert "langues communes : darija et français" in french
    arabic = scorer.evidence_many(i, j, "ar")[0]
    assert "لغتان مشتركتان: الدارجة والفرنسية" in arabic
    assert not any("a" <= ch.lower() <= "z" for ch in arabic)


def test_two_criteria_of_one_kind_are_named() -> None:
    data = PROGRAMME.model_dump()
    language = next(c for c in data["criteria"] if c["kind"] == "overlap")
    data["criteria"] = [
        *data["criteria"],
        {**language, "name": "mentoring_language", "title": "mentoring"},
    ]
    scorer = PairScorer(Programme.from_dict(data)).fit(*_small_frames())
    phrases = scorer.evidence(0, 0)
    assert "language: both speak Darija and French" in phrases
    assert "mentoring: both speak Darija and French" in phrases


def test_weights_change_the_score_linearly() -> None:
    cohort = generate_cohort(40, 8, seed=5)
    base = PairScorer(cohort.programme).fit(cohort.mentees, cohort.mentors)
    doubled_names = {c.name: c.weight * 2 for c in cohort.programme.criteria}
    doubled = PairScorer(cohort.programme.with_weights(doubled_names)).fit(
        cohort.mentees, cohort.mentors
    )
    i, j = _all_pairs(base)
    assert doubled.pair_contributions(i, j) == pytest.approx(2 * base.pair_contributions(i, j))


@pytest.mark.parametrize("width", [0, 1, 7, 3000, 2**16 + 3])
def test_count_rows_counts_like_count_nonzero(width: int) -> None:
    rng = np.random.default_rng(width)
    mask = rng.random((5, width)) < rng.random((5, 1))
    mask[0] = True
    np.testing.assert_array_equal(count_rows(mask), np.count_nonzero(mask, axis=1))
    assert count_rows(mask).dtype == np.int64
    assert count_rows(mask[:, ::2]).tolist() == np.count_nonzero(mask[:, ::2], axis=1).tolist()


def test_block_without_rules_or_required_criteria_allows_everyone() -> None:
    unweighted_first = Programme.from_dict(
        {
            "criteria": [
                {"name": "needs", "kind": "needs", "mentee_field": "needs",
                 "mentor_field": "expertise", "weight": 0.0},
                {"name": "language", "kind": "overlap", "mentee_field": "languages",
                 "mentor_field": "languages", "weight": 0.7, "mode": "any"},
            ],
        }
    )  # fmt: skip
    scorer = PairScorer(unweighted_first).fit(*_small_frames())
    block = scorer.score_block(np.arange(3))
    assert block.rule_allowed.all()
    assert block.allowed.all()
    assert block.exclusion_counts.tolist() == [[0], [0], [0]]
    i, j = _all_pairs(scorer)
    np.testing.assert_allclose(block.score.ravel(), scorer.exact_pairs(i, j)[0], atol=1e-6)
    assert block.score[0, 0] == np.float32(0.7)  # French/Darija shared, needs weigh nothing
