"""Locked pairs and canonical arc order: what every solver does before it builds a model.

Locked pairs are taken out of the problem up front (they are in every solution): each
one uses a unit of its mentee's demand and of its mentor's capacity and counts towards
the mentor's minimum load. What remains is a *residual* problem on the free arcs, sorted
by (mentee, mentor) so that the same arrays always produce the same model (ties are then
broken by index, whatever order the arcs came in).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.errors import RuleError
from matching.solver._network import QuotaGroups
from matching.solver._problem import AssignmentProblem, BoolArray, IntArray


@dataclass(frozen=True)
class Residual:
    """The free part of a problem once locked pairs are assigned."""

    free: IntArray
    """Indices into the problem's arcs of the free (not locked) arcs, in (mentee, mentor) order."""
    locked: IntArray
    """Indices into the problem's arcs of the locked arcs, in (mentee, mentor) order."""
    demand: IntArray
    capacity: IntArray
    min_load: IntArray
    groups: QuotaGroups | None = None
    """Quotas the flow network enforces (:mod:`._quota_flow`); None: quotas are left to
    the caller (or there are none)."""

    def incumbent(self, problem: AssignmentProblem) -> BoolArray:
        """Incumbent flags of the free arcs (all False when the problem has none)."""
        if problem.arc_incumbent is None:
            return np.zeros(self.free.size, dtype=bool)
        return np.asarray(problem.arc_incumbent, dtype=bool)[self.free]

    def locked_score(self, problem: AssignmentProblem) -> float:
        """Sum of the locked pairs' scores."""
        return float(problem.arcs.score[self.locked].sum())


def prepare(problem: AssignmentProblem) -> Residual:
    """Assign the locked pairs and return the residual problem on the free arcs.

    Raises
    ------
    RuleError
        Locked pairs exceed a mentee's demand or a mentor's capacity.
    """
    check_shapes(problem)
    mentee, mentor = problem.arcs.mentee, problem.arcs.mentor
    order = _key_order(problem.arcs.keys(problem.n_mentors))
    locked_mask = np.asarray(problem.arc_locked, dtype=bool)[order]
    locked, free = order[locked_mask], order[~locked_mask]
    per_mentee = np.bincount(mentee[locked], minlength=problem.n_mentees)
    per_mentor = np.bincount(mentor[locked], minlength=problem.n_mentors)
    demand = np.asarray(problem.demand, dtype=np.int64) - per_mentee
    capacity = np.asarray(problem.capacity, dtype=np.int64) - per_mentor
    if (demand < 0).any():
        count = int((demand < 0).sum())
        raise RuleError(f"locked pairs exceed the demand of {count} mentee(s)")
    if (capacity < 0).any():
        count = int((capacity < 0).sum())
        raise RuleError(f"locked pairs exceed the capacity of {count} mentor(s)")
    min_load = np.minimum(
        np.maximum(np.asarray(problem.min_load, dtype=np.int64) - per_mentor, 0), capacity
    )
    return Residual(free, locked, demand, capacity, min_load)


def check_shapes(problem: AssignmentProblem) -> None:
    """Refuse flags of another length than the arcs (whose own arrays agree by
    construction), out-of-range indices or duplicate pairs."""
    n = problem.n_arcs
    if np.asarray(problem.arc_locked).shape != (n,):
        raise RuleError("arc_locked differs in length from the arcs")
    if problem.arc_incumbent is not None and np.asarray(problem.arc_incumbent).shape != (n,):
        raise RuleError("arc_incumbent differs in length from the arcs")
    if np.asarray(problem.demand).shape != (problem.n_mentees,):
        raise RuleError("demand must have one entry per mentee")
    for name in ("capacity", "min_load"):
        if np.asarray(getattr(problem, name)).shape != (problem.n_mentors,):
            raise RuleError(f"{name} must have one entry per mentor")
    mentee, mentor, score = problem.arcs.arrays()
    if n and (
        mentee.min() < 0
        or mentor.min() < 0
        or mentee.max() >= problem.n_mentees
        or mentor.max() >= problem.n_mentors
    ):
        raise RuleError("an arc refers to a mentee or mentor index out of range")
    if not np.isfinite(score).all() or (n and score.min() < 0):
        raise RuleError("arc scores must be finite and >= 0")
    key = problem.arcs.keys(problem.n_mentors)
    if _increasing(key):
        return  # distinct (candidate graphs come sorted: no sort needed)
    key = np.sort(key)
    # Sorted neighbours, not np.unique: numpy 2's hashing unique takes ~1 s on 700k keys.
    if n and bool((key[1:] == key[:-1]).any()):
        raise RuleError("a (mentee, mentor) pair has more than one arc")


def _increasing(key: IntArray) -> bool:
    """Whether ``key`` is strictly increasing (then it is sorted and distinct)."""
    return bool(np.all(key[1:] > key[:-1]))


def _key_order(key: IntArray) -> IntArray:
    """The order sorting arcs by key, i.e. by (mentee, mentor); the identity when they
    already are."""
    if _increasing(key):
        return np.arange(key.size, dtype=np.int64)
    return np.argsort(key, kind="stable")
