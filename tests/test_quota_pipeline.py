"""``match()`` with a binding quota on pruned candidates: the engine's own pricer serves
every flow of the solver (the relaxed flow, each Lagrangian bonus, CP-SAT's pairs), and
the result must still be the optimum over *every* allowed pair, checked by a MILP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import matching
from matching.model import Programme, participants_frame
from matching.scoring import PairScorer
from matching.solver import AssignmentProblem, QuotaConstraint
from matching.synthetic import generate_cohort
from tests.solver.oracles import milp_optimum


def _cohort(seed: int, n: int, m: int) -> tuple[Programme, pd.DataFrame, pd.DataFrame]:
    """A synthetic cohort, one mentor each, candidates pruned to each mentee's best two,
    and a quota of 95% of the cooperative members."""
    cohort = generate_cohort(n, m, seed=seed)
    mentees = participants_frame(cohort.mentees, "mentee").sort_values("id")
    mentors = participants_frame(cohort.mentors, "mentor").sort_values("id")
    mentees["demand"] = 1
    config = matching.default_programme().model_dump()
    config["quotas"] = [{"field": "status", "value": "cooperative", "min_share": 0.95}]
    config["solver"] |= {"top_k": 2}
    return (
        Programme.from_dict(config),
        mentees.reset_index(drop=True),
        mentors.reset_index(drop=True),
    )


def _every_allowed_pair(
    programme: Programme, mentees: pd.DataFrame, mentors: pd.DataFrame
) -> AssignmentProblem:
    """The problem over every allowed pair with its exact score (no pruning)."""
    scorer = PairScorer(programme).fit(mentees, mentors)
    block = scorer.score_block(np.arange(len(mentees)))
    mentee, mentor = np.nonzero(block.allowed)
    score, ok = scorer.exact_pairs(mentee, mentor)
    members = np.flatnonzero((mentees["status"] == "cooperative").to_numpy())
    return AssignmentProblem(
        n_mentees=len(mentees),
        n_mentors=len(mentors),
        arc_mentee=mentee[ok].astype(np.int64),
        arc_mentor=mentor[ok].astype(np.int64),
        arc_score=np.asarray(score[ok], np.float64),
        demand=mentees["demand"].to_numpy(np.int64),
        capacity=mentors["capacity"].to_numpy(np.int64),
        min_load=np.zeros(len(mentors), np.int64),
        arc_locked=np.zeros(int(ok.sum()), dtype=bool),
        quotas=(QuotaConstraint("cooperative", members, int(np.ceil(0.95 * members.size))),),
    )


@pytest.mark.parametrize("seed", [0, 3, 4, 5])
def test_a_binding_quota_on_pruned_candidates_gets_the_optimum_over_every_pair(
    seed: int,
) -> None:
    programme, mentees, mentors = _cohort(seed, 240, 12)
    result = matching.match(mentees, mentors, programme, objective="coverage")
    summary = result.summary
    full = _every_allowed_pair(programme, mentees, mentors)
    best = milp_optimum(full, "coverage")
    free = milp_optimum(dataclasses.replace(full, quotas=()), "coverage")
    assert free.total > best.total + 1e-6  # the quota binds: it costs score
    assert summary.status == "optimal"
    assert summary.matched == best.matched
    assert summary.total_score == pytest.approx(best.total, abs=1e-6)
    members = set(mentees.loc[mentees["status"] == "cooperative", "id"])
    matched = {p.mentee_id for p in result.pairs} & members
    assert len(matched) >= 0.95 * len(members)


def test_a_quota_no_solution_meets_is_refused_by_name() -> None:
    programme, mentees, mentors = _cohort(2, 240, 12)  # the MILP finds no solution either
    with pytest.raises(matching.RuleError, match="cooperative") as caught:
        matching.match(mentees, mentors, programme, objective="coverage")
    assert "cannot be met" in str(caught.value)
