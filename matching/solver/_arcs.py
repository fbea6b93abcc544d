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

from matching._pairs import is_in, pair_keys
from matching.solver._prepare import Residual
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    BoolArray,
    FloatArray,
    IntArray,
)


@dataclass(frozen=True)
class WorkArcs:
    """Arcs a flow is built on; ``priced`` marks pairs a pricer added."""

    mentee: IntArray
    mentor: IntArray
    score: FloatArray
    incumbent: BoolArray
    priced: BoolArray
    n_mentors: int

    @classmethod
    def from_problem(cls, problem: AssignmentProblem, residual: Residual) -> WorkArcs:
        """The free arcs whose mentee still wants and whose mentor still has a seat."""
        free = residual.free
        mentee = np.asarray(problem.arc_mentee, dtype=np.int64)[free]
        mentor = np.asarray(problem.arc_mentor, dtype=np.int64)[free]
        usable = (residual.demand[mentee] > 0) & (residual.capacity[mentor] > 0)
        score = np.asarray(problem.arc_score, dtype=np.float64)[free]
        return cls(
            mentee[usable],
            mentor[usable],
            score[usable],
            residual.incumbent(problem)[usable],
            np.zeros(int(usable.sum()), dtype=bool),
            problem.n_mentors,
        )

    @property
    def size(self) -> int:
        return int(self.mentee.size)

    @property
    def keys(self) -> IntArray:
        return pair_keys(self.mentee, self.mentor, self.n_mentors)

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

    def with_pairs(self, mentee: IntArray, mentor: IntArray, score: FloatArray) -> WorkArcs:
        """These arcs plus new priced-in pairs, back in (mentee, mentor) order."""
        # Both sides are in key order (new pairs once sorted): merge, do not re-sort.
        first = np.lexsort((mentor, mentee))
        mentee, mentor, score = mentee[first], mentor[first], score[first]
        slot = np.searchsorted(self.keys, pair_keys(mentee, mentor, self.n_mentors))
        slot += np.arange(mentee.size)
        is_new = np.zeros(self.size + mentee.size, dtype=bool)
        is_new[slot] = True

        def merged(old: NDArray[Any], added: NDArray[Any]) -> NDArray[Any]:
            out = np.empty(is_new.size, dtype=old.dtype)
            out[is_new], out[~is_new] = added, old
            return out

        return WorkArcs(
            merged(self.mentee, mentee),
            merged(self.mentor, mentor),
            merged(self.score, score),
            merged(self.incumbent, np.zeros(mentee.size, dtype=bool)),
            merged(self.priced, np.ones(mentee.size, dtype=bool)),
            self.n_mentors,
        )


def new_pairs(
    pairs: tuple[IntArray, IntArray, FloatArray],
    known: IntArray,
    residual: Residual,
    n_mentors: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pricer output minus pairs already known, unusable ones and duplicates."""
    mentee = np.asarray(pairs[0], dtype=np.int64).ravel()
    mentor = np.asarray(pairs[1], dtype=np.int64).ravel()
    score = np.asarray(pairs[2], dtype=np.float64).ravel()
    if mentee.size == 0:
        return mentee, mentor, score
    key = pair_keys(mentee, mentor, n_mentors)
    usable = (residual.demand[mentee] > 0) & (residual.capacity[mentor] > 0)
    keep = usable & ~is_in(key, known)
    _, first = np.unique(key[keep], return_index=True)
    index = np.flatnonzero(keep)[first]
    return mentee[index], mentor[index], score[index]


Accept = Callable[[IntArray, IntArray, FloatArray], BoolArray]
"""Which of the pricer's new pairs (mentee, mentor, score) a pricing loop takes."""


def price_new_pairs(
    pricer: ArcPricer,
    prices: tuple[FloatArray, FloatArray],
    known: IntArray,
    residual: Residual,
    n_mentors: int,
    accept: Accept | None = None,
) -> tuple[tuple[IntArray, IntArray, FloatArray], IntArray]:
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
        found = pricer.price(prices[0], prices[1], 0.0, asked)
        mentee, mentor, score = new_pairs(found, asked, residual, n_mentors)
        if accept is not None:
            keep = accept(mentee, mentor, score)
            mentee, mentor, score = mentee[keep], mentor[keep], score[keep]
        returned = pair_keys(np.ravel(found[0]), np.ravel(found[1]), n_mentors)
        if mentee.size or returned.size == 0:
            taken = pair_keys(mentee, mentor, n_mentors)
            return (mentee, mentor, score), np.concatenate(
                [refused, returned[~is_in(returned, taken)]]
            )
        fresh = returned[~is_in(returned, asked)]
        if fresh.size == 0:
            return (mentee, mentor, score), refused
        refused = np.concatenate([refused, fresh])
