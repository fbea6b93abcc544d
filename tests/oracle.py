"""An independent optimality oracle for tests: the assignment as a MILP solved by HiGHS.

It knows nothing of the engine: arcs with scores, demands and capacities in; the optimal
objective values out, for each objective (README, "Command line"), by lexicographic solves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

TOL = 1e-7


@dataclass(frozen=True)
class Optimum:
    matched: int
    total: float
    min_score: float | None


def optimum(
    arc_mentee: NDArray[np.int64],
    arc_mentor: NDArray[np.int64],
    arc_score: NDArray[np.float64],
    demand: NDArray[np.int64],
    capacity: NDArray[np.int64],
    objective: str,
) -> Optimum:
    """Optimal (matched pairs, total score, lowest score) for ``objective``."""
    if objective == "total":
        x = _solve(arc_mentee, arc_mentor, arc_score, demand, capacity, arc_score, [])
        return _describe(x, arc_score)
    ones = np.ones_like(arc_score)
    most = _solve(arc_mentee, arc_mentor, arc_score, demand, capacity, ones, [])
    count = round(float(most.sum()))
    fix_count = [(ones, count, count)]
    if objective == "coverage":
        x = _solve(arc_mentee, arc_mentor, arc_score, demand, capacity, arc_score, fix_count)
        return _describe(x, arc_score)
    # fair: the highest threshold at which the maximum count is still reachable
    best_threshold = -np.inf
    for threshold in np.unique(arc_score):
        usable = arc_score >= threshold
        x = _solve(arc_mentee, arc_mentor, arc_score, demand, capacity, ones * usable, [])
        if round(float((x * usable).sum())) == count:
            best_threshold = threshold
    usable = (arc_score >= best_threshold).astype(float)
    x = _solve(
        arc_mentee,
        arc_mentor,
        arc_score,
        demand,
        capacity,
        arc_score,
        [*fix_count, (1 - usable, 0, 0)],
    )
    return _describe(x, arc_score)


def _solve(mentee, mentor, score, demand, capacity, objective, extra):  # type: ignore[no-untyped-def]
    n_arcs = score.size
    rows_mentee = coo_array(
        (np.ones(n_arcs), (mentee, np.arange(n_arcs))), shape=(demand.size, n_arcs)
    )
    rows_mentor = coo_array(
        (np.ones(n_arcs), (mentor, np.arange(n_arcs))), shape=(capacity.size, n_arcs)
    )
    constraints = [
        LinearConstraint(rows_mentee, 0, demand),
        LinearConstraint(rows_mentor, 0, capacity),
    ]
    constraints += [LinearConstraint(row[None, :], lo, hi) for row, lo, hi in extra]
    result = milp(
        -np.asarray(objective, dtype=float),
        constraints=constraints,
        integrality=np.ones(n_arcs),
        bounds=Bounds(0, 1),
    )
    assert result.status == 0, result.message
    return np.round(result.x)


def _describe(x: NDArray[np.float64], score: NDArray[np.float64]) -> Optimum:
    chosen = x > 0.5
    return Optimum(
        matched=int(chosen.sum()),
        total=float(score[chosen].sum()),
        min_score=float(score[chosen].min()) if chosen.any() else None,
    )
