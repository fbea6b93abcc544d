"""Precomputed scores (``match(scores=...)``, ``marraine match --scores``): the long table
``mentee_id, mentor_id, score`` as solver arcs, per-mentee eligibility, and — for large
tables — a candidate subset with a pricer that scans the whole table, so the certificate
proves optimality over every listed pair exactly as it does for criteria-based scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching._arrays import rank_in_runs
from matching._pairs import ScoredPairs, is_in, is_member, keys_of, pair_keys
from matching.candidates import FORBIDDEN, PREVIOUS
from matching.errors import InputError, RuleError
from matching.explain import Eligibility
from matching.model import MAX_SCORE

__all__ = ["TableArcs", "TablePricer", "table_arcs"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

PRUNE_FACTOR = 4
"""Prune only when the table has more than this many times the candidate arcs: below
that, the pricing rounds cost more than solving every listed pair at once."""
PER_MENTOR = 3
"""Each mentor's best mentees kept as candidates, so popular mentors do not starve."""


@dataclass(frozen=True)
class TableArcs(ScoredPairs):
    """Allowed pairs of a score table, in (mentee, mentor) order, with their scores, and
    who may match whom."""

    eligibility: Eligibility


def table_arcs(
    scores: pd.DataFrame,
    mentee_index: pd.Index,
    mentor_index: pd.Index,
    locked: list[tuple[int, int]],
    excluded: tuple[list[tuple[int, int]], list[tuple[int, int]]],
    min_score: float,
) -> TableArcs:
    """Validate the table (ids known, scores finite, no pair twice) and keep allowed pairs.

    ``excluded`` is (forbidden pairs, previous pairs not to repeat): both are left out and
    counted apart, under the exclusion names ``"forbidden"`` and ``"previous"`` as with
    criteria (a pair in both counts as forbidden). Rows are 0-based positions in
    ``scores``; files are validated with their own row numbers before this by
    :func:`matching.io.read_scores`.
    """
    for column in ("mentee_id", "mentor_id", "score"):
        if column not in scores.columns:
            raise InputError(f"the scores have no '{column}' column", column=column)
    mentee = _positions(scores["mentee_id"], mentee_index)
    mentor = _positions(scores["mentor_id"], mentor_index)
    score = pd.to_numeric(scores["score"], errors="coerce").to_numpy(np.float64)
    for name, bad in (
        ("mentee_id", mentee < 0),
        ("mentor_id", mentor < 0),
        ("score", ~np.isfinite(score) | (score < 0) | (score > MAX_SCORE)),
    ):
        if bad.any():
            reason = (
                f"must be a number from 0 to {MAX_SCORE:g}" if name == "score" else "unknown id"
            )
            raise InputError(reason, row=int(np.argmax(bad)), column=name)
    n_mentees, n_mentors = len(mentee_index), len(mentor_index)
    key = pair_keys(mentee, mentor, n_mentors)
    if key.size and not bool(np.all(key[1:] > key[:-1])):  # tables often come in order
        order = np.argsort(key, kind="stable")
        repeated = np.flatnonzero(np.diff(key[order]) == 0)
        if repeated.size:
            row = int(order[repeated[0] + 1])
            raise InputError("pair listed twice", row=row, column="mentor_id")
        mentee, mentor, score, key = mentee[order], mentor[order], score[order], key[order]

    forbidden, previous = excluded
    is_forbidden = is_in(key, keys_of(forbidden, n_mentors))
    is_previous = is_in(key, keys_of(previous, n_mentors)) & ~is_forbidden
    rule_ok = ~(is_forbidden | is_previous)
    keep = rule_ok & (score >= min_score)
    listed = np.bincount(mentee, minlength=n_mentees)
    best = _best_allowed(mentee, score, rule_ok, listed)
    eligibility = Eligibility(
        exclusion_names=("scores", FORBIDDEN, PREVIOUS),
        allowed=np.bincount(mentee[keep], minlength=n_mentees).astype(np.int64),
        rule_allowed=np.bincount(mentee[rule_ok], minlength=n_mentees).astype(np.int64),
        exclusion_counts=np.column_stack(
            [
                n_mentors - listed,
                np.bincount(mentee[is_forbidden], minlength=n_mentees),
                np.bincount(mentee[is_previous], minlength=n_mentees),
            ]
        ).astype(np.int64),
        best_rule_allowed=best,
    )
    missing = ~is_member(keys_of(locked, n_mentors), key[keep])  # keys in order
    if missing.any():
        raise RuleError(
            f"locked pair {int(np.argmax(missing)) + 1} has no allowed score "
            "(absent from the scores, forbidden, previous, or below the minimum score)"
        )
    return TableArcs(mentee[keep], mentor[keep], score[keep], eligibility)


