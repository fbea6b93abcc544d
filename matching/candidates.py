"""The sparse candidate graph and the pricer that makes pruning exact.

:func:`build_candidates` scores blocks of mentees against every mentor and keeps, for
each mentee, her ``top_k`` best allowed mentors, and for each mentor her best few
mentees (so popular mentors do not crowd the others out of every list), plus the locked
pairs; the full mentee x mentor matrix never exists. It also records, per mentee, what
the explanations need (allowed counts, exclusions per rule, best score).

:class:`CandidatePricer` is the solver's column generator: given dual prices it scans
every allowed pair block by block and returns those missing from the problem whose
score beats the prices; when it returns nothing, the restricted optimum is optimal over
all allowed pairs.

Every score leaving this module is the exact float64 sum of the pair's contributions
(:meth:`PairScorer.pair_contributions`), never a float32 block value, so arcs, bounds
and output files agree to the last digit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matching.errors import RuleError
from matching.features._base import is_member, sorted_unique
from matching.scoring import PairScorer

__all__ = ["CandidateGraph", "CandidatePricer", "build_candidates"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

FORBIDDEN = "forbidden"
"""Exclusion name of explicit forbidden pairs (and previous pairs not to repeat, which
the pipeline passes as forbidden)."""

BLOCK_TOLERANCE = 1e-5
"""Float32 block scores are within this (relative to the total weight) of exact scores:
block-level filters are loosened by it and the survivors are checked exactly."""


@dataclass(frozen=True)
class CandidateGraph:
    """Candidate arcs and per-mentee eligibility, from :func:`build_candidates`.

    Attributes
    ----------
    arc_mentee, arc_mentor : ndarray int64
        Candidate pairs, sorted by (mentee, mentor), unique, all allowed.
    arc_score : ndarray float64
        Their exact scores.
    allowed_count : ndarray int64 (n_mentees,)
        Mentors allowed by every rule, explicit pair and the minimum score.
    rule_allowed_count : ndarray int64 (n_mentees,)
        The same before the minimum score.
    exclusion_counts : ndarray int64 (n_mentees, R)
        Mentors each hard rule excludes, columns as ``exclusion_names``.
    below_min_score_count : ndarray int64 (n_mentees,)
        Mentors allowed by the rules but scoring below the minimum score.
    best_rule_allowed_score : ndarray float64 (n_mentees,)
        Best exact score among rule-allowed mentors; NaN when there is none.
    exclusion_names : tuple of str
        The scorer's ``exclusion_names_`` followed by ``"forbidden"``.
    """

    arc_mentee: IntArray
    arc_mentor: IntArray
    arc_score: FloatArray
    allowed_count: IntArray
    rule_allowed_count: IntArray
    exclusion_counts: IntArray
    below_min_score_count: IntArray
    best_rule_allowed_score: FloatArray
    exclusion_names: tuple[str, ...]

    @property
    def n_arcs(self) -> int:
        """Number of candidate arcs."""
        return int(self.arc_mentee.size)


def _keys(pairs: Sequence[tuple[int, int]], n_mentors: int) -> IntArray:
    """Sorted unique ``mentee * n_mentors + mentor`` keys of index pairs."""
    if not pairs:
        return np.empty(0, dtype=np.int64)
    array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return sorted_unique(array[:, 0] * n_mentors + array[:, 1])


def _block_mask(keys: IntArray, start: int, stop: int, n_mentors: int) -> BoolArray:
    """(stop - start, n_mentors) mask of the sorted ``keys`` falling in mentees [start, stop)."""
    mask = np.zeros((stop - start, n_mentors), dtype=bool)
    lo, hi = np.searchsorted(keys, [start * n_mentors, stop * n_mentors])
    inside = keys[lo:hi] - start * n_mentors
    mask.reshape(-1)[inside] = True
    return mask


def _top_per_row(values: NDArray[np.floating], k: int) -> BoolArray:
    """Mask of each row's ``k`` largest finite values; ties go to the lowest column."""
    n_rows, n_cols = values.shape
    if k >= n_cols:
        return np.asarray(np.isfinite(values), dtype=bool)
    threshold = np.partition(values, n_cols - k, axis=1)[:, n_cols - k]
    keep = values > threshold[:, None]
    tied = values == threshold[:, None]
    room = k - np.count_nonzero(keep, axis=1)
    # Rows whose ties at the threshold exceed the room left: lowest columns first. Only
    # those rows pay for the cumulative count (ties are rare among distinct profiles).
    crowded = np.flatnonzero(np.count_nonzero(tied, axis=1) > room)
    easy = np.ones(n_rows, dtype=bool)
    easy[crowded] = False
    keep[easy] |= tied[easy]
    if crowded.size:
        sub = tied[crowded]
        keep[crowded] |= sub & (np.cumsum(sub, axis=1) <= room[crowded, None])
    keep &= np.isfinite(values)
    return keep


