"""Quotas enforced by the min-cost flow: the MILP optimum with the quotas, over every
allowed pair when candidates are pruned, and unmeetable quotas proven and named."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import RuleError, SolverError
from matching.solver import (
    AssignmentProblem,
    QuotaConstraint,
    ScoredPairs,
    SolverConfig,
    solve,
    validate,
)
from matching.solver._arcs import WorkArcs
from matching.solver._min_cost_flow import solve_with_pricing
from matching.solver._prepare import prepare
from matching.solver._quota_flow import quota_groups
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.instances import one_seat_for_three, random_problem
from tests.solver.oracles import milp_optimum
from tests.solver.pricers import DensePricer, dense_scores, top_k


def _with_disjoint_quotas(seed: int, groups: int) -> AssignmentProblem:
    """Scarce seats and ``groups`` disjoint groups whose pairs score low, so that the
    optimum without quotas leaves members out; each group needs more of its members
    matched than that optimum gives it and at most as many as any solution can give it
    alone (together they may be unmeetable)."""
    rng = np.random.default_rng(7000 + seed)
    problem = random_problem(
        rng,
        int(rng.integers(6, 22)),
        int(rng.integers(2, 7)),
        density=float(rng.choice([0.3, 0.6])),
        max_demand=2 if seed % 3 == 2 else 1,
        max_capacity=3,
        min_loads=seed % 4 == 1,
        locked=seed % 3,
    )
    label = rng.integers(-1, groups, problem.n_mentees)  # -1: in no group
    score = problem.arc_score.copy()
    score[label[problem.arc_mentee] >= 0] *= 0.3
    problem = dataclasses.replace(problem, arcs=problem.arcs.with_scores(np.round(score, 4)))
    objective = "coverage" if seed % 2 else "total"
    free = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
    quotas = []
    for g in range(groups):
        members = np.flatnonzero(label == g).astype(np.int64)
        got = int(np.isin(np.unique(free.mentee_idx), members).sum())
        most = got
        for k in range(members.size, got, -1):  # the most this group can get alone
            alone = QuotaConstraint("alone", members, k)
            if _meetable(dataclasses.replace(problem, quotas=(alone,)), objective):
                most = k
                break
        quotas.append(QuotaConstraint(f"group{g}", members, int(rng.integers(got, most + 1))))
    return dataclasses.replace(problem, quotas=tuple(quotas))


def _meetable(problem: AssignmentProblem, objective: str) -> bool:
    try:
        milp_optimum(problem, objective)
    except AssertionError:
        return False
    return True


def _check(problem: AssignmentProblem, objective: str, pricing: str) -> None:
    """Solve as asked; the MILP says whether the quotas can be met and what is optimal."""
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    given_problem, pricer = problem, None
    if pricing != "none":
        given_problem = top_k(problem, 2)
        pricer = DensePricer(dense_scores(problem), None if pricing == "every" else 1)
    if not _meetable(problem, objective):
        with pytest.raises(RuleError, match=r"cannot (all )?be met"):
            solve(given_problem, config, pricer)
        return
    solution = solve(given_problem, config, pricer)
    assert solution.method == "min_cost_flow"
    assert solution.stats["quota_groups"] == len(problem.quotas)
    validate(given_problem, solution)  # quotas met, among the candidates and priced pairs
    assert solution.status == "optimal"
    assert solution.gap == pytest.approx(0.0, abs=1e-9)
    assert_same_levels(
        solution_levels(problem, solution, objective), milp_optimum(problem, objective)
    )


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("objective", ["total", "coverage", "fair"])
@pytest.mark.parametrize("pricing", ["none", "every", "one per mentee"])
def test_disjoint_quotas_give_the_milp_optimum(seed: int, objective: str, pricing: str) -> None:
    _check(_with_disjoint_quotas(seed, 1 + seed % 3), objective, pricing)


@pytest.mark.parametrize("seed", range(24))
def test_the_bound_holds_when_pricing_stops_early(seed: int) -> None:
    """One pricing round on pruned candidates: the result may be only feasible, but it
    meets the quotas and its bound is at least the optimum over every allowed pair."""
    problem = _with_disjoint_quotas(seed, 1 + seed % 3)
    if not _meetable(problem, "total"):
        return
    pricer = DensePricer(dense_scores(problem), 1)
    config = SolverConfig(objective="total", max_rounds=1)
    try:
        solution = solve(top_k(problem, 1), config, pricer)
    except SolverError as error:  # a quota still missed when the rounds ran out
        missed = str(error)
    else:
        missed = ""
    if missed:
        assert "max_rounds" in missed
        return
    validate(top_k(problem, 1), solution)
    best = milp_optimum(problem, "total").total
    assert solution.total_score <= best + 1e-9
    assert solution.upper_bound >= best - 1e-9


@pytest.mark.parametrize("seed", range(24))
def test_the_dual_bound_equals_the_optimum_with_binding_quotas(seed: int) -> None:
    """Strong duality: at a certified optimum the Lagrangian bound, before any rounding
    up to the total, is the optimum itself. Each of its terms (the members' prices that
    may be negative, the groups' allowances, the members' other ways out) is needed: a
    missing one puts the bound below the optimum, an extra one above it."""
    problem = _with_disjoint_quotas(seed, 1 + seed % 3)
    objective = "coverage" if seed % 2 else "total"
    if not _meetable(problem, objective):
        return
    residual = prepare(problem)
    residual = dataclasses.replace(residual, groups=quota_groups(problem, residual))
    outcome = solve_with_pricing(
        WorkArcs.from_problem(problem, residual),
        residual,
        coverage=objective == "coverage",
        pricer=DensePricer(dense_scores(problem)),  # every pair present: certifies at once
        max_rounds=10,
    )
    assert outcome.certified
    assert not outcome.shortfall.any()
    total = float(outcome.arcs.score[outcome.chosen].sum())
    assert outcome.upper_bound == pytest.approx(total, abs=1e-7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    groups=st.integers(1, 3),
    objective=st.sampled_from(["total", "coverage", "fair"]),
    pricing=st.sampled_from(["none", "one per mentee"]),
)
def test_any_disjoint_quotas_are_met_optimally_or_proven_unmeetable(
    seed: int, groups: int, objective: str, pricing: str
) -> None:
    _check(_with_disjoint_quotas(seed, groups), objective, pricing)


def test_a_binding_quota_moves_the_seat_to_a_member() -> None:
    problem = dataclasses.replace(
        one_seat_for_three(), quotas=(QuotaConstraint("members", np.array([1, 2]), 1),)
    )
    for objective in ("total", "coverage"):
        solution = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
        assert solution.mentee_idx.tolist() == [1]  # the better-scoring member
        assert solution.status == "optimal"
        assert solution.upper_bound == pytest.approx(0.4)


def test_an_unmeetable_quota_is_named_with_its_shortfall() -> None:
    problem = dataclasses.replace(
        one_seat_for_three(),
        quotas=(
            QuotaConstraint("cooperative=yes", np.array([1, 2]), 2),
            QuotaConstraint("fine", np.array([0]), 0),
        ),
    )
    with pytest.raises(RuleError, match="'cooperative=yes'") as info:
        solve(problem, SolverConfig())
    message = str(info.value)
    assert "with the allowed pairs" in message
    assert "needs 2 more members matched, 1 short" in message
    assert "'fine'" not in message


def test_a_quota_larger_than_its_group_is_refused_before_solving() -> None:
    problem = dataclasses.replace(
        one_seat_for_three(), quotas=(QuotaConstraint("members", np.array([1, 2]), 3),)
    )
    with pytest.raises(RuleError, match=r"'members'.*still wanting one"):
        solve(problem, SolverConfig())


def test_a_locked_member_counts_as_matched() -> None:
    """Member 1 is locked to the only seat: the quota of one member is met already."""
    problem = dataclasses.replace(
        one_seat_for_three(),
        arc_locked=np.array([False, True, False]),
        quotas=(QuotaConstraint("members", np.array([1, 2]), 1),),
    )
    solution = solve(problem, SolverConfig())
    assert solution.mentee_idx.tolist() == [1]
    assert solution.status == "optimal"


def _member_outside_her_candidates() -> AssignmentProblem:
    """Mentee 0 is locked to mentor 0; member 1's other mentor (1) scores too low to be
    among her best one."""
    return AssignmentProblem(
        n_mentees=2,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([0.9, 0.8, 0.1])),
        demand=np.ones(2, np.int64),
        capacity=np.array([1, 1]),
        min_load=np.zeros(2, np.int64),
        arc_locked=np.array([True, False, False]),
        quotas=(QuotaConstraint("members", np.array([1]), 1),),
    )


def test_pairs_outside_the_candidates_can_meet_a_quota() -> None:
    """The certificate prices the member's free mentor in rather than declaring the
    quota unmeetable on the candidates."""
    problem = _member_outside_her_candidates()
    candidates = top_k(problem, 1)
    assert candidates.n_arcs == 2  # (0, 0) locked, (1, 0) taken
    solution = solve(candidates, SolverConfig(), DensePricer(dense_scores(problem), 1))
    pairs = sorted(zip(solution.mentee_idx.tolist(), solution.mentor_idx.tolist(), strict=True))
    assert pairs == [(0, 0), (1, 1)]
    assert solution.status == "optimal"


def test_without_the_certificate_a_quota_error_names_the_candidates() -> None:
    problem = _member_outside_her_candidates()
    with pytest.raises(RuleError, match="with the candidate pairs \\(certify is off\\)"):
        solve(top_k(problem, 1), SolverConfig(certify=False), DensePricer(dense_scores(problem)))


def test_min_cost_flow_refuses_quotas_it_cannot_enforce() -> None:
    problem = dataclasses.replace(
        one_seat_for_three(),
        quotas=(
            QuotaConstraint("a", np.array([0, 1]), 1),
            QuotaConstraint("b", np.array([1, 2]), 1),
        ),
    )
    with pytest.raises(RuleError, match="'a' and 'b' share mentees"):
        solve(problem, SolverConfig(method="min_cost_flow"))
    with pytest.raises(RuleError, match="stable method cannot honour quotas"):
        solve(problem, SolverConfig(method="stable"))


@pytest.mark.parametrize("seed", range(6))
def test_overlapping_quotas_are_still_solved_exactly(seed: int) -> None:
    """Groups sharing mentees: the flow cannot enforce them, CP-SAT (auto) does."""
    problem = _with_disjoint_quotas(seed, 1)
    n = problem.n_mentees
    first, second = np.arange(0, n // 2 + 1), np.arange(n // 3, n)  # overlapping
    for share in (0.6, 0.4, 0.2, 0.0):
        quotas = tuple(
            QuotaConstraint(name, group.astype(np.int64), int(share * group.size))
            for name, group in (("first", first), ("second", second))
        )
        candidate = dataclasses.replace(problem, quotas=quotas)
        if _meetable(candidate, "total"):
            break
    solution = solve(candidate, SolverConfig(objective="total", time_limit_seconds=20))
    assert "quota_groups" not in solution.stats
    validate(candidate, solution)
    assert solution.status == "optimal"
    assert_same_levels(
        solution_levels(candidate, solution, "total"), milp_optimum(candidate, "total")
    )
