"""Random assignment problems for the solver tests (seeded, small)."""

from __future__ import annotations

import numpy as np

from matching.solver import AssignmentProblem, QuotaConstraint, ScoredPairs


def random_problem(
    rng: np.random.Generator,
    n_mentees: int,
    n_mentors: int,
    *,
    density: float = 0.6,
    max_demand: int = 1,
    max_capacity: int = 2,
    min_loads: bool = False,
    locked: int = 0,
    incumbent: float = 0.0,
    distinct: bool = False,
    quotas: int = 0,
    score_levels: int | None = None,
) -> AssignmentProblem:
    """A random sparse instance; scores on a coarse grid unless ``distinct``."""
    mask = rng.random((n_mentees, n_mentors)) < density
    mentee, mentor = np.nonzero(mask)
    mentee, mentor = mentee.astype(np.int64), mentor.astype(np.int64)
    if distinct:
        # Generic reals: no two sets of pairs share a total, so the optimum is unique.
        score = rng.random(mentee.size) + 0.01
    elif score_levels:
        score = rng.integers(0, score_levels, mentee.size) / score_levels
    else:
        score = np.round(rng.random(mentee.size), 3)
    demand = rng.integers(1, max_demand + 1, n_mentees).astype(np.int64)
    capacity = rng.integers(0, max_capacity + 1, n_mentors).astype(np.int64)
    min_load = (
        np.minimum(rng.integers(0, 2, n_mentors), capacity).astype(np.int64)
        if min_loads
        else np.zeros(n_mentors, np.int64)
    )
    arc_locked = np.zeros(mentee.size, dtype=bool)
    if locked and mentee.size:
        # Lock a few arcs that fit demand and capacity.
        used_i = np.zeros(n_mentees, np.int64)
        used_j = np.zeros(n_mentors, np.int64)
        for a in rng.permutation(mentee.size)[: locked * 3].tolist():
            i, j = mentee[a], mentor[a]
            if used_i[i] < demand[i] and used_j[j] < capacity[j] and arc_locked.sum() < locked:
                arc_locked[a] = True
                used_i[i] += 1
                used_j[j] += 1
    arc_incumbent = rng.random(mentee.size) < incumbent if incumbent else None
    quota_list = []
    for q in range(quotas):
        members = np.flatnonzero(rng.random(n_mentees) < 0.4).astype(np.int64)
        quota_list.append(
            QuotaConstraint(f"group{q}", members, int(rng.integers(0, members.size + 1)))
        )
    return AssignmentProblem(
        n_mentees=n_mentees,
        n_mentors=n_mentors,
        arcs=ScoredPairs.of(mentee, mentor, score),
        demand=demand,
        capacity=capacity,
        min_load=min_load,
        arc_locked=arc_locked,
        quotas=tuple(quota_list),
        arc_incumbent=arc_incumbent,
    )


def one_seat_for_three() -> AssignmentProblem:
    """Mentees 0, 1 and 2 (scores 0.5, 0.4, 0.3) compete for the one seat of one mentor."""
    return AssignmentProblem(
        n_mentees=3,
        n_mentors=1,
        arcs=ScoredPairs.of(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([0.5, 0.4, 0.3])),
        demand=np.ones(3, np.int64),
        capacity=np.array([1]),
        min_load=np.array([0]),
        arc_locked=np.zeros(3, dtype=bool),
    )