def _check_locked(
    scorer: PairScorer, locked: Sequence[tuple[int, int]], forbidden_keys: IntArray
) -> None:
    """Locked pairs must be neither forbidden nor disallowed by a rule (named, no ids)."""
    if not locked:
        return
    array = np.asarray(locked, dtype=np.int64).reshape(-1, 2)
    keys = array[:, 0] * scorer.n_mentors_ + array[:, 1]
    clash = is_member(keys, forbidden_keys)
    if clash.any():
        position = int(np.argmax(clash)) + 1
        raise RuleError(f"locked pair {position} is also a forbidden (or previous) pair")
    exclusions = scorer.pair_exclusions(array[:, 0], array[:, 1])
    if exclusions.any():
        row, rule = np.argwhere(exclusions)[0].tolist()
        name = scorer.exclusion_names_[rule]
        raise RuleError(f"locked pair {row + 1} is not allowed: rule '{name}' excludes it")


def build_candidates(
    scorer: PairScorer,
    *,
    top_k: int,
    locked: Sequence[tuple[int, int]] = (),
    forbidden: Sequence[tuple[int, int]] = (),
    block_size: int = 2048,
    per_mentor: int = 3,
    progress: Callable[[float], None] | None = None,
) -> CandidateGraph:
    """Score blocks of mentees and keep the candidate arcs.

    Parameters
    ----------
    scorer
        A fitted :class:`PairScorer`.
    top_k
        Best allowed mentors kept per mentee.
    locked
        (mentee_idx, mentor_idx) pairs always included.
    forbidden
        (mentee_idx, mentor_idx) pairs never included (explicitly forbidden, or previous
        pairs not to repeat); counted under the exclusion name ``"forbidden"``.
    block_size
        Mentees scored at once; memory grows with ``block_size x n_mentors``.
    per_mentor
        Best allowed mentees kept per mentor, over all blocks.
    progress
        Called with the share of blocks done, in [0, 1].

    Returns
    -------
    CandidateGraph

    Raises
    ------
    RuleError
        A locked pair is forbidden or not allowed by a rule (named in the message).
    """
    n, m = scorer.n_mentees_, scorer.n_mentors_
    forbidden_keys = _keys(forbidden, m)
    _check_locked(scorer, locked, forbidden_keys)
    names = (*scorer.exclusion_names_, FORBIDDEN)
    allowed_count = np.zeros(n, dtype=np.int64)
    rule_allowed_count = np.zeros(n, dtype=np.int64)
    below_count = np.zeros(n, dtype=np.int64)
    exclusion_counts = np.zeros((n, len(names)), dtype=np.int64)
    best_mentor = np.full(n, -1, dtype=np.int64)
    chosen: list[IntArray] = []
    # Running best mentees per mentor: scores and mentee indices, (per_mentor, m).
    per_mentor = max(0, min(per_mentor, n))
    mentor_best = np.full((per_mentor, m), -np.inf)
    mentor_best_idx = np.full((per_mentor, m), -1, dtype=np.int64)
    for start in range(0, n, block_size):
        stop = min(start + block_size, n)
        rows = np.arange(start, stop, dtype=np.int64)
        block = scorer.score_block(rows)
        banned = _block_mask(forbidden_keys, start, stop, m)
        allowed = block.allowed & ~banned
        rule_allowed = block.rule_allowed & ~banned
        allowed_count[start:stop] = np.count_nonzero(allowed, axis=1)
        rule_allowed_count[start:stop] = np.count_nonzero(rule_allowed, axis=1)
        below_count[start:stop] = rule_allowed_count[start:stop] - allowed_count[start:stop]
        exclusion_counts[start:stop, :-1] = block.exclusion_counts
        exclusion_counts[start:stop, -1] = np.count_nonzero(banned, axis=1)
        score = block.score
        ruled = np.where(rule_allowed, score, -np.inf)
        has_rule_allowed = rule_allowed_count[start:stop] > 0
        best_mentor[start:stop] = np.where(has_rule_allowed, np.argmax(ruled, axis=1), -1)
        masked = np.where(allowed, score, -np.inf)
        del ruled
        top = _top_per_row(masked, top_k)
        chosen.append(np.flatnonzero(top) + start * m)
        if per_mentor:
            mentor_best, mentor_best_idx = _merge_mentor_best(
                mentor_best, mentor_best_idx, masked, start, per_mentor
            )
        if progress is not None:
            progress(stop / n)
    keys = np.concatenate(
        [
            *chosen,
            mentor_best_idx[np.isfinite(mentor_best)] * m + np.nonzero(np.isfinite(mentor_best))[1],
        ]
    )
    locked_keys = _keys(locked, m)
    keys = sorted_unique(np.concatenate([keys, locked_keys]))
    arc_mentee, arc_mentor = np.divmod(keys, m) if m else (keys, keys)
    arc_score, arc_ok = scorer.exact_pairs(arc_mentee, arc_mentor)
    # Float32 could let a pair right at min_score or a threshold through: exact check wins
    # (locked pairs were checked exactly above, so they always stay).
    keep = arc_ok | is_member(keys, locked_keys)
    best = np.full(n, np.nan)
    has_best = best_mentor >= 0
    if has_best.any():
        best_idx = np.flatnonzero(has_best)
        best[best_idx] = scorer.pair_contributions(best_idx, best_mentor[has_best]).sum(axis=1)
    return CandidateGraph(
        arc_mentee=arc_mentee[keep].astype(np.int64),
        arc_mentor=arc_mentor[keep].astype(np.int64),
        arc_score=arc_score[keep],
        allowed_count=allowed_count,
        rule_allowed_count=rule_allowed_count,
        exclusion_counts=exclusion_counts,
        below_min_score_count=below_count,
        best_rule_allowed_score=best,
        exclusion_names=names,
    )


