"""The assignment problem, its configuration and its solution: typed, solver-independent.

Indices, not ids: mentees are ``0..n_mentees-1`` and mentors ``0..n_mentors-1`` in the
order of the participant tables; ``matching._pipeline`` maps ids to indices and back.
An *arc* is an allowed (mentee, mentor) pair with its score; a pair that is not an arc
is not allowed (forbidden pairs are simply absent). Every mentee may stay (partly)
unmatched, so the problem is always feasible unless locked pairs or minimum loads
contradict capacities.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from matching._objective import Objective
from matching._pairs import ArcViews, ScoredPairs

__all__ = [
    "ArcPricer",
    "AssignmentProblem",
    "AssignmentSolution",
    "QuotaConstraint",
    "SolverConfig",
    "soft_penalty",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class QuotaConstraint:
    """At least ``min_matched`` of the mentees in ``mentees`` (indices) get a mentor.

    A ``hard`` quota must be met. A soft one may be missed at a cost: the objective's
    score level loses ``penalty`` (score units) per member short of ``min_matched``.
    """

    name: str
    mentees: IntArray
    min_matched: int
    hard: bool = True
    penalty: float = 0.0
    """Soft quotas only: score given up per missing member (>= 0)."""

    def short(self, per_mentee: IntArray) -> int:
        """How many members short of ``min_matched`` a solution is, given its pairs per
        mentee (``per_mentee[i]``)."""
        matched = int((per_mentee[np.asarray(self.mentees, np.int64)] > 0).sum())
        return max(0, int(self.min_matched) - matched)


def soft_penalty(
    quotas: tuple[QuotaConstraint, ...], n_mentees: int, mentee_idx: IntArray
) -> float:
    """The score a solution (its pairs' mentees ``mentee_idx``) gives up to soft quotas."""
    soft = [quota for quota in quotas if not quota.hard]
    if not soft:
        return 0.0
    per_mentee = np.bincount(np.asarray(mentee_idx, np.int64), minlength=n_mentees)
    return float(sum(quota.penalty * quota.short(per_mentee) for quota in soft))


@dataclass(frozen=True)
class AssignmentProblem(ArcViews):
    """Sparse capacity-constrained assignment.

    ``arcs``: the allowed pairs with their scores (float64 in [0, sum of weights]), at
    most one per (mentee, mentor) pair. One flag per arc: ``arc_locked`` (the pair must
    be in the solution) and ``arc_incumbent``. Per mentee: ``demand`` (mentors wanted).
    Per mentor: ``capacity`` and ``min_load``.
    """

    n_mentees: int
    n_mentors: int
    arcs: ScoredPairs
    demand: IntArray
    capacity: IntArray
    min_load: IntArray
    arc_locked: BoolArray
    quotas: tuple[QuotaConstraint, ...] = ()
    arc_incumbent: BoolArray | None = None
    """Pairs of an earlier suggestion: among optimal solutions, keep as many as possible
    (a rematch changes as few pairs as the objective allows)."""

    def with_free_arcs(self, added: ScoredPairs) -> AssignmentProblem:
        """This problem with more arcs, neither locked nor incumbent, after its own."""
        unflagged = np.zeros(added.size, dtype=bool)
        incumbent = self.arc_incumbent
        return replace(
            self,
            arcs=ScoredPairs.concat([self.arcs, added]),
            arc_locked=np.concatenate([self.arc_locked, unflagged]),
            arc_incumbent=None if incumbent is None else np.concatenate([incumbent, unflagged]),
        )


@dataclass(frozen=True)
class SolverConfig:
    """What to optimise and how (built from :class:`matching.model.SolverOptions`)."""

    objective: Objective = "coverage"
    method: Literal["auto", "min_cost_flow", "cp_sat", "stable"] = "auto"
    certify: bool = True
    max_rounds: int = 100
    time_limit_seconds: float = 60.0
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True)
class AssignmentSolution:
    """Chosen pairs and what is known of their optimality.

    ``total_score`` is the sum of the chosen pairs' scores and ``penalty`` what soft
    quotas cost it (their penalty per missing member); ``value`` is ``total_score -
    penalty``, the objective's score level. ``upper_bound`` bounds the value any solution
    can reach at the objective's higher priority levels (the same matched count for
    ``coverage``, the same count and lowest score for ``fair``), over *all* allowed pairs
    when the result is certified. ``gap`` is ``(upper_bound - value) / max(1,
    |upper_bound|)``; 0 means proven optimal.
    """

    mentee_idx: IntArray
    mentor_idx: IntArray
    score: FloatArray
    objective: Objective
    total_score: float
    upper_bound: float
    gap: float
    status: Literal["optimal", "feasible"]
    method: str
    rounds: int = 1
    arcs_used: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    priced: ScoredPairs = field(default_factory=ScoredPairs.empty)
    """Pairs a pricer added to the problem's arcs: allowed pairs that were not
    candidates; a solution's pairs are among the arcs and these."""
    penalty: float = 0.0
    """Score given up to soft quotas missed (0 without soft quotas)."""

    @property
    def matched(self) -> int:
        return int(self.mentee_idx.shape[0])

    @property
    def value(self) -> float:
        """The score level of the objective: ``total_score - penalty``."""
        return self.total_score - self.penalty

    @property
    def pairs(self) -> ScoredPairs:
        """The chosen pairs as scored pairs (the same arrays)."""
        return ScoredPairs(self.mentee_idx, self.mentor_idx, self.score)


class ArcPricer(Protocol):
    """Finds allowed pairs missing from the problem that could improve a solution.

    Given prices ``mentee_price`` (u_i) and ``mentor_price`` (v_j) in score units, return
    the allowed pairs whose score exceeds ``u_i + v_j + tolerance``, as arrays
    (mentee_idx, mentor_idx, score). Prices may be negative (under ``coverage`` an
    unmatched mentee's price is minus the coverage bonus) or very large (a mentee or
    mentor who can take no new pair); implement exactly the test ``score > u + v + tol``.

    ``known`` holds the keys (``mentee x n_mentors + mentor``) of the pairs the caller
    already has: they are never returned, and they leave *before* any per-mentee cap, so
    a cap never hides a violator behind pairs the caller would drop. A pricer keeps no
    memory of what it returned: the answer depends on the prices and ``known`` only,
    which lets one pricer serve several solves on different arc sets. Returning all
    violators of a mentee, or at least her largest, keeps the bound exact when the round
    limit stops the loop. Empty arrays certify that the restricted optimum is optimal over
    all allowed pairs.
    """

    def price(
        self,
        mentee_price: FloatArray,
        mentor_price: FloatArray,
        tolerance: float,
        known: IntArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]: ...
