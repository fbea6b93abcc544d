"""One binding quota by Lagrangian flows: quota met, bound valid over every allowed pair,
and the MILP optimum whenever the result says optimal."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from matching.solver import AssignmentProblem, QuotaConstraint, SolverConfig, solve, validate
from matching.solver import _lagrangian as lagrangian
from matching.solver._lagrangian import applies, solve_with_bonus
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.instances import random_problem
from tests.solver.oracles import milp_optimum
from tests.solver.pricers import DensePricer, dense_scores, top_k


def _binding_quota(seed: int) -> AssignmentProblem | None:
    """Scarce seats, a group whose pairs score low, and a quota the optimum without it
    misses but some solution meets (None when there is none); every fourth seed lets
    mentees want two mentors."""
    rng = np.random.default_rng(5000 + seed)
    problem = random_problem(
        rng,
        int(rng.integers(8, 30)),
        int(rng.integers(2, 8)),
        density=float(rng.choice([0.3, 0.6])),
        max_capacity=3,
        max_demand=2 if seed % 4 == 3 else 1,
        locked=seed % 3,
    )
    members = np.flatnonzero(rng.random(problem.n_mentees) < 0.4).astype(np.int64)
    score = problem.arc_score.copy()
    score[np.isin(problem.arc_mentee, members)] *= 0.3
    problem = dataclasses.replace(problem, arc_score=np.round(score, 4))
    objective = "coverage" if seed % 2 else "total"
    free = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
    got = int(np.isin(free.mentee_idx, members).sum())
    # The most group mentees any solution can match, then a quota between that and what
    # the optimum without a quota gives them (a binding quota, not the extreme one).
    for most in range(members.size, got, -1):
        try:
            milp_optimum(
                dataclasses.replace(problem, quotas=(QuotaConstraint("g", members, most),)),
                objective,
            )
        except AssertionError:
            continue
        needed = (got + 1 + most) // 2
        return dataclasses.replace(problem, quotas=(QuotaConstraint("group", members, needed),))
    return None


CASES = 24


@functools.cache
def _binding_seeds() -> tuple[int, ...]:
    """The first seeds whose problem has a binding quota."""
    seeds: list[int] = []
    for seed in range(500):
        if len(seeds) == CASES:
            break
        if _binding_quota(seed) is not None:
            seeds.append(seed)
    return tuple(seeds)


def _case(index: int) -> tuple[AssignmentProblem, int]:
    seed = _binding_seeds()[index]
    problem = _binding_quota(seed)
    assert problem is not None
    return problem, seed


@pytest.mark.parametrize("index", range(CASES))
@pytest.mark.parametrize("pricing", ["none", "every violator", "one per mentee"])
@pytest.mark.parametrize("max_flows", [2, lagrangian.MAX_FLOWS])
def test_lagrangian_flow_meets_the_quota_with_a_valid_bound(
    index: int, pricing: str, max_flows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped early (2 flows) or not, the result meets the quota and its bound holds
    over every allowed pair; when it says optimal it is the MILP optimum. Pruned, one
    pricer serves every flow of the bonus search."""
    monkeypatch.setattr(lagrangian, "MAX_FLOWS", max_flows)
    problem, seed = _case(index)
    objective = "coverage" if seed % 2 else "total"
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    assert applies(problem, config)
    given, pricer = problem, None
    if pricing != "none":
        cap = 1 if pricing == "one per mentee" else None
        given, pricer = top_k(problem, 2), DensePricer(dense_scores(problem), cap)
    solution = solve_with_bonus(given, config, pricer)
    assert solution is not None
    validate(given, solution)  # the quota is met, pairs allowed, capacities kept
    best = milp_optimum(problem, objective)
    got = solution_levels(problem, solution, objective)
    assert solution.total_score <= solution.upper_bound + 1e-9
    if solution.status == "optimal":
        assert solution.gap == 0.0
        assert_same_levels(got, best)
    else:  # the bound still holds over every allowed pair
        assert got.matched == best.matched
        assert solution.upper_bound >= best.total - 1e-6


@pytest.mark.parametrize("index", range(10))
@pytest.mark.parametrize("per_mentee", [None, 1])
def test_auto_solves_a_binding_quota_exactly(index: int, per_mentee: int | None) -> None:
    """Through ``solve``: the Lagrangian flow when it proves its result, CP-SAT otherwise."""
    problem, seed = _case(index)
    objective = "coverage" if seed % 2 else "total"
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    pricer = DensePricer(dense_scores(problem), per_mentee)
    solution = solve(top_k(problem, 2), config, pricer)
    assert solution.status == "optimal"
    assert_same_levels(
        solution_levels(problem, solution, objective), milp_optimum(problem, objective)
    )