def _merge_mentor_best(
    best: FloatArray, best_idx: IntArray, masked: NDArray[np.floating], start: int, r: int
) -> tuple[FloatArray, IntArray]:
    """Merge a block's best ``r`` mentees per mentor into the running best (ties: lower idx)."""
    columns = np.ascontiguousarray(masked.T)  # (m, b): partition along contiguous rows
    top = _top_per_row(columns, r)
    mentor, local = np.nonzero(top)
    # At most r per mentor: scatter into (r, m) slots by rank within the mentor.
    rank = np.arange(mentor.size) - np.searchsorted(mentor, mentor)
    block_best = np.full((r, masked.shape[1]), -np.inf)
    block_idx = np.full((r, masked.shape[1]), -1, dtype=np.int64)
    block_best[rank, mentor] = columns[mentor, local]
    block_idx[rank, mentor] = local + start
    scores = np.vstack([best, block_best])
    idx = np.vstack([best_idx, block_idx])
    # Best first, ties by the lower mentee index (-1 for empty slots sorts last: -inf).
    order = np.lexsort((np.where(idx < 0, np.iinfo(np.int64).max, idx), -scores), axis=0)
    order = order[:r]
    return np.take_along_axis(scores, order, axis=0), np.take_along_axis(idx, order, axis=0)


