"""``matching.match`` end to end: the guarantees users rely on, on small hand-made cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import matching
from matching import InputError, Mentee, Mentor, Objective, Programme, RuleError
from matching.synthetic import generate_cohort

PROGRAMME = Programme.from_dict(
    {
        "name": "test",
        "criteria": [
            {"name": "needs", "kind": "needs", "mentee_field": "needs",
             "mentor_field": "expertise", "weight": 0.6},
            {"name": "language", "kind": "overlap", "mentee_field": "languages",
             "mentor_field": "languages", "weight": 0.4, "required": True, "mode": "any"},
        ],
        "rules": [
            {"kind": "requires", "name": "woman_mentor", "mentee_field": "mentor_gender",
             "mentor_field": "gender"},
            {"kind": "exclude_same", "name": "same_organisation",
             "mentee_field": "organisation", "mentor_field": "organisation"},
        ],
    }
)  # fmt: skip


def _cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    mentees = pd.DataFrame(
        [
            ("a", "seo:1|website", "fr|ar", "woman", "coop1"),
            ("b", "bookkeeping:2", "fr", None, None),
            ("c", "export", "rw", None, None),  # nobody speaks Kinyarwanda
            ("d", "social_media|seo", "en|fr", None, "coop1"),
            ("e", "website:3", "fr", "woman", None),
            ("f", "marketing", "ar", None, None),
        ],
        columns=["id", "needs", "languages", "mentor_gender", "organisation"],
    )
    mentors = pd.DataFrame(
        [
            ("m1", "seo:4|website:3", "fr|ar", "woman", "coop1", 1),
            ("m2", "bookkeeping:4|export:5", "fr|en", "man", None, 2),
            ("m3", "social_media:5|marketing:4", "ar|en", "woman", None, 1),
        ],
        columns=["id", "expertise", "languages", "gender", "organisation", "capacity"],
    )
    return mentees, mentors


def test_contributions_add_up_and_every_mentee_is_accounted_for() -> None:
    mentees, mentors = _cohort()
    result = matching.match(mentees, mentors, PROGRAMME)
    for pair in result.pairs:
        assert sum(pair.contributions.values()) == pytest.approx(pair.score, abs=1e-9)
        assert list(pair.contributions) == ["needs", "language"]
        assert pair.why
    matched = {p.mentee_id for p in result.pairs}
    unmatched = {u.mentee_id for u in result.unmatched}
    assert matched | unmatched == set(mentees.id)
    assert result.summary.matched + result.summary.unmatched == len(mentees)
    assert result.summary.gap <= 1e-9


def test_rules_are_hard() -> None:
    mentees, mentors = _cohort()
    result = matching.match(mentees, mentors, PROGRAMME)
    by_mentee = {p.mentee_id: p.mentor_id for p in result.pairs}
    # a asks for a woman mentor (not m2) and shares an organisation with m1: only m3,
    # with whom she shares Arabic, is allowed
    assert by_mentee.get("a") in (None, "m3")
    assert by_mentee.get("e") != "m2"  # e requires a woman mentor
    assert by_mentee.get("d") != "m1"  # same organisation
    reasons = {u.mentee_id: u for u in result.unmatched}
    assert reasons["c"].reason == "no_allowed_mentor"
    assert "language" in reasons["c"].detail


def test_below_min_score_is_a_reason() -> None:
    mentees, mentors = _cohort()
    strict = PROGRAMME.model_copy(update={"min_score": 0.99})
    result = matching.match(mentees, mentors, strict)
    reasons = {u.mentee_id: u.reason for u in result.unmatched}
    assert "below_min_score" in reasons.values()
    assert all(p.score >= 0.99 for p in result.pairs)


def test_same_result_for_shuffled_rows() -> None:
    mentees, mentors = _cohort()
    first = matching.match(mentees, mentors, PROGRAMME)
    second = matching.match(mentees.sample(frac=1.0, random_state=1), mentors.iloc[::-1], PROGRAMME)
    assert first.pairs == second.pairs
    assert first.unmatched == second.unmatched


def test_locked_forbidden_and_previous_pairs() -> None:
    mentees, mentors = _cohort()
    free = matching.match(mentees, mentors, PROGRAMME)
    chosen = free.pairs[0]
    forbidden = matching.match(
        mentees, mentors, PROGRAMME, forbidden=[(chosen.mentee_id, chosen.mentor_id)]
    )
    assert (chosen.mentee_id, chosen.mentor_id) not in {
        (p.mentee_id, p.mentor_id) for p in forbidden.pairs
    }
    repeated = matching.match(
        mentees, mentors, PROGRAMME, previous=[(chosen.mentee_id, chosen.mentor_id)]
    )
    assert repeated.pairs == forbidden.pairs
    # b (bookkeeping, French) is best with m2; lock her with m3? not allowed (no shared
    # language) -> error; lock f with m3 instead and it is kept
    locked = matching.match(mentees, mentors, PROGRAMME, locked=[("f", "m3")])
    assert ("f", "m3") in {(p.mentee_id, p.mentor_id) for p in locked.pairs}
    with pytest.raises(RuleError):
        matching.match(mentees, mentors, PROGRAMME, locked=[("b", "m3")])
    with pytest.raises(RuleError):
        matching.match(mentees, mentors, PROGRAMME, locked=[("f", "m3")], forbidden=[("f", "m3")])


def test_a_mentee_kept_from_her_mentors_by_earlier_pairs_is_told_so() -> None:
    mentees, mentors = _cohort()
    # f speaks Arabic only: m1 and m3 are her mentors, and she has had both before.
    result = matching.match(mentees, mentors, PROGRAMME, previous=[("f", "m1"), ("f", "m3")])
    (reason,) = [u for u in result.unmatched if u.mentee_id == "f"]
    assert reason.reason == "no_allowed_mentor"
    assert "'previous' excludes 2 of 3 mentors" in reason.detail
    # A programme that allows repeats pairs her again.
    again = Programme.from_dict({**PROGRAMME.model_dump(), "allow_repeat_pairs": True})
    repeated = matching.match(mentees, mentors, again, previous=[("f", "m1"), ("f", "m3")])
    assert "f" in {p.mentee_id for p in repeated.pairs}


def test_unknown_ids_are_refused_without_echoing_them() -> None:
    mentees, mentors = _cohort()
    with pytest.raises(InputError) as caught:
        matching.match(mentees, mentors, PROGRAMME, locked=[("secret-person", "m1")])
    assert "secret-person" not in str(caught.value)
    assert caught.value.column == "mentee_id"


@pytest.mark.parametrize("side", ["mentee", "mentor"])
def test_an_empty_side_is_refused_by_name(side: str) -> None:
    mentees, mentors = _cohort()
    if side == "mentee":
        mentees = mentees.head(0)
    else:
        mentors = mentors.head(0)
    with pytest.raises(InputError, match=f"no {side}s: the {side} table has no rows"):
        matching.match(mentees, mentors, PROGRAMME)
    scores = pd.DataFrame({"mentee_id": ["a"], "mentor_id": ["m1"], "score": [0.5]})
    with pytest.raises(InputError, match=f"no {side}s"):
        matching.match(mentees, mentors, PROGRAMME, scores=scores)


def test_model_objects_and_progress() -> None:
    # Every rule's column is given (empty): a rule whose column is absent refuses the run.
    mentees = [Mentee(id="x", needs="seo", languages=["fr"], mentor_gender=None, organisation="")]
    mentors = [
        Mentor(id="y", capacity=2, expertise="seo:5", languages="fr", gender="", organisation="")
    ]
    seen: list[float] = []
    result = matching.match(mentees, mentors, PROGRAMME, progress=lambda _, done: seen.append(done))
    assert [(p.mentee_id, p.mentor_id) for p in result.pairs] == [("x", "y")]
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_scores_table_replaces_the_criteria() -> None:
    mentees = pd.DataFrame({"id": ["a", "b"]})
    mentors = pd.DataFrame({"id": ["m"], "capacity": [1]})
    scores = pd.DataFrame({"mentee_id": ["a", "b"], "mentor_id": ["m", "m"], "score": [0.2, 0.7]})
    result = matching.match(mentees, mentors, scores=scores, objective="total")
    assert [(p.mentee_id, p.score) for p in result.pairs] == [("b", 0.7)]
    assert result.summary.criteria == ()
    assert [u.reason for u in result.unmatched] == ["capacity_exhausted"]
    alternatives = result.alternatives
    assert "a" not in alternatives  # m has no spare seat


def test_objectives_differ_as_documented() -> None:
    # a can only take m1; b can take m1 (0.9) or m2 (0.1): total prefers... coverage both
    mentees = pd.DataFrame({"id": ["a", "b"]})
    mentors = pd.DataFrame({"id": ["m1", "m2"], "capacity": [1, 1]})
    scores = pd.DataFrame(
        {"mentee_id": ["a", "b", "b"], "mentor_id": ["m1", "m1", "m2"], "score": [0.5, 0.9, 0.1]}
    )
    total = matching.match(mentees, mentors, scores=scores, objective="total")
    coverage = matching.match(mentees, mentors, scores=scores, objective="coverage")
    assert total.summary.total_score == pytest.approx(0.9)
    assert coverage.summary.pairs == 2
    assert coverage.summary.total_score == pytest.approx(0.6)
    assert np.isclose(coverage.summary.upper_bound, 0.6)


def _per_country_quotas(share: float) -> tuple[Programme, pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort with 120 seats for 400 mentees wanting one mentor each and a
    quota per country of the three largest (without quotas, 39%, 26% and 18% of their
    members get a mentor)."""
    cohort = generate_cohort(400, 20, seed=4)
    mentees = cohort.mentees.assign(demand=1)
    mentors = cohort.mentors.assign(capacity=np.minimum(cohort.mentors["capacity"], 6))
    countries = mentees["country"].value_counts().index[:3]
    config = cohort.programme.model_dump()
    config["objective"] = "coverage"
    config["quotas"] = [{"field": "country", "value": c, "min_share": share} for c in countries]
    return Programme.from_dict(config), mentees, mentors


