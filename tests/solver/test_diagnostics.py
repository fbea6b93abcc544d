"""Components of the allowed-pair graph and Hall-violator bottlenecks."""

from __future__ import annotations

import networkx as nx
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.solver import (
    ScoredPairs,
    SolverConfig,
    allowed_graph,
    connected_components,
    find_bottleneck,
    solve,
)
from tests.solver.instances import random_problem


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_components_match_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = random_problem(rng, int(rng.integers(1, 30)), int(rng.integers(1, 10)), density=0.08)
    got = connected_components(problem)
    graph = allowed_graph(problem)
    want = sorted(
        sorted(i for side, i in part if side == "mentee")
        for part in nx.connected_components(graph)
        if any(side == "mentor" for side, _ in part) and any(side == "mentee" for side, _ in part)
    )
    assert [part.tolist() for part in got] == want


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_bottleneck_is_a_hall_violator_that_explains_the_unmatched(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem = random_problem(
        rng, int(rng.integers(1, 25)), int(rng.integers(1, 8)), density=0.3, max_capacity=2
    )
    found = find_bottleneck(
        problem.arc_mentee, problem.arc_mentor, problem.demand, problem.capacity
    )
    best = solve(problem, SolverConfig(objective="coverage"))
    degree = np.bincount(problem.arc_mentee, minlength=problem.n_mentees)
    reachable_units = int(np.minimum(problem.demand, degree).sum())
    if found is None:
        assert best.matched == reachable_units
        return
    assert found.shortfall > 0
    # Every allowed mentor of the group is listed, and the group's unmet units are exactly
    # the shortfall of the whole matching.
    in_group = np.isin(problem.arc_mentee, found.mentees)
    assert set(problem.arc_mentor[in_group].tolist()) <= set(found.mentors.tolist())
    assert found.seats == int(problem.capacity[found.mentors].sum())
    assert reachable_units - best.matched == found.shortfall


def test_two_language_communities_are_two_components() -> None:
    from matching.solver import AssignmentProblem

    problem = AssignmentProblem(
        n_mentees=4,
        n_mentors=2,
        arcs=ScoredPairs.of(np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]), np.full(4, 0.5)),
        demand=np.ones(4, np.int64),
        capacity=np.ones(2, np.int64),
        min_load=np.zeros(2, np.int64),
        arc_locked=np.zeros(4, bool),
    )
    assert [c.tolist() for c in connected_components(problem)] == [[0, 1], [2, 3]]
    bottleneck = find_bottleneck(
        problem.arc_mentee, problem.arc_mentor, problem.demand, problem.capacity
    )
    assert bottleneck is not None
    assert bottleneck.shortfall == 2
