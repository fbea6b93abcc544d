"""Scored pairs: the one shape of "these mentees with these mentors, at these scores" that
candidates, score tables, the solver and the explanations share, and the pair keys that
identify a pair in one integer.

A pair's key is ``mentee * n_mentors + mentor`` (int64): keys order as the pairs do, by
mentee then mentor, so sorted keys are the pairs in canonical order and membership is a
binary search. Only this module writes the formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def pair_keys(mentee: ArrayLike, mentor: ArrayLike, n_mentors: int) -> IntArray:
    """The keys of the pairs (``mentee[k]``, ``mentor[k]``), any integer arrays."""
    return np.asarray(mentee, dtype=np.int64) * n_mentors + np.asarray(mentor, dtype=np.int64)


def keys_of(pairs: Iterable[tuple[int, int]], n_mentors: int) -> IntArray:
    """The keys of (mentee, mentor) index pairs given as Python tuples."""
    return np.array([i * n_mentors + j for i, j in pairs], dtype=np.int64)


def split_keys(keys: IntArray, n_mentors: int) -> tuple[IntArray, IntArray]:
    """(mentee, mentor) of each key: the inverse of :func:`pair_keys`."""
    mentee = keys // max(n_mentors, 1)
    return mentee, keys - mentee * n_mentors


def row_key_range(first_mentee: int, stop_mentee: int, n_mentors: int) -> tuple[int, int]:
    """The half-open range of keys whose mentee is in ``first_mentee .. stop_mentee - 1``."""
    return first_mentee * n_mentors, stop_mentee * n_mentors


def sorted_unique(values: IntArray) -> IntArray:
    """Sorted distinct values (``np.unique`` by sorting: numpy 2's hashing path is far
    slower on large arrays)."""
    ordered = np.sort(values)
    keep = np.ones(ordered.size, dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def is_member(values: IntArray, ordered: IntArray) -> BoolArray:
    """``np.isin(values, ordered)`` for a *sorted* ``ordered``, by binary search."""
    if ordered.size == 0:
        return np.zeros(values.size, dtype=bool)
    position = np.minimum(np.searchsorted(ordered, values), ordered.size - 1)
    return np.asarray(ordered[position] == values, dtype=bool)


def is_in(values: IntArray, pool: IntArray) -> BoolArray:
    """``np.isin(values, pool)`` for any ``pool``: sorted once, then :func:`is_member`
    (isin's table path is slow on keys spread over ``n_mentees x n_mentors``)."""
    return is_member(values, np.sort(pool))


@dataclass(frozen=True)
class ScoredPairs:
    """Pairs (mentee index, mentor index) with a score each: three aligned flat arrays,
    int64, int64 and float64, of one length (checked, never copied).

    Candidates, score tables, the solver's problem and working arcs, the stable lists and
    the explanations all hold their pairs as one of these; types that add a column per
    pair (a score table's eligibility, the solver's priced-in flags) extend it.
    """

    mentee: IntArray
    mentor: IntArray
    score: FloatArray

    def __post_init__(self) -> None:
        columns = (("mentee", self.mentee, np.int64), ("mentor", self.mentor, np.int64))
        for name, array, dtype in (*columns, ("score", self.score, np.float64)):
            if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != 1:
                raise TypeError(f"ScoredPairs.{name} must be a flat {np.dtype(dtype)} array")
        if not self.mentee.size == self.mentor.size == self.score.size:
            raise ValueError(
                "ScoredPairs arrays differ in length: "
                f"{self.mentee.size}, {self.mentor.size}, {self.score.size}"
            )

    @classmethod
    def empty(cls) -> ScoredPairs:
        return ScoredPairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))

    @classmethod
    def of(cls, mentee: ArrayLike, mentor: ArrayLike, score: ArrayLike) -> ScoredPairs:
        """Flat int64 / float64 views of any array-likes of one length (copies only where
        the dtype or layout differs)."""
        return ScoredPairs(
            _flat(mentee, np.int64), _flat(mentor, np.int64), _flat(score, np.float64)
        )

    @classmethod
    def concat(cls, parts: Iterable[ScoredPairs]) -> ScoredPairs:
        """All pairs of ``parts``, in order."""
        listed = list(parts)
        if not listed:
            return ScoredPairs.empty()
        return ScoredPairs(
            np.concatenate([part.mentee for part in listed]),
            np.concatenate([part.mentor for part in listed]),
            np.concatenate([part.score for part in listed]),
        )

    @property
    def size(self) -> int:
        return int(self.mentee.size)

    def arrays(self) -> tuple[IntArray, IntArray, FloatArray]:
        """(mentee, mentor, score): the shape :class:`matching.solver.ArcPricer` returns."""
        return self.mentee, self.mentor, self.score

    def keys(self, n_mentors: int) -> IntArray:
        """Each pair's key (module docstring)."""
        return pair_keys(self.mentee, self.mentor, n_mentors)

    def among(self, keys: IntArray, n_mentors: int) -> BoolArray:
        """Which pairs have their key in ``keys`` (any order)."""
        return is_in(self.keys(n_mentors), keys)

    def take(self, which: IntArray | BoolArray) -> ScoredPairs:
        """The pairs at these positions (or where the mask is true)."""
        return ScoredPairs(self.mentee[which], self.mentor[which], self.score[which])

    def in_order(self) -> ScoredPairs:
        """The same pairs in canonical (mentee, mentor) order."""
        return self.take(np.lexsort((self.mentor, self.mentee)))

    def with_scores(self, score: FloatArray) -> ScoredPairs:
        """The same pairs (the same arrays) with other scores."""
        return ScoredPairs(self.mentee, self.mentor, score)


def _flat(values: ArrayLike, dtype: type[np.generic]) -> NDArray[Any]:
    """``values`` as a flat array of ``dtype``: the very array when it already is one."""
    array = np.asarray(values, dtype=dtype)
    return array if array.ndim == 1 else array.ravel()


class ArcViews:
    """``n_arcs``, ``arc_mentee``, ``arc_mentor`` and ``arc_score``: the arrays of a
    class's ``arcs`` under the names they had before :class:`ScoredPairs` (the same
    arrays, not copies), for the public types that hold one."""

    arcs: ScoredPairs

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return self.arcs.size

    @property
    def arc_mentee(self) -> IntArray:
        return self.arcs.mentee

    @property
    def arc_mentor(self) -> IntArray:
        return self.arcs.mentor

    @property
    def arc_score(self) -> FloatArray:
        return self.arcs.score
