"""The working arc set of a pricing loop: the problem's free arcs plus priced-in pairs.

Kept in (mentee, mentor) order whatever order the pricer returns pairs in, so the flow
network — and hence the tie-breaking — depends only on the set of arcs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.solver._prepare import Residual
from matching.solver._problem import AssignmentProblem, BoolArray, FloatArray, IntArray


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
        return self.mentee * self.n_mentors + self.mentor

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
        slot = np.searchsorted(self.keys, mentee * self.n_mentors + mentor)
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
    key = mentee * n_mentors + mentor
    usable = (residual.demand[mentee] > 0) & (residual.capacity[mentor] > 0)
    keep = usable & ~_member(key, known)
    _, first = np.unique(key[keep], return_index=True)
    index = np.flatnonzero(keep)[first]
    return mentee[index], mentor[index], score[index]


def _member(key: IntArray, known: IntArray) -> BoolArray:
    """``np.isin(key, known)`` by sort and binary search (isin's table path is slow here)."""
    if known.size == 0:
        return np.zeros(key.size, dtype=bool)
    ordered = np.sort(known)
    position = np.minimum(np.searchsorted(ordered, key), ordered.size - 1)
    found: BoolArray = ordered[position] == key
    return found
