"""Independent oracles for the solver tests: brute force and a MILP (scipy HiGHS).

They know nothing of the solver: they take the problem's arrays and return the optimal
levels of an objective — (min-load units, matched units, lowest score, total) in the
order of priority that the objective uses (absent levels are None). Soft quotas cost
their penalty per member short at the score level: ``total`` is the score less them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from matching.solver import AssignmentProblem


@dataclass(frozen=True)
class Levels:
    """The optimal value of each level of an objective."""

    min_load: int
    matched: int | None
    lowest: float | None
    total: float


def levels_of(problem: AssignmentProblem, chosen: NDArray[np.bool_], objective: str) -> Levels:
    """The levels reached by a set of chosen arcs."""
    load = np.bincount(problem.arc_mentor[chosen], minlength=problem.n_mentors)
    min_load = int(np.minimum(load, problem.min_load).sum())
    scores = problem.arc_score[chosen]
    matched = int(chosen.sum()) if objective in ("coverage", "fair") else None
    lowest = None
    if objective == "fair":
        lowest = float(scores.min()) if scores.size else None
    per_mentee = np.bincount(problem.arc_mentee[chosen], minlength=problem.n_mentees)
    penalty = sum(
        q.penalty * max(0, q.min_matched - int((per_mentee[q.mentees] > 0).sum()))
        for q in problem.quotas
        if not q.hard
    )
    return Levels(min_load, matched, lowest, float(scores.sum()) - penalty)


def _feasible(problem: AssignmentProblem, chosen: NDArray[np.bool_]) -> bool:
    """Demand, capacity, locked pairs and quotas hold."""
    per_mentee = np.bincount(problem.arc_mentee[chosen], minlength=problem.n_mentees)
    per_mentor = np.bincount(problem.arc_mentor[chosen], minlength=problem.n_mentors)
    if (per_mentee > problem.demand).any() or (per_mentor > problem.capacity).any():
        return False
    if (problem.arc_locked & ~chosen).any():
        return False
    return all((per_mentee[q.mentees] > 0).sum() >= q.min_matched for q in problem.quotas if q.hard)


def _key(levels: Levels) -> tuple[float, ...]:
    """Lexicographic sort key (bigger is better); scores rounded to tolerate float sums."""
    parts: list[float] = [levels.min_load]
    if levels.matched is not None:
        parts.append(levels.matched)
    if levels.lowest is not None or levels.matched is not None:
        parts.append(round(levels.lowest, 9) if levels.lowest is not None else np.inf)
    parts.append(round(levels.total, 9))
    return tuple(parts)


def brute_force(problem: AssignmentProblem, objective: str) -> Levels | None:
    """Best levels over every subset of arcs (tiny instances only); None if infeasible."""
    best: Levels | None = None
    for bits in itertools.product((False, True), repeat=problem.n_arcs):
        chosen = np.array(bits, dtype=bool)
        if not _feasible(problem, chosen):
            continue
        levels = levels_of(problem, chosen, objective)
        if objective != "fair":
            levels = Levels(levels.min_load, levels.matched, None, levels.total)
        if best is None or _key(levels) > _key(best):
            best = levels
    return best


def milp_optimum(problem: AssignmentProblem, objective: str) -> Levels:
    """Lexicographic MILP solves with HiGHS (min loads, count, lowest score, total)."""
    n_arcs = problem.n_arcs
    n_mentors = problem.n_mentors
    # Variables: x (arcs), y (min-load units met per mentor), m (mentee matched flags),
    # s (members short of each quota: 0 for a hard one).
    n_quotas = len(problem.quotas)
    n_vars = n_arcs + n_mentors + problem.n_mentees + n_quotas
    cols = np.arange(n_arcs)
    rows: list[LinearConstraint] = []
    mentee_rows = coo_array(
        (np.ones(n_arcs), (problem.arc_mentee, cols)), shape=(problem.n_mentees, n_vars)
    )
    mentor_rows = coo_array(
        (np.ones(n_arcs), (problem.arc_mentor, cols)), shape=(n_mentors, n_vars)
    )
    rows.append(LinearConstraint(mentee_rows, 0, problem.demand))
    rows.append(LinearConstraint(mentor_rows, 0, problem.capacity))
    # y_j <= load_j
    y_rows = coo_array(
        (
            np.concatenate([np.ones(n_mentors), -np.ones(n_arcs)]),
            (
                np.concatenate([np.arange(n_mentors), problem.arc_mentor]),
                np.concatenate([n_arcs + np.arange(n_mentors), cols]),
            ),
        ),
        shape=(n_mentors, n_vars),
    )
    rows.append(LinearConstraint(y_rows, -np.inf, 0))
    # m_i <= matched arcs of i
    base = n_arcs + n_mentors
    m_rows = coo_array(
        (
            np.concatenate([np.ones(problem.n_mentees), -np.ones(n_arcs)]),
            (
                np.concatenate([np.arange(problem.n_mentees), problem.arc_mentee]),
                np.concatenate([base + np.arange(problem.n_mentees), cols]),
            ),
        ),
        shape=(problem.n_mentees, n_vars),
    )
    rows.append(LinearConstraint(m_rows, -np.inf, 0))
    short_base = base + problem.n_mentees
    for q, quota in enumerate(problem.quotas):
        row = np.zeros(n_vars)
        row[base + quota.mentees] = 1
        row[short_base + q] = 1
        rows.append(LinearConstraint(row[None, :], quota.min_matched, np.inf))
    lower = np.zeros(n_vars)
    lower[:n_arcs] = problem.arc_locked
    most_short = [0 if q.hard else q.min_matched for q in problem.quotas]
    upper = np.concatenate(
        [np.ones(n_arcs), problem.min_load, np.ones(problem.n_mentees), most_short]
    )
    bounds = Bounds(lower, upper)
    integrality = np.ones(n_vars)

    def maximise(
        weights: NDArray[np.float64], extra: list[LinearConstraint]
    ) -> NDArray[np.float64]:
        result = milp(
            -weights,
            constraints=rows + extra,
            bounds=bounds,
            integrality=integrality,
            options={"mip_rel_gap": 0},
        )
        assert result.status == 0, result.message
        return np.asarray(result.x)

    fixed: list[LinearConstraint] = []
    w_minload = np.zeros(n_vars)
    w_minload[n_arcs : n_arcs + n_mentors] = 1
    x = maximise(w_minload, fixed)
    min_load = round(float(w_minload @ x))
    fixed.append(LinearConstraint(w_minload[None, :], min_load, min_load))
    matched = lowest = None
    usable = np.ones(n_arcs, dtype=bool)
    if objective in ("coverage", "fair"):
        w_count = np.zeros(n_vars)
        w_count[:n_arcs] = 1
        x = maximise(w_count, fixed)
        matched = round(float(w_count @ x))
        fixed.append(LinearConstraint(w_count[None, :], matched, matched))
    if objective == "fair" and matched:
        for threshold in np.unique(problem.arc_score)[::-1]:
            usable = (problem.arc_score >= threshold) | problem.arc_locked
            ban = np.zeros(n_vars)
            ban[:n_arcs] = ~usable
            try:
                maximise(np.zeros(n_vars), [*fixed, LinearConstraint(ban[None, :], 0, 0)])
            except AssertionError:
                continue
            locked_min = problem.arc_score[problem.arc_locked].min(initial=np.inf)
            lowest = float(min(threshold, locked_min))
            usable = (problem.arc_score >= lowest) | problem.arc_locked
            fixed.append(
                LinearConstraint(
                    ban[None, :] * 0 + np.r_[~usable, np.zeros(n_vars - n_arcs)][None, :], 0, 0
                )
            )
            break
    w_total = np.zeros(n_vars)
    w_total[:n_arcs] = problem.arc_score
    w_total[short_base:] = [0.0 if q.hard else -q.penalty for q in problem.quotas]
    x = maximise(w_total, fixed)
    return Levels(min_load, matched, lowest, float(w_total @ x))
