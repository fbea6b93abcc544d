"""Soft quotas: a penalty per member short, traded against the pairs' scores, in every
solver path (the flow's quota groups, Lagrangian flows beside a hard quota, CP-SAT), and
still certified: the MILP oracle's optimum of the score less the penalties, over every
allowed pair when candidates are pruned."""

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
from tests.solver.helpers import assert_same_levels, solution_levels
from tests.solver.instances import random_problem
from tests.solver.oracles import milp_optimum
from tests.solver.pricers import DensePricer, dense_scores, top_k


def _with_quotas(seed: int, layout: str, kinds: tuple[str, str]) -> AssignmentProblem:
    """A small random problem (scarce seats, members' pairs scoring low) with two quotas:
    on ``disjoint`` groups or ``overlapping`` ones, each ``hard`` or ``soft`` (penalty
    drawn from small to large), asking up to the whole group."""
    rng = np.random.default_rng(9100 + seed)
    problem = random_problem(
        rng,
        int(rng.integers(5, 14)),
        int(rng.integers(2, 5)),
        density=float(rng.choice([0.4, 0.7])),
        max_demand=2 if seed % 4 == 3 else 1,
        max_capacity=2,
        locked=seed % 2,
    )
    n = problem.n_mentees
    if layout == "disjoint":
        label = rng.integers(-1, 2, n)
        groups = [np.flatnonzero(label == g) for g in (0, 1)]
    else:
        groups = [np.arange(0, n // 2 + 1), np.arange(n // 3, n)]
    member = np.isin(problem.arc_mentee, np.concatenate(groups))
    score = np.where(member, problem.arc_score * 0.4, problem.arc_score)
    problem = dataclasses.replace(problem, arcs=problem.arcs.with_scores(np.round(score, 3)))
    quotas = []
    for g, (kind, members) in enumerate(zip(kinds, groups, strict=True)):
        required = int(rng.integers(0, members.size + 1))
        penalty = float(rng.choice([0.05, 0.3, 1.5]))
        quotas.append(
            QuotaConstraint(
                f"group{g}", members.astype(np.int64), required, kind == "hard", penalty
            )
        )
    return dataclasses.replace(problem, quotas=tuple(quotas))


def _meetable(problem: AssignmentProblem, objective: str) -> bool:
    try:
        milp_optimum(problem, objective)
    except AssertionError:
        return False
    return True


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    layout=st.sampled_from(["disjoint", "overlapping"]),
    kinds=st.sampled_from([("soft", "soft"), ("soft", "hard"), ("hard", "soft")]),
    objective=st.sampled_from(["total", "coverage", "fair"]),
    pricing=st.sampled_from(["none", "pruned"]),
)
def test_soft_and_hard_quotas_give_the_oracle_optimum_of_the_penalised_score(
    seed: int, layout: str, kinds: tuple[str, str], objective: str, pricing: str
) -> None:
    problem = _with_quotas(seed, layout, kinds)
    config = SolverConfig(objective=objective, time_limit_seconds=20)  # type: ignore[arg-type]
    given_problem, pricer = problem, None
    if pricing == "pruned":
        given_problem = top_k(problem, 1)
        pricer = DensePricer(dense_scores(problem), 1)
    if not _meetable(problem, objective):  # a hard quota no assignment meets
        with pytest.raises(RuleError, match=r"cannot (all )?be met"):
            solve(given_problem, config, pricer)
        return
    solution = solve(given_problem, config, pricer)
    validate(given_problem, solution)  # hard quotas met; penalty, bound and gap consistent
    assert solution.status == "optimal", solution.method
    assert solution.gap == pytest.approx(0.0, abs=1e-9)
    best = milp_optimum(problem, objective)
    assert_same_levels(solution_levels(problem, solution, objective), best)
    assert solution.value == pytest.approx(best.total, abs=1e-6)


def _one_seat(penalty: float, hard: bool = False) -> AssignmentProblem:
    """One mentor with one seat; mentee 0 (a member) scores 0.2 with him, mentee 1 0.9."""
    return AssignmentProblem(
        n_mentees=2,
        n_mentors=1,
        arcs=ScoredPairs.of(
            np.array([0, 1], np.int64), np.array([0, 0], np.int64), np.array([0.2, 0.9])
        ),
        demand=np.ones(2, np.int64),
        capacity=np.ones(1, np.int64),
        min_load=np.zeros(1, np.int64),
        arc_locked=np.zeros(2, bool),
        quotas=(QuotaConstraint("status=coop", np.array([0], np.int64), 1, hard, penalty),),
    )


@pytest.mark.parametrize("objective", ["total", "coverage"])
def test_a_soft_quota_gives_the_seat_to_a_member_only_when_its_penalty_outweighs_the_gain(
    objective: str,
) -> None:
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    cheap = solve(_one_seat(0.5), config)  # 0.9 - 0.5 > 0.2: the member stays out
    assert cheap.mentee_idx.tolist() == [1]
    assert (cheap.penalty, cheap.value, cheap.status) == (0.5, pytest.approx(0.4), "optimal")
    dear = solve(_one_seat(1.0), config)  # 0.2 > 0.9 - 1.0: the member gets the seat
    assert dear.mentee_idx.tolist() == [0]
    assert (dear.penalty, dear.value) == (0.0, pytest.approx(0.2))
    for solution, penalty in ((cheap, 0.5), (dear, 1.0)):
        validate(_one_seat(penalty), solution)


def test_a_soft_quota_asking_more_members_than_can_be_matched_costs_them_instead_of_refusing() -> (
    None
):
    problem = _one_seat(0.25)
    problem = dataclasses.replace(
        problem,
        quotas=(QuotaConstraint("both", np.array([0, 1], np.int64), 2, False, 0.25),),
    )
    solution = solve(problem, SolverConfig(objective="total"))
    assert solution.mentee_idx.tolist() == [1]
    assert solution.penalty == pytest.approx(0.25)  # one of the two can never be matched
    with pytest.raises(RuleError, match="cannot be met"):
        solve(
            dataclasses.replace(
                problem, quotas=(dataclasses.replace(problem.quotas[0], hard=True),)
            ),
            SolverConfig(),
        )


def test_the_validator_refuses_a_penalty_that_does_not_match_the_pairs() -> None:
    problem = _one_seat(0.5)
    solution = solve(problem, SolverConfig(objective="total"))
    wrong = dataclasses.replace(solution, penalty=0.0, gap=0.0, upper_bound=0.9)
    with pytest.raises(SolverError, match="penalty"):
        validate(problem, wrong)
