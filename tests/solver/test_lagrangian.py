"""Overlapping quotas by Lagrangian flows (one quota relaxed by a bonus, the others held
by the flow): quotas met, bound valid over every allowed pair, and the MILP optimum
whenever the result says optimal."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from matching.solver import AssignmentProblem, QuotaConstraint, SolverConfig, solve, validate
from matching.solver import _lagrangian as lagrangian
from matching.solver._lagrangian import solve_with_bonus, split
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
    problem = dataclasses.replace(problem, arcs=problem.arcs.with_scores(np.round(score, 4)))
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
        relaxed = QuotaConstraint("group", members, needed)
        return _with_halves(dataclasses.replace(problem, quotas=(relaxed,)), objective, seed)
    return None


def _with_halves(problem: AssignmentProblem, objective: str, seed: int) -> AssignmentProblem:
    """Two more quotas, on the even and on the odd mentees (they share none, and each
    overlaps the group): what the optimum with the group's quota gives each half, and
    on two seeds in three up to three more even ones (and as many fewer odd ones) when
    some solution can meet that (then the halves bind too)."""
    alone = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
    matched = np.unique(alone.mentee_idx)
    halves = [np.arange(start, problem.n_mentees, 2, dtype=np.int64) for start in (0, 1)]
    counts = [int(np.isin(matched, half).sum()) for half in halves]
    for extra in (3, 2, 1, 0) if seed % 3 else (0,):
        quotas = (
            problem.quotas[0],
            QuotaConstraint("even", halves[0], min(counts[0] + extra, halves[0].size)),
            QuotaConstraint("odd", halves[1], max(counts[1] - extra, 0)),
        )
        candidate = dataclasses.replace(problem, quotas=quotas)
        try:
            milp_optimum(candidate, objective)
        except AssertionError:
            continue
        return candidate
    raise AssertionError("unreachable: the optimum with the group's quota meets the halves")


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
    relaxable = split(problem, config)
    assert relaxable is not None
    assert relaxable[0].name == "group"  # the one overlapping the others
    given, pricer = problem, None
    if pricing != "none":
        cap = 1 if pricing == "one per mentee" else None
        given, pricer = top_k(problem, 2), DensePricer(dense_scores(problem), cap)
    solution = solve_with_bonus(given, config, pricer, *relaxable)
    assert solution is not None
    validate(given, solution)  # the quotas are met, pairs allowed, capacities kept
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
def test_auto_solves_overlapping_quotas_exactly(index: int, per_mentee: int | None) -> None:
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


def test_split_relaxes_the_one_quota_that_overlaps_the_others() -> None:
    problem = random_problem(np.random.default_rng(1), 9, 3)
    every = QuotaConstraint("every", np.arange(9, dtype=np.int64), 3)
    low = QuotaConstraint("low", np.arange(0, 4, dtype=np.int64), 1)
    high = QuotaConstraint("high", np.arange(4, 9, dtype=np.int64), 1)
    config = SolverConfig(objective="total")
    assert split(dataclasses.replace(problem, quotas=(low, every, high)), config) == (
        every,
        (low, high),
    )
    middle = QuotaConstraint("middle", np.arange(3, 6, dtype=np.int64), 1)
    tangled = dataclasses.replace(problem, quotas=(low, every, middle))
    assert split(tangled, config) is None  # removing any one leaves an overlap
    fair = SolverConfig(objective="fair")
    assert split(dataclasses.replace(problem, quotas=(low, every)), fair) is None
    with_min_loads = dataclasses.replace(
        problem, quotas=(low, every), min_load=np.ones(3, np.int64)
    )
    assert split(with_min_loads, config) is None
