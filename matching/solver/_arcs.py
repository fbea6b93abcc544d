"""The working arc set of a pricing loop: the problem's free arcs plus priced-in pairs.

Kept in (mentee, mentor) order whatever order the pricer returns pairs in, so the flow
network — and hence the tie-breaking — depends only on the set of arcs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching._pairs import ScoredPairs, is_in
from matching.solver._prepare import Residual
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    BoolArray,
    FloatArray,
    IntArray,
)


@dataclass(frozen=True)
class WorkArcs(ScoredPairs):
    """Arcs a flow is built on, with two flags per arc: ``incumbent`` (a pair of an
    earlier suggestion) and ``priced`` (a pair a pricer added)."""

    incumbent: BoolArray
    priced: BoolArray
    n_mentors: int

    @classmethod
    def from_problem(cls, problem: AssignmentProblem, residual: Residual) -> WorkArcs:
        """The free arcs whose mentee still wants and whose mentor still has a seat."""
        free = problem.arcs.take(residual.free)
        usable = (residual.demand[free.mentee] > 0) & (residual.capacity[free.mentor] > 0)
        return cls(
            free.mentee[usable],
            free.mentor[usable],
            free.score[usable],
            residual.incumbent(problem)[usable],
            np.zeros(int(usable.sum()), dtype=bool),
            problem.n_mentors,
        )

    @property
    def key(self) -> IntArray:
        """Each arc's pair key."""
        return self.keys(self.n_mentors)

    def at_least(self, threshold: float) -> WorkArcs:
        """The arcs scoring ``>= threshold``."""
        return self.subset(self.score >= threshold)

    def subset(self, mask: BoolArray) -> WorkArcs:
        """The arcs where ``mask`` holds (order kept)."""
        return WorkArcs(
            self.mentee[mask],
            self.mentor[mask],
            self.score[mask],
            self.incumbent[mask],
            self.priced[mask],
            self.n_mentors,
        )

    def with_pairs(self, pairs: ScoredPairs) -> WorkArcs:
        """These arcs plus new priced-in pairs, back in (mentee, mentor) order."""
        # Both sides are in key order (new pairs once sorted): merge, do not re-sort.
        added = pairs.take(np.lexsort((pairs.mentor, pairs.mentee)))
        slot = np.searchsorted(self.key, added.keys(self.n_mentors))
        slot += np.arange(added.size)
        is_new = np.zeros(self.size + added.size, dtype=bool)
        is_new[slot] = True

        def merged(old: NDArray[Any], new: NDArray[Any]) -> NDArray[Any]:
            out = np.empty(is_new.size, dtype=old.dtype)
            out[is_new], out[~is_new] = new, old
            return out

        return WorkArcs(
            merged(self.mentee, added.mentee),
            merged(self.mentor, added.mentor),
            merged(self.score, added.score),
            merged(self.incumbent, np.zeros(added.size, dtype=bool)),
            merged(self.priced, np.ones(added.size, dtype=bool)),
            self.n_mentors,
        )


def new_pairs(
    found: ScoredPairs, known: IntArray, residual: Residual, n_mentors: int
) -> ScoredPairs:
    """Pricer output minus pairs already known, unusable ones and duplicates."""
    if found.size == 0:
        return found
    key = found.keys(n_mentors)
    usable = (residual.demand[found.mentee] > 0) & (residual.capacity[found.mentor] > 0)
    keep = usable & ~is_in(key, known)
    _, first = np.unique(key[keep], return_index=True)
    return found.take(np.flatnonzero(keep)[first])


Accept = Callable[[ScoredPairs], BoolArray]
"""Which of the pricer's new pairs a pricing loop takes."""


def price_new_pairs(
    pricer: ArcPricer,
    prices: tuple[FloatArray, FloatArray],
    known: IntArray,
    residual: Residual,
    n_mentors: int,
    accept: Accept | None = None,
) -> tuple[ScoredPairs, IntArray]:
    """The new usable pairs that beat ``prices`` and that ``accept`` takes, and the keys
    of those the pricer returned but were refused.

    A pricer caps the pairs it returns per mentee: when all it returned are refused (an
    unusable pair, one below ``fair``'s threshold), it is asked again with them known, so
    they cannot hide the violators behind them. Empty pairs therefore mean that no pair
    outside ``known`` both beats the prices and would be taken: the certificate. (A
    pricer that ignores ``known`` and returns only such pairs has nothing new to offer:
    that answer is taken as final, as it was before pricers were told what is known.)
    """
    refused = np.zeros(0, np.int64)
    while True:
        asked = np.concatenate([known, refused])
        found = ScoredPairs.of(*pricer.price(prices[0], prices[1], 0.0, asked))
        pairs = new_pairs(found, asked, residual, n_mentors)
        if accept is not None:
            pairs = pairs.take(accept(pairs))
        returned = found.keys(n_mentors)
        if pairs.size or returned.size == 0:
            taken = pairs.keys(n_mentors)
            return pairs, np.concatenate([refused, returned[~is_in(returned, taken)]])
        fresh = returned[~is_in(returned, asked)]
        if fresh.size == 0:
            return pairs, refused
        refused = np.concatenate([refused, fresh])
