"""Quotas under every objective and CP-SAT: the MILP oracle's optimum, infeasible quotas
named, CP-SAT's objectives equal to the flow's. (The flow's own quota groups are tested
in depth in ``test_quota_flow.py``.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from matching.errors import RuleError
from matching.solver import AssignmentProblem, QuotaConstraint, SolverConfig, solve, validate
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.instances import one_seat_for_three, random_problem
from tests.solver.oracles import milp_optimum
from tests.solver.pricers import DensePricer, dense_scores, top_k


def _with_quota(seed: int) -> AssignmentProblem:
    rng = np.random.default_rng(2000 + seed)
    problem = random_problem(
        rng,
        int(rng.integers(6, 25)),
        int(rng.integers(2, 8)),
        density=0.4,
        max_demand=1 + seed % 2,
        max_capacity=3,
        min_loads=seed % 3 == 0,
        locked=seed % 2,
    )
    # A quota the total objective would not meet on its own: low scores for the group.
    members = np.flatnonzero(rng.random(problem.n_mentees) < 0.4).astype(np.int64)
    score = problem.arc_score.copy()
    score[np.isin(problem.arc_mentee, members)] *= 0.2
    reachable = np.unique(problem.arc_mentee[np.isin(problem.arc_mentee, members)]).size
    problem = dataclasses.replace(problem, arcs=problem.arcs.with_scores(np.round(score, 4)))
    # The largest quota up to half the reachable group that the MILP oracle can meet.
    for needed in range(reachable // 2, -1, -1):
        candidate = dataclasses.replace(
            problem, quotas=(QuotaConstraint("group", members, needed),)
        )
        try:
            milp_optimum(candidate, "total")
        except AssertionError:
            continue
        return candidate
    raise AssertionError("unreachable: a quota of 0 is always feasible")


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("method", ["auto", "cp_sat"])
def test_quotas_are_met_and_objectives_equal_the_milp(seed: int, method: str) -> None:
    problem = _with_quota(seed)
    for objective in ("total", "coverage", "fair"):
        config = SolverConfig(objective=objective, method=method, time_limit_seconds=20)  # type: ignore[arg-type]
        solution = solve(problem, config)
        if method == "cp_sat":
            assert solution.method == "cp_sat"
        else:  # auto: the flow enforces the quota, under every objective
            assert solution.method == "min_cost_flow"
            assert solution.stats["quota_groups"] == 1.0
        validate(problem, solution)
        assert solution.status == "optimal"
        assert solution.gap == pytest.approx(0.0, abs=1e-9)
        assert_same_levels(
            solution_levels(problem, solution, objective), milp_optimum(problem, objective)
        )


@pytest.mark.parametrize("seed", range(6))
def test_cp_sat_without_quotas_equals_the_flow(seed: int) -> None:
    problem = dataclasses.replace(_with_quota(seed), quotas=())
    for objective in ("total", "coverage", "fair"):
        flow = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
        sat = solve(problem, SolverConfig(objective=objective, method="cp_sat"))  # type: ignore[arg-type]
        assert sat.matched == flow.matched
        assert sat.total_score == pytest.approx(flow.total_score, rel=1e-6)


def test_cp_sat_is_deterministic() -> None:
    problem = _with_quota(3)
    config = SolverConfig(objective="coverage")
    first, second = solve(problem, config), solve(problem, config)
    assert np.array_equal(first.mentee_idx, second.mentee_idx)
    assert np.array_equal(first.mentor_idx, second.mentor_idx)


def test_an_impossible_quota_is_named() -> None:
    problem = dataclasses.replace(
        one_seat_for_three(),
        quotas=(
            QuotaConstraint("cooperative=yes", np.array([1, 2]), 2),
            QuotaConstraint("fine", np.array([0]), 0),
        ),
    )
    with pytest.raises(RuleError, match="cooperative=yes") as info:
        solve(problem, SolverConfig(method="cp_sat"))
    assert "'fine'" not in str(info.value)


def test_a_quota_the_optimum_meets_anyway_costs_one_flow() -> None:
    problem = _with_quota(1)
    loose = dataclasses.replace(
        problem, quotas=(QuotaConstraint("everyone", np.arange(problem.n_mentees), 0),)
    )
    for objective in ("total", "coverage", "fair"):
        config = SolverConfig(objective=objective)  # type: ignore[arg-type]
        with_quota = solve(loose, config)
        without = solve(dataclasses.replace(problem, quotas=()), config)
        assert with_quota.method == "min_cost_flow"
        assert with_quota.stats["quota_groups"] == 1.0  # enforced by the flow, at no cost
        assert np.array_equal(with_quota.mentee_idx, without.mentee_idx)
        assert np.array_equal(with_quota.mentor_idx, without.mentor_idx)
        assert with_quota.status == "optimal"


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("method", ["auto", "cp_sat"])
@pytest.mark.parametrize("per_mentee", [None, 1])
def test_quotas_on_pruned_candidates_are_solved_over_every_allowed_pair(
    seed: int, method: str, per_mentee: int | None
) -> None:
    """Candidates pruned to each mentee's best two: CP-SAT must still see every allowed
    pair (through the pricer), or its proof and its quota errors would hold for the
    candidates only."""
    problem = _with_quota(seed)
    pruned = top_k(problem, 2)
    for objective in ("total", "coverage", "fair"):
        config = SolverConfig(objective=objective, method=method, time_limit_seconds=20)  # type: ignore[arg-type]
        solution = solve(pruned, config, DensePricer(dense_scores(problem), per_mentee))
        validate(pruned, solution)  # pairs among the candidates and those priced in
        assert solution.status == "optimal"
        assert_same_levels(
            solution_levels(problem, solution, objective), milp_optimum(problem, objective)
        )


def test_past_the_size_limit_cp_sat_is_feasible_with_a_bound_over_every_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matching.solver import _lagrangian, _quotas

    monkeypatch.setattr(_quotas, "CP_SAT_MAX_ARCS", 0)
    monkeypatch.setattr(_quotas, "flow_enforces_quotas", lambda problem, config: False)
    monkeypatch.setattr(_lagrangian, "split", lambda problem, config: None)
    for seed in range(6):
        problem = _with_quota(seed)
        solution = solve(top_k(problem, 2), SolverConfig(), DensePricer(dense_scores(problem)))
        if solution.stats.get("quotas_met_without_them"):
            continue
        assert solution.status == "feasible"
        best_total = milp_optimum(dataclasses.replace(problem, quotas=()), "total")
        assert solution.upper_bound >= best_total.total - 1e-6
        assert solution.total_score <= solution.upper_bound


def test_a_level_out_of_time_keeps_the_previous_levels_assignment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CP-SAT out of time on the total (no solution returned for it): the matched level's
    assignment stands, as a feasible result whose bound still holds."""
    from ortools.sat.python import cp_model

    real_solve = cp_model.CpSolver.solve
    calls = []

    def solve_then_run_out(self: cp_model.CpSolver, model: cp_model.CpModel) -> object:
        calls.append(1)
        return real_solve(self, model) if len(calls) == 1 else cp_model.UNKNOWN

    monkeypatch.setattr(cp_model.CpSolver, "solve", solve_then_run_out)
    problem = dataclasses.replace(
        _with_quota(3), min_load=np.zeros(_with_quota(3).n_mentors, np.int64)
    )
    solution = solve(problem, SolverConfig(objective="coverage", method="cp_sat"))
    assert len(calls) == 2  # matched, then total
    validate(problem, solution)
    assert solution.status == "feasible"
    best = milp_optimum(problem, "coverage")
    assert solution.matched == best.matched
    assert solution.upper_bound >= best.total - 1e-6