def candidate_mask(
    arcs: TableArcs, top_k: int, locked: list[tuple[int, int]], n_mentors: int
) -> BoolArray | None:
    """Which arcs start the solve: each mentee's ``top_k`` best, each mentor's best few,
    and the locked pairs; ``None`` when the table is small enough to solve whole."""
    n_mentees = arcs.eligibility.allowed.size
    if arcs.score.size <= PRUNE_FACTOR * top_k * max(1, n_mentees):
        return None
    if arcs.score.size == n_mentees * n_mentors:  # every pair listed and allowed: a grid
        grid = arcs.score.reshape(n_mentees, n_mentors)
        keep = _best_in_rows(grid, top_k).ravel()
        keep |= _best_in_rows(grid.T, PER_MENTOR).T.ravel()
    else:
        keep = _best_per_group(arcs.mentee, arcs.score, top_k)
        keep |= _best_per_group(arcs.mentor, arcs.score, PER_MENTOR)
    keep |= arcs.among(keys_of(locked, n_mentors), n_mentors)
    return keep


def _best_in_rows(grid: NDArray[np.float64], k: int) -> BoolArray:
    """Mask of the ``k`` largest values of each row, ties to the smaller column (as
    :func:`_best_per_group` on the grid's cells in order): one short sort per row
    instead of one sort of the whole table."""
    order = np.argsort(-grid, axis=1, kind="stable")[:, :k]
    mask = np.zeros(grid.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


class TablePricer:
    """Finds listed pairs missing from the restricted problem whose score beats the prices.

    Implements :class:`matching.solver.ArcPricer` over the whole table, vectorised: a
    round costs a few passes over the table's arrays. Keeps no memory between calls.
    """

    def __init__(self, arcs: ScoredPairs, n_mentors: int, per_mentee: int = 10) -> None:
        self._arcs = arcs
        self._n_mentors = n_mentors
        self._per_mentee = per_mentee

    def price(
        self,
        mentee_price: FloatArray,
        mentor_price: FloatArray,
        tolerance: float,
        known: IntArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Pairs not in ``known`` with ``score > u_i + v_j + tolerance``, the best few per
        mentee (``known`` leaves first, so the cap never counts them)."""
        arcs = self._arcs
        reduced = arcs.score - mentee_price[arcs.mentee] - mentor_price[arcs.mentor]
        violating = np.flatnonzero(reduced > tolerance)
        if known is not None and known.size and violating.size:
            # Few pairs improve: look only theirs up (the table may hold every pair).
            key = arcs.take(violating).keys(self._n_mentors)
            violating = violating[~is_in(key, known)]
        mentee, value = arcs.mentee[violating], reduced[violating]
        chosen = violating[_best_per_group(mentee, value, self._per_mentee)]
        return arcs.mentee[chosen], arcs.mentor[chosen], arcs.score[chosen]


def _best_per_group(group: IntArray, value: FloatArray, k: int) -> BoolArray:
    """Mask of the ``k`` largest values within each group.

    Arrays must come in (mentee, mentor) order: ties then fall to the smaller other index,
    because one stable sort on ``group + (1 - normalised value) / 2`` (a float key that
    keeps groups apart) orders by group, then value, then input position.
    """
    if group.size == 0:
        return np.zeros(0, dtype=bool)
    low, high = float(value.min()), float(value.max())
    fraction = (high - value) / (high - low) if high > low else np.zeros_like(value)
    order = np.argsort(group + 0.5 * fraction, kind="stable")
    mask = np.zeros(order.size, dtype=bool)
    mask[order[rank_in_runs(group[order]) < k]] = True
    return mask


def _best_allowed(
    mentee: IntArray, score: FloatArray, allowed: BoolArray, listed: IntArray
) -> FloatArray:
    """Each mentee's best allowed score (NaN: none), over arcs in mentee order."""
    best = np.full(listed.size, np.nan)
    has_rows = listed > 0
    if not has_rows.any():
        return best
    starts = np.concatenate(([0], np.cumsum(listed)[:-1]))[has_rows]
    per_mentee = np.maximum.reduceat(np.where(allowed, score, -np.inf), starts)
    best[has_rows] = np.where(np.isfinite(per_mentee), per_mentee, np.nan)
    return best


def _positions(column: pd.Series, index: pd.Index) -> IntArray:
    """Index of each id in ``index`` (-1 when unknown), hashing each distinct id once."""
    codes, uniques = pd.factorize(column, sort=False)
    found = index.get_indexer(pd.Index([str(u).strip() for u in uniques]))
    return np.where(codes >= 0, found[codes], -1).astype(np.int64)
