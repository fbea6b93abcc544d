"""Quick coverage bonuses: kept only when the levels are provably highest.

A chain where matching one more mentee costs more score than the quick bonus is worth:
the quick solve leaves her out, the checks notice, and the full bonuses match her.
"""

from __future__ import annotations

import numpy as np
import pytest

from matching.solver import AssignmentProblem, ScoredPairs, SolverConfig, solve, validate
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.oracles import milp_optimum
from tests.solver.pricers import DensePricer


def _chain(k: int) -> AssignmentProblem:
    """Mentee i (< k) scores 1 with mentor i and 0.01 with mentor i + 1; mentee k scores
    0.01 with mentor 0 only. All k + 1 are matched only if everyone moves down a seat,
    which loses about k in score: more than a quick bonus of two pairs."""
    mentee, mentor, score = [], [], []
    for i in range(k):
        mentee += [i, i]
        mentor += [i, i + 1]
        score += [1.0, 0.01]
    mentee.append(k)
    mentor.append(0)
    score.append(0.01)
    n = len(mentee)
    return AssignmentProblem(
        n_mentees=k + 1,
        n_mentors=k + 1,
        arcs=ScoredPairs.of(
            np.array(mentee, dtype=np.int64), np.array(mentor, dtype=np.int64), np.array(score)
        ),
        demand=np.ones(k + 1, dtype=np.int64),
        capacity=np.ones(k + 1, dtype=np.int64),
        min_load=np.zeros(k + 1, dtype=np.int64),
        arc_locked=np.zeros(n, dtype=bool),
    )


def _dense(problem: AssignmentProblem) -> np.ndarray:
    scores = np.full((problem.n_mentees, problem.n_mentors), np.nan)
    scores[problem.arc_mentee, problem.arc_mentor] = problem.arc_score
    return scores


@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("priced", [None, "every violator", "one per mentee"])
def test_coverage_is_highest_even_when_the_quick_bonus_is_too_small(
    k: int, priced: str | None
) -> None:
    problem = _chain(k)
    pricer = None
    if priced:  # start from the good arcs only: the pricer brings the rest back
        keep = problem.arc_score >= 1.0
        pricer = DensePricer(_dense(problem), 1 if priced == "one per mentee" else None)
        problem = AssignmentProblem(
            n_mentees=problem.n_mentees,
            n_mentors=problem.n_mentors,
            arcs=ScoredPairs.of(
                problem.arc_mentee[keep], problem.arc_mentor[keep], problem.arc_score[keep]
            ),
            demand=problem.demand,
            capacity=problem.capacity,
            min_load=problem.min_load,
            arc_locked=problem.arc_locked[keep],
        )
    solution = solve(problem, SolverConfig(objective="coverage"), pricer)
    assert solution.matched == k + 1
    assert solution.status == "optimal"
    assert solution.gap <= 1e-9
    full = _chain(k)
    assert not validate(full, solution)
    assert_same_levels(solution_levels(full, solution, "coverage"), milp_optimum(full, "coverage"))
    if k >= 3:  # the quick bonus could not pay for the chain: the full bonuses did
        assert solution.stats.get("quick_bonus") == 0.0
