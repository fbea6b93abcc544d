"""Invariants on random instances (hypothesis): feasibility, rules, validator, permutations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.errors import RuleError, SolverError
from matching.solver import AssignmentProblem, ScoredPairs, SolverConfig, solve, validate
from tests.solver.instances import random_problem

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
objectives = st.sampled_from(["total", "coverage", "fair"])


@st.composite
def problems(draw: st.DrawFn, distinct: bool = False) -> AssignmentProblem:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return random_problem(
        rng,
        draw(st.integers(1, 25)),
        draw(st.integers(1, 8)),
        density=draw(st.floats(0.05, 0.9)),
        max_demand=draw(st.integers(1, 3)),
        max_capacity=draw(st.integers(0, 4)),
        min_loads=draw(st.booleans()),
        locked=draw(st.integers(0, 3)),
        distinct=distinct,
    )


@SETTINGS
@given(problems(), objectives)
def test_every_solution_is_valid_and_keeps_locked_pairs(
    problem: AssignmentProblem, objective: str
) -> None:
    solution = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
    validate(problem, solution)  # capacities, demands, arcs only, locked kept, totals
    key = solution.mentee_idx * problem.n_mentors + solution.mentor_idx
    locked = problem.arc_mentee * problem.n_mentors + problem.arc_mentor
    assert np.isin(locked[problem.arc_locked], key).all()
    assert solution.status == "optimal"
    assert solution.upper_bound >= solution.total_score


@SETTINGS
@given(problems(), st.data())
def test_a_pair_absent_from_the_arcs_is_never_chosen(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    # Forbidden pairs are simply absent: dropping arcs must drop them from the result.
    drop = data.draw(st.lists(st.integers(0, max(problem.n_arcs - 1, 0)), max_size=5))
    keep = np.ones(problem.n_arcs, dtype=bool)
    keep[[d for d in drop if d < problem.n_arcs]] = False
    keep |= problem.arc_locked
    sub = _subset(problem, keep)
    solution = solve(sub, SolverConfig())
    forbidden = list(
        zip(problem.arc_mentee[~keep].tolist(), problem.arc_mentor[~keep].tolist(), strict=True)
    )
    validate(sub, solution, forbidden=forbidden)


@SETTINGS
@given(problems(), objectives, st.integers(0, 5))
def test_validator_rejects_corrupted_solutions(
    problem: AssignmentProblem, objective: str, corruption: int
) -> None:
    solution = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
    bad = _corrupt(problem, solution, corruption)
    if bad is None:
        return
    with pytest.raises(SolverError):
        validate(problem, bad)


@SETTINGS
@given(problems(distinct=True), objectives, st.integers(0, 2**32 - 1))
def test_permuting_mentees_and_mentors_permutes_the_answer(
    problem: AssignmentProblem, objective: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    p_mentee = rng.permutation(problem.n_mentees)  # new index of each old mentee
    p_mentor = rng.permutation(problem.n_mentors)
    arcs = rng.permutation(problem.n_arcs)
    permuted = AssignmentProblem(
        n_mentees=problem.n_mentees,
        n_mentors=problem.n_mentors,
        arcs=ScoredPairs.of(
            p_mentee[problem.arc_mentee][arcs],
            p_mentor[problem.arc_mentor][arcs],
            problem.arc_score[arcs],
        ),
        demand=_inverse(problem.demand, p_mentee),
        capacity=_inverse(problem.capacity, p_mentor),
        min_load=_inverse(problem.min_load, p_mentor),
        arc_locked=problem.arc_locked[arcs],
    )
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    original, moved = solve(problem, config), solve(permuted, config)
    assert moved.total_score == pytest.approx(original.total_score, rel=1e-12, abs=1e-12)
    assert moved.matched == original.matched
    # Distinct scores: the optimum is unique for total, so the pairs map onto each other.
    if objective == "total":
        expected = set(
            zip(
                p_mentee[original.mentee_idx].tolist(),
                p_mentor[original.mentor_idx].tolist(),
                strict=True,
            )
        )
        assert set(zip(moved.mentee_idx.tolist(), moved.mentor_idx.tolist(), strict=True)) == (
            expected
        )


@SETTINGS
@given(problems(), objectives)
def test_same_arrays_give_the_same_pairs(problem: AssignmentProblem, objective: str) -> None:
    config = SolverConfig(objective=objective)  # type: ignore[arg-type]
    first, second = solve(problem, config), solve(problem, config)
    assert np.array_equal(first.mentee_idx, second.mentee_idx)
    assert np.array_equal(first.mentor_idx, second.mentor_idx)
    shuffled = _subset(problem, np.ones(problem.n_arcs, bool), np.random.default_rng(1))
    third = solve(shuffled, config)
    assert np.array_equal(first.mentee_idx, third.mentee_idx)
    assert np.array_equal(first.mentor_idx, third.mentor_idx)


def test_locked_pairs_beyond_a_capacity_are_a_rule_error() -> None:
    problem = AssignmentProblem(
        n_mentees=2,
        n_mentors=1,
        arcs=ScoredPairs.of(np.array([0, 1]), np.array([0, 0]), np.array([0.5, 0.5])),
        demand=np.array([1, 1]),
        capacity=np.array([1]),
        min_load=np.array([0]),
        arc_locked=np.array([True, True]),
    )
    with pytest.raises(RuleError, match="capacity"):
        solve(problem, SolverConfig())


def test_min_loads_are_met_before_coverage_when_possible() -> None:
    # Mentor 1 has min_load 1 and only mentee 0 can reach her; mentee 0 prefers mentor 0.
    problem = AssignmentProblem(
        n_mentees=1,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 0]), np.array([0, 1]), np.array([0.9, 0.1])),
        demand=np.array([1]),
        capacity=np.array([1, 1]),
        min_load=np.array([0, 1]),
        arc_locked=np.zeros(2, dtype=bool),
    )
    for objective in ("total", "coverage", "fair"):
        solution = solve(problem, SolverConfig(objective=objective))  # type: ignore[arg-type]
        validate(problem, solution, min_load_required=True)
        assert solution.mentor_idx.tolist() == [1]


def _inverse(values: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[permutation] = values
    return out


def _subset(
    problem: AssignmentProblem, keep: np.ndarray, rng: np.random.Generator | None = None
) -> AssignmentProblem:
    index = np.flatnonzero(keep)
    if rng is not None:
        index = rng.permutation(index)
    incumbent = None if problem.arc_incumbent is None else problem.arc_incumbent[index]
    return dataclasses.replace(
        problem,
        arcs=ScoredPairs.of(
            problem.arc_mentee[index], problem.arc_mentor[index], problem.arc_score[index]
        ),
        arc_locked=problem.arc_locked[index],
        arc_incumbent=incumbent,
    )


def _corrupt(problem: AssignmentProblem, solution, kind: int):  # type: ignore[no-untyped-def]
    """A solution broken in one way, or None when this instance cannot show it."""
    replace = dataclasses.replace
    if kind == 0 and solution.matched:  # total inconsistent
        return replace(solution, total_score=solution.total_score + 1.0)
    if kind == 1 and solution.matched:  # duplicate pair
        return replace(
            solution,
            mentee_idx=np.r_[solution.mentee_idx, solution.mentee_idx[:1]],
            mentor_idx=np.r_[solution.mentor_idx, solution.mentor_idx[:1]],
            score=np.r_[solution.score, solution.score[:1]],
            total_score=float(solution.score.sum() + solution.score[0]),
        )
    if kind == 2:  # a pair that is not an arc
        key = set(zip(problem.arc_mentee.tolist(), problem.arc_mentor.tolist(), strict=True))
        for i in range(problem.n_mentees):
            for j in range(problem.n_mentors):
                if (i, j) not in key:
                    return replace(
                        solution,
                        mentee_idx=np.r_[solution.mentee_idx, i],
                        mentor_idx=np.r_[solution.mentor_idx, j],
                        score=np.r_[solution.score, 0.0],
                    )
        return None
    if kind == 3 and problem.arc_locked.any():  # drop the locked pairs
        key = solution.mentee_idx * problem.n_mentors + solution.mentor_idx
        locked = (problem.arc_mentee * problem.n_mentors + problem.arc_mentor)[problem.arc_locked]
        keep = ~np.isin(key, locked)
        return replace(
            solution,
            mentee_idx=solution.mentee_idx[keep],
            mentor_idx=solution.mentor_idx[keep],
            score=solution.score[keep],
            total_score=float(solution.score[keep].sum()),
            upper_bound=float(solution.upper_bound),
            gap=(solution.upper_bound - float(solution.score[keep].sum()))
            / max(1.0, abs(solution.upper_bound)),
        )
    if kind == 4:  # every arc chosen: exceeds a demand or capacity if any is binding
        load_i = np.bincount(problem.arc_mentee, minlength=problem.n_mentees)
        load_j = np.bincount(problem.arc_mentor, minlength=problem.n_mentors)
        if (load_i > problem.demand).any() or (load_j > problem.capacity).any():
            total = float(problem.arc_score.sum())
            return replace(
                solution,
                mentee_idx=problem.arc_mentee,
                mentor_idx=problem.arc_mentor,
                score=problem.arc_score,
                total_score=total,
                upper_bound=max(total, solution.upper_bound),
                gap=0.0,
            )
        return None
    if kind == 5 and solution.matched:  # a score that is not the arc's
        return replace(solution, score=solution.score + 0.25)
    return None
