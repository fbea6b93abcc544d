"""Every objective's optimum equals an independent oracle (brute force, HiGHS MILP)."""

from __future__ import annotations

import numpy as np
import pytest

from matching.solver import ScoredPairs, SolverConfig, solve, validate
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.instances import random_problem
from tests.solver.oracles import brute_force, milp_optimum

OBJECTIVES = ("total", "coverage", "fair")


def _tiny(seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    while True:
        problem = random_problem(
            rng,
            int(rng.integers(1, 7)),
            int(rng.integers(1, 5)),
            density=0.45,
            max_demand=2,
            max_capacity=2,
            min_loads=seed % 2 == 0,
            locked=seed % 3,
            score_levels=4 if seed % 4 == 0 else None,
        )
        if problem.n_arcs <= 11:
            return problem


@pytest.mark.parametrize("seed", range(120))
def test_equals_brute_force_on_tiny_instances(seed: int) -> None:
    problem = _tiny(seed)
    for objective in OBJECTIVES:
        solution = solve(problem, SolverConfig(objective=objective))
        validate(problem, solution)
        assert solution.status == "optimal"
        want = brute_force(problem, objective)
        assert want is not None
        assert_same_levels(solution_levels(problem, solution, objective), want)


@pytest.mark.parametrize("seed", range(24))
def test_equals_milp_on_larger_instances(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    problem = random_problem(
        rng,
        int(rng.integers(20, 61)),
        int(rng.integers(5, 21)),
        density=float(rng.uniform(0.1, 0.5)),
        max_demand=1 + seed % 3,
        max_capacity=int(rng.integers(1, 5)),
        min_loads=seed % 2 == 1,
        locked=seed % 4,
        score_levels=5 if seed % 5 == 0 else None,
    )
    for objective in OBJECTIVES:
        solution = solve(problem, SolverConfig(objective=objective))
        validate(problem, solution)
        assert solution.gap == 0.0
        assert_same_levels(
            solution_levels(problem, solution, objective), milp_optimum(problem, objective)
        )


def test_coverage_matches_more_mentees_than_total_when_it_must() -> None:
    # Mentee 0 likes both mentors; mentee 1 only mentor 0. Total takes (0,0)=1.0 alone
    # when (0,1)+(1,0) is worth less; coverage must match both.
    from matching.solver import AssignmentProblem

    problem = AssignmentProblem(
        n_mentees=2,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1.0, 0.0, 0.5])),
        demand=np.array([1, 1]),
        capacity=np.array([1, 1]),
        min_load=np.array([0, 0]),
        arc_locked=np.zeros(3, dtype=bool),
    )
    total = solve(problem, SolverConfig(objective="total"))
    coverage = solve(problem, SolverConfig(objective="coverage"))
    assert total.total_score == pytest.approx(1.0)
    assert coverage.matched == 2
    assert coverage.total_score == pytest.approx(0.5)


def test_fair_raises_the_lowest_score_at_the_same_coverage() -> None:
    from matching.solver import AssignmentProblem

    # Two mentees, two mentors: (0,0)=0.9,(1,1)=0.1 totals 1.0; (0,1)=0.5,(1,0)=0.45 is fairer.
    problem = AssignmentProblem(
        n_mentees=2,
        n_mentors=2,
        arcs=ScoredPairs.of(
            np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0.9, 0.5, 0.45, 0.1])
        ),
        demand=np.array([1, 1]),
        capacity=np.array([1, 1]),
        min_load=np.array([0, 0]),
        arc_locked=np.zeros(4, dtype=bool),
    )
    fair = solve(problem, SolverConfig(objective="fair"))
    assert fair.matched == 2
    assert fair.score.min() == pytest.approx(0.45)
    assert fair.total_score == pytest.approx(0.95)