class CandidatePricer:
    """Finds allowed pairs missing from the problem whose score beats the dual prices.

    Implements :class:`matching.solver._problem.ArcPricer`.

    Parameters
    ----------
    scorer
        The fitted scorer the candidates came from.
    graph
        The candidate graph: its arcs start the set of known pairs.
    forbidden
        (mentee_idx, mentor_idx) pairs never returned.
    block_size
        Mentees scanned at once.
    per_mentee
        At most this many pairs returned per mentee per round (the most violating).
    """

    def __init__(
        self,
        scorer: PairScorer,
        graph: CandidateGraph,
        *,
        forbidden: Sequence[tuple[int, int]] = (),
        block_size: int = 2048,
        per_mentee: int = 5,
    ) -> None:
        self.scorer = scorer
        self.block_size = block_size
        self.per_mentee = per_mentee
        m = scorer.n_mentors_
        self._forbidden = _keys(forbidden, m)
        self._known = sorted_unique(graph.arc_mentee * m + graph.arc_mentor)
        self._slack = BLOCK_TOLERANCE * max(1.0, float(np.sum(scorer.weights_)))
        self.rounds_ = 0

    @property
    def n_known(self) -> int:
        """Pairs already in the problem (candidates plus everything priced in)."""
        return int(self._known.size)

    def price(
        self, mentee_price: FloatArray, mentor_price: FloatArray, tolerance: float
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Allowed, non-forbidden, unknown pairs with ``score > u_i + v_j + tolerance``.

        Parameters
        ----------
        mentee_price, mentor_price
            Dual prices u (n_mentees,) and v (n_mentors,).
        tolerance
            Violation below which a pair is not returned.

        Returns
        -------
        (mentee_idx, mentor_idx, score)
            Sorted by (mentee, mentor), at most ``per_mentee`` per mentee, exact scores;
            empty arrays certify the current solution. Returned pairs become known.
        """
        scorer = self.scorer
        n, m = scorer.n_mentees_, scorer.n_mentors_
        u = np.asarray(mentee_price, dtype=np.float64)
        v = np.asarray(mentor_price, dtype=np.float64)
        found: list[IntArray] = []
        for start in range(0, n, self.block_size):
            stop = min(start + self.block_size, n)
            rows = np.arange(start, stop, dtype=np.int64)
            block = scorer.score_block(rows)
            usable = block.rule_allowed & ~_block_mask(self._forbidden, start, stop, m)
            usable &= ~_block_mask(self._known, start, stop, m)
            dtype = block.score.dtype.type
            reduced = block.score - u[start:stop, None].astype(dtype)
            reduced -= v[None, :].astype(dtype)
            # Loosened by the float32 error, then checked exactly below.
            candidate = usable & (reduced > dtype(tolerance - self._slack))
            counts = np.count_nonzero(candidate, axis=1)
            # Mentees with few violators give them all; only the others need a partition.
            many = np.flatnonzero(counts > self.per_mentee)
            if many.size:
                masked = np.where(candidate[many], reduced[many], -np.inf)
                candidate[many] = _top_per_row(masked, self.per_mentee)
            found.append(np.flatnonzero(candidate) + start * m)
        self.rounds_ += 1
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.float64)
        keys = np.concatenate(found)
        mentee, mentor = np.divmod(keys, m)
        score, ok = scorer.exact_pairs(mentee, mentor)
        ok &= score - u[mentee] - v[mentor] > tolerance
        keys, mentee, mentor, score = keys[ok], mentee[ok], mentor[ok], score[ok]
        self._known = sorted_unique(np.concatenate([self._known, keys]))
        return mentee.astype(np.int64), mentor.astype(np.int64), score
