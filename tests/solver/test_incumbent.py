"""Incumbent pairs: among optimal solutions, the one that keeps most of them."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from matching.solver import AssignmentProblem, ScoredPairs, SolverConfig, solve, validate
from tests.solver.helpers import chosen_mask
from tests.solver.instances import random_problem
from tests.solver.oracles import brute_force, levels_of


def test_ties_are_broken_towards_the_incumbent_pairs() -> None:
    # Two mentees, two mentors, all scores equal: both perfect matchings are optimal.
    base = AssignmentProblem(
        n_mentees=2,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.full(4, 0.5)),
        demand=np.array([1, 1]),
        capacity=np.array([1, 1]),
        min_load=np.array([0, 0]),
        arc_locked=np.zeros(4, dtype=bool),
    )
    for incumbent in ([True, False, False, True], [False, True, True, False]):
        problem = dataclasses.replace(base, arc_incumbent=np.array(incumbent))
        solution = solve(problem, SolverConfig())
        assert chosen_mask(problem, solution).tolist() == incumbent


def test_incumbents_never_cost_score() -> None:
    problem = AssignmentProblem(
        n_mentees=1,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 0]), np.array([0, 1]), np.array([0.4, 0.6])),
        demand=np.array([1]),
        capacity=np.array([1, 1]),
        min_load=np.array([0, 0]),
        arc_locked=np.zeros(2, dtype=bool),
        arc_incumbent=np.array([True, False]),
    )
    assert solve(problem, SolverConfig()).mentor_idx.tolist() == [1]


@pytest.mark.parametrize("seed", range(40))
def test_most_incumbents_among_optimal_solutions(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    while True:
        problem = random_problem(
            rng,
            int(rng.integers(2, 6)),
            int(rng.integers(2, 4)),
            density=0.6,
            max_capacity=2,
            incumbent=0.5,
            score_levels=2,
        )
        if 0 < problem.n_arcs <= 11:
            break
    for objective in ("total", "coverage"):
        solution = solve(problem, SolverConfig(objective=objective))
        validate(problem, solution)
        best = brute_force(problem, objective)
        assert best is not None
        chosen = chosen_mask(problem, solution)
        kept = int((chosen & problem.arc_incumbent).sum())
        most = 0
        for bits in itertools.product((False, True), repeat=problem.n_arcs):
            mask = np.array(bits, dtype=bool)
            load_i = np.bincount(problem.arc_mentee[mask], minlength=problem.n_mentees)
            load_j = np.bincount(problem.arc_mentor[mask], minlength=problem.n_mentors)
            if (load_i > problem.demand).any() or (load_j > problem.capacity).any():
                continue
            levels = levels_of(problem, mask, objective)
            if levels.matched == best.matched and np.isclose(levels.total, best.total):
                most = max(most, int((mask & problem.arc_incumbent).sum()))
        assert kept == most
