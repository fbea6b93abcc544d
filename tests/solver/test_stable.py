"""Stable matching against brute force: stable, and optimal for the proposing side."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solver import SolverConfig, solve, stable_matching, validate
from tests.solver.instances import random_problem
from tests.stable_oracles import all_stable_matchings, gale_shapley, side_optimal


@st.composite
def tiny_instances(draw: st.DrawFn) -> dict[str, object]:
    """Up to 4 mentees x 3 mentors: incomplete lists, ties (few value levels), demands up
    to 2, capacities 0 to 2; forbidden pairs are the pairs left out."""
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    cells = [(i, j) for i in range(n) for j in range(m)]
    pairs = [c for c in cells if draw(st.booleans()) or draw(st.booleans())]
    levels = draw(st.integers(1, 3))  # 1: every pair tied
    mentee_value = {p: float(draw(st.integers(0, levels - 1))) for p in pairs}
    mentor_value = {p: float(draw(st.integers(0, levels - 1))) for p in pairs}
    demand = [draw(st.integers(1, 2)) for _ in range(n)]
    capacity = [draw(st.integers(0, 2)) for _ in range(m)]
    return {
        "pairs": pairs,
        "mentee_value": mentee_value,
        "mentor_value": mentor_value,
        "demand": demand,
        "capacity": capacity,
    }


def _run(instance: dict[str, object], proposing: str) -> set[tuple[int, int]]:
    pairs = instance["pairs"]
    assert isinstance(pairs, list)
    mentee = np.array([i for i, _ in pairs], dtype=np.int64)
    mentor = np.array([j for _, j in pairs], dtype=np.int64)
    mine = instance["mentee_value"]
    theirs = instance["mentor_value"]
    assert isinstance(mine, dict)
    assert isinstance(theirs, dict)
    held = stable_matching(
        mentee,
        mentor,
        np.array([mine[p] for p in pairs], dtype=np.float64),
        np.array(instance["demand"], dtype=np.int64),
        np.array(instance["capacity"], dtype=np.int64),
        np.array([theirs[p] for p in pairs], dtype=np.float64),
        proposing=proposing,  # type: ignore[arg-type]
    )
    return {p for p, h in zip(pairs, held.tolist(), strict=True) if h}


@settings(max_examples=300, deadline=None)
@given(tiny_instances(), st.sampled_from(["mentees", "mentors"]))
def test_the_result_is_the_optimal_stable_matching_of_brute_force(
    instance: dict[str, object], proposing: str
) -> None:
    pairs = instance["pairs"]
    mine, theirs = instance["mentee_value"], instance["mentor_value"]
    demand, capacity = instance["demand"], instance["capacity"]
    stable = all_stable_matchings(pairs, mine, theirs, demand, capacity)  # type: ignore[arg-type]
    got = _run(instance, proposing)
    assert got in stable
    if proposing == "mentees":
        best = side_optimal(stable, mine, 0, len(demand))  # type: ignore[arg-type]
    else:
        best = side_optimal(stable, theirs, 1, len(capacity))  # type: ignore[arg-type]
    assert best is not None  # the lattice has an optimum for each side
    assert got == best


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_rounds_match_one_proposal_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng, int(rng.integers(1, 40)), int(rng.integers(1, 12)), max_demand=3, max_capacity=3
    )
    mentor_value = rng.random(problem.n_arcs)
    pairs = list(zip(problem.arc_mentee.tolist(), problem.arc_mentor.tolist(), strict=True))
    mine = dict(zip(pairs, problem.arc_score.tolist(), strict=True))
    theirs = dict(zip(pairs, mentor_value.tolist(), strict=True))
    held = stable_matching(
        problem.arc_mentee,
        problem.arc_mentor,
        problem.arc_score,
        problem.demand,
        problem.capacity,
        mentor_value,
    )
    expected = gale_shapley(pairs, mine, theirs, problem.demand.tolist(), problem.capacity.tolist())
    assert {p for p, h in zip(pairs, held.tolist(), strict=True) if h} == expected


@pytest.mark.parametrize("seed", range(10))
def test_stable_method_reports_a_valid_certified_solution(seed: int) -> None:
    problem = random_problem(np.random.default_rng(seed), 15, 5, locked=1, max_capacity=3)
    for config in (SolverConfig(method="stable"), SolverConfig(objective="stable")):
        solution = solve(problem, config)
        validate(problem, solution)
        assert solution.method == "stable"
        assert solution.stats["blocking_pairs"] == 0
        assert solution.stats["pairs_checked"] == 15 * 5


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


def test_mentor_optimal_differs_where_the_sides_disagree() -> None:
    # Two mentees who each prefer a different mentor than the one who prefers them.
    mentee = np.array([0, 0, 1, 1])
    mentor = np.array([0, 1, 0, 1])
    mentee_value = np.array([2.0, 1.0, 1.0, 2.0])  # 0 likes mentor 0, 1 likes mentor 1
    mentor_value = np.array([1.0, 2.0, 2.0, 1.0])  # mentor 0 likes 1, mentor 1 likes 0
    args = (mentee, mentor, mentee_value, np.array([1, 1]), np.array([1, 1]), mentor_value)
    assert stable_matching(*args).tolist() == [True, False, False, True]
    assert stable_matching(*args, proposing="mentors").tolist() == [False, True, True, False]