@pytest.mark.parametrize("objective", ["coverage", "fair"])
def test_a_quota_per_country_is_met_with_a_proof(objective: Objective) -> None:
    programme, mentees, mentors = _per_country_quotas(0.4)
    loose = programme.model_copy(update={"quotas": ()})
    free = matching.match(mentees, mentors, loose, objective=objective)
    result = matching.match(mentees, mentors, programme, objective=objective)
    matched = {pair.mentee_id for pair in result.pairs}
    assert result.summary.status == "optimal"
    assert result.summary.gap == 0.0
    assert result.summary.method == "min_cost_flow"
    binding = 0
    for quota in programme.quotas:
        members = set(mentees.loc[mentees["country"] == quota.value, "id"])
        assert len(members & matched) >= 0.4 * len(members) - 1e-9
        free_matched = {pair.mentee_id for pair in free.pairs}
        binding += len(members & free_matched) < 0.4 * len(members)
    assert binding  # the quotas change the answer: they bind
    assert result.summary.matched == free.summary.matched  # coverage kept: seats are full
    assert result.summary.total_score <= free.summary.total_score
    if objective == "fair":  # the quotas may only lower the lowest pair score
        lowest = min(pair.score for pair in result.pairs)
        assert lowest <= min(pair.score for pair in free.pairs)


def test_a_quota_no_assignment_can_meet_is_named() -> None:
    programme, mentees, mentors = _per_country_quotas(1.0)
    mentors = mentors.assign(capacity=1)  # 20 seats for 400 mentees
    with pytest.raises(matching.QuotaError) as caught:
        matching.match(mentees, mentors, programme)
    # In plain words, per quota: what it asks, the most that can be matched, and why.
    lines = str(caught.value).splitlines()
    assert len(lines) == len(programme.quotas)
    for line, quota in zip(lines, programme.quotas, strict=True):
        size = int((mentees["country"] == quota.value).sum())
        assert line.startswith(f"quota {quota.name} asks for {size} of its {size} members")
        assert "at most 19 can be" in line  # 20 seats, one mentor allowed to none of them
        assert "seats in all" in line


def test_the_stable_method_refuses_quotas() -> None:
    config = PROGRAMME.model_dump()
    config["quotas"] = [{"field": "organisation", "value": "coop1", "min_share": 0.5}]
    config["solver"] = {"method": "stable"}
    with pytest.raises(matching.ConfigError, match="cannot honour quotas"):
        Programme.from_dict(config)
