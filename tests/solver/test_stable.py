"""Stable matching: no blocking pair, capacities and demands respected."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solver import SolverConfig, solve, stable_matching, validate
from tests.solver.instances import random_problem


def _blocking_pairs(mentee, mentor, s_mentee, s_mentor, demand, capacity, held) -> int:  # type: ignore[no-untyped-def]
    """Count allowed pairs both sides would rather have (strict, ties by index)."""
    count = 0
    for a in np.flatnonzero(~held).tolist():
        i, j = mentee[a], mentor[a]
        mine = np.flatnonzero(held & (mentee == i))
        # The mentee prefers a (higher score, then lower mentor index) to her worst, or has room.
        mentee_wants = mine.size < demand[i] or any(
            (s_mentee[a], -j) > (s_mentee[b], -mentor[b]) for b in mine.tolist()
        )
        theirs = np.flatnonzero(held & (mentor == j))
        mentor_wants = theirs.size < capacity[j] or any(
            (s_mentor[a], -i) > (s_mentor[b], -mentee[b]) for b in theirs.tolist()
        )
        count += bool(mentee_wants and mentor_wants)
    return count


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans())
def test_no_blocking_pair(seed: int, own_mentor_scores: bool) -> None:
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng,
        int(rng.integers(1, 20)),
        int(rng.integers(1, 6)),
        density=0.6,
        max_demand=2,
        max_capacity=3,
        score_levels=4,
    )
    mentor_score = rng.random(problem.n_arcs) if own_mentor_scores else problem.arc_score
    held = stable_matching(
        problem.arc_mentee,
        problem.arc_mentor,
        problem.arc_score,
        problem.demand,
        problem.capacity,
        mentor_score,
    )
    assert (
        np.bincount(problem.arc_mentee[held], minlength=problem.n_mentees) <= problem.demand
    ).all()
    assert (
        np.bincount(problem.arc_mentor[held], minlength=problem.n_mentors) <= problem.capacity
    ).all()
    assert (
        _blocking_pairs(
            problem.arc_mentee,
            problem.arc_mentor,
            problem.arc_score,
            mentor_score,
            problem.demand,
            problem.capacity,
            held,
        )
        == 0
    )


@pytest.mark.parametrize("seed", range(10))
def test_stable_method_reports_a_valid_feasible_solution(seed: int) -> None:
    problem = random_problem(np.random.default_rng(seed), 15, 5, locked=1, max_capacity=3)
    solution = solve(problem, SolverConfig(method="stable"))
    validate(problem, solution)
    assert solution.status == "feasible"
    best = solve(problem, SolverConfig(objective="total"))
    assert solution.upper_bound >= best.total_score - 1e-9


def test_popular_mentor_takes_the_mentee_she_ranks_first() -> None:
    held = stable_matching(
        np.array([0, 1]),
        np.array([0, 0]),
        np.array([0.9, 0.9]),
        np.array([1, 1]),
        np.array([1]),
        np.array([0.2, 0.8]),
    )
    assert held.tolist() == [False, True]
