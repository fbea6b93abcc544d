"""A dense test pricer: every pair's score known, the violators returned each round."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matching.solver import AssignmentProblem, ScoredPairs


class DensePricer:
    """Prices a full score matrix (``nan`` = pair not allowed) as the engine's pricers do:
    pairs in ``known`` leave first, then, with ``per_mentee``, each mentee keeps only her
    most violating pairs (ties by lower mentor). A cap of 1 is the harshest test of the
    solver's side of the contract: every pair it refuses must come back as ``known``."""

    def __init__(self, scores: NDArray[np.float64], per_mentee: int | None = None) -> None:
        self.scores = scores
        self.per_mentee = per_mentee
        self.calls = 0

    def price(
        self,
        mentee_price: NDArray[np.float64],
        mentor_price: NDArray[np.float64],
        tolerance: float,
        known: NDArray[np.int64] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        self.calls += 1
        with np.errstate(invalid="ignore"):
            violated = self.scores > mentee_price[:, None] + mentor_price[None, :] + tolerance
        violated &= ~np.isnan(self.scores)
        if known is not None and known.size:
            violated.ravel()[np.asarray(known, np.int64)] = False  # keys = row-major index
        mentee, mentor = np.nonzero(violated)
        if self.per_mentee is not None and mentee.size:
            excess = self.scores[mentee, mentor] - mentee_price[mentee] - mentor_price[mentor]
            order = np.lexsort((mentor, -excess, mentee))
            mentee, mentor = mentee[order], mentor[order]
            rank = np.arange(mentee.size) - np.searchsorted(mentee, mentee)
            mentee, mentor = mentee[rank < self.per_mentee], mentor[rank < self.per_mentee]
        return mentee.astype(np.int64), mentor.astype(np.int64), self.scores[mentee, mentor]


def dense_scores(problem: AssignmentProblem) -> NDArray[np.float64]:
    """The problem's arcs as a dense matrix (nan where no arc)."""
    scores = np.full((problem.n_mentees, problem.n_mentors), np.nan)
    scores[problem.arc_mentee, problem.arc_mentor] = problem.arc_score
    return scores


def top_k(problem: AssignmentProblem, k: int) -> AssignmentProblem:
    """The same problem restricted to each mentee's k best arcs (plus locked arcs)."""
    order = np.lexsort((-problem.arc_score, problem.arc_mentee))
    mentee = problem.arc_mentee[order]
    rank = np.arange(order.size) - np.searchsorted(mentee, mentee)
    keep = np.zeros(problem.n_arcs, dtype=bool)
    keep[order[rank < k]] = True
    keep |= problem.arc_locked
    incumbent = None if problem.arc_incumbent is None else problem.arc_incumbent[keep]
    return AssignmentProblem(
        n_mentees=problem.n_mentees,
        n_mentors=problem.n_mentors,
        arcs=ScoredPairs.of(
            problem.arc_mentee[keep], problem.arc_mentor[keep], problem.arc_score[keep]
        ),
        demand=problem.demand,
        capacity=problem.capacity,
        min_load=problem.min_load,
        arc_locked=problem.arc_locked[keep],
        quotas=problem.quotas,
        arc_incumbent=incumbent,
    )
