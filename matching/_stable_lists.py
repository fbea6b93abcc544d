"""Preference lists scored by criteria, built a part at a time for deferred acceptance.

A proposer's list is every acceptable partner by her value (higher first, ties: lower
index). :class:`ScoredLists` never builds it whole: when a proposer has proposed to every
entry handed over so far and is still short, her next entries are chosen — the best after
her last one, twice as many as last time — from the candidate scan's pool of her best
mentors while it can decide them, else from her row scored against the other side
(block scores, as the candidates are). Block scores are float32; every entry handed
over carries its exact float64 values (:meth:`PairScorer.exact_pairs`), and an entry is
handed over only when no entry left behind can rank above it exactly (block scores are
within ``slack`` of exact ones), so the parts join into the exact list.

:meth:`ScoredLists.count_blocking` scans every mentee x mentor pair block by block and
counts the pairs that block a matching, checked exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

from matching._pairs import is_member, pair_keys
from matching.candidates import BLOCK_TOLERANCE, SCAN_THREADS
from matching.scoring import SCORE_CHUNK_ENTRIES, PairScorer
from matching.solver import ListPart, Matched, Proposing, Thresholds

__all__ = ["ScoredLists"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class ScoredLists:
    """Lists ranked by the pair score (and the mentors' own score when given).

    Implements :class:`matching.solver._stable.PreferenceLists`.

    Parameters
    ----------
    scorer
        The fitted pair scorer: the pair score, the mentees' ranking and which pairs are
        acceptable (rules, required criteria, minimum score).
    excluded
        Sorted keys ``mentee x n_mentors + mentor`` of pairs left out of every list
        (forbidden, previous, locked).
    mentor_scorer
        A scorer fitted on the same participants whose score is the mentors' ranking;
        default: the pair score.
    proposing
        ``mentees`` or ``mentors``: whose lists these are.
    first_part
        Entries in a proposer's first part; each later part is twice the last.
    pool
        Each mentee's best mentors by block score and the best block score left out
        (:attr:`matching.candidates.CandidateGraph.pool_mentor`, ``pool_score``,
        ``pool_bound``; forbidden and previous pairs left out). Mentees' first parts are
        read from it instead of scoring their rows again, where it decides them; the
        check reads it for every mentee whose worst partner scores above her bound.
    """

    def __init__(
        self,
        scorer: PairScorer,
        excluded: IntArray,
        *,
        mentor_scorer: PairScorer | None = None,
        proposing: Proposing = "mentees",
        first_part: int = 20,
        pool: tuple[NDArray[np.int32], NDArray[np.float32], NDArray[np.float32]] | None = None,
    ) -> None:
        self._pool = pool if proposing == "mentees" else None
        self._check_pool = pool
        self._scorer = scorer
        self._mentor_scorer = mentor_scorer
        self._proposing = proposing
        self._n, self._m = int(scorer.n_mentees_), int(scorer.n_mentors_)
        self._excluded = np.asarray(excluded, np.int64)
        mentee_major = self._excluded
        mentor_major = np.sort(
            (mentee_major % max(self._m, 1)) * self._n + mentee_major // max(self._m, 1)
        )
        self._excluded_rows = mentee_major if proposing == "mentees" else mentor_major
        weights = [float(np.sum(scorer.weights_))]
        if mentor_scorer is not None:
            weights.append(float(np.sum(mentor_scorer.weights_)))
        self.slack = BLOCK_TOLERANCE * max(1.0, *weights)
        rows = self._n if proposing == "mentees" else self._m
        self._cursor_value = np.full(rows, np.inf)
        self._cursor_tie = np.full(rows, -1, np.int64)
        self._size = np.full(rows, max(1, first_part), np.int64)
        self.rows_scored = 0
        """Proposer rows scored so far (each extension scores the rows it extends)."""

    @property
    def n_proposers(self) -> int:
        return self._n if self._proposing == "mentees" else self._m

    @property
    def n_receivers(self) -> int:
        return self._m if self._proposing == "mentees" else self._n

    @property
    def pairs_checked(self) -> int:
        return self._n * self._m

    # ----------------------------------------------------------------- lists

    def extend(self, proposers: IntArray) -> ListPart:
        """The next part of each proposer's list (or her list reported complete)."""
        parts: list[ListPart] = []
        waiting = np.asarray(proposers, np.int64)
        step = max(1, SCORE_CHUNK_ENTRIES // max(self.n_receivers, 1))
        while waiting.size:
            dense = waiting
            if self._pool is not None:
                # The pools decide a row's next entries until her cursor reaches the best
                # score left out of her pool; the rows they cannot decide are scored.
                cols, vals = self._pool[0][waiting], self._pool[1][waiting]
                bound = self._pool[2][waiting]
                values = vals.astype(np.float64)
                min_score = self._scorer.programme.min_score
                if min_score > 0.0:
                    values[values < min_score - self.slack] = -np.inf
                part, decided = self._decide(waiting, values, cols, bound.astype(np.float64))
                parts.append(part)
                dense = waiting[~decided]
            for i in range(0, dense.size, step):
                rows = dense[i : i + step]
                self.rows_scored += int(rows.size)
                no_bound = np.full(rows.size, -np.inf)
                parts.append(self._decide(rows, self._proposer_block(rows), None, no_bound)[0])
            # A part may hold only entries that turned out not acceptable exactly: such a
            # proposer's cursor moved on, so asking again makes progress.
            got = np.concatenate([p.proposer for p in parts])
            done = np.concatenate([p.complete for p in parts])
            waiting = np.setdiff1d(waiting, np.concatenate([got, done]))
        return _joined(parts)

    def _decide(
        self,
        rows: IntArray,
        values: FloatArray,
        cols: NDArray[np.int32] | None,
        bound: FloatArray,
    ) -> tuple[ListPart, BoolArray]:
        """The next entries of ``rows`` from block values (-inf: not acceptable) of the
        receivers ``cols`` (every receiver, in order, when None), no receiver left out
        scoring above ``bound`` by block; and which rows it decided (moved or complete).

        Entries already handed over (ranked before the cursor) leave first: certain above
        the band around it, decided exactly inside. Then every entry left behind scores
        below the part's threshold - 2 slack by block, so below threshold - slack exactly:
        those exactly at or above it, and above the bound plus slack, are next for sure.
        """
        slack = self.slack
        cursor_value, cursor_tie = self._cursor_value[rows], self._cursor_tie[rows]
        with np.errstate(invalid="ignore"):
            band = (values >= cursor_value[:, None] - slack) & (
                values <= cursor_value[:, None] + slack
            )
            values[values > cursor_value[:, None] + slack] = -np.inf
        row, slot = np.nonzero(band)
        if row.size:
            col = slot if cols is None else cols[row, slot].astype(np.int64)
            _, _, value, _ = self._exact(rows[row], col)
            listed = (value > cursor_value[row]) | (
                (value == cursor_value[row]) & (col <= cursor_tie[row])
            )
            values[row[listed], slot[listed]] = -np.inf
        threshold = _kth_largest(values, self._size[rows])
        with np.errstate(invalid="ignore"):
            near = values >= (threshold - 2 * slack)[:, None]
        near &= np.isfinite(values)
        row, slot = np.nonzero(near)
        col = slot if cols is None else cols[row, slot].astype(np.int64)
        score, ok, value, other = self._exact(rows[row], col)
        sure = (value >= threshold[row] - slack) & (value > bound[row] + slack)
        complete = ~np.isfinite(threshold) & ~np.isfinite(bound)
        decided = complete.copy()
        decided[row[sure]] = True
        entries = (row[sure], col[sure], score[sure], ok[sure], value[sure], other[sure])
        return self._handed(rows, entries, complete), decided

    def _handed(
        self,
        rows: IntArray,
        entries: tuple[IntArray, IntArray, FloatArray, BoolArray, FloatArray, FloatArray],
        complete: BoolArray,
    ) -> ListPart:
        """Sort the entries decided for ``rows`` (row position, receiver, score,
        acceptable, proposer's value, receiver's value), move the cursors past them and
        hand over the acceptable ones."""
        row, col, score, ok, value, other = entries
        # By row, then value (high first), then receiver: entries come in (row, receiver)
        # order, so a stable sort by value, then one by row on unique keys, does it (and
        # is several times faster than a three-key lexsort).
        by_value = np.argsort(-value, kind="stable")
        rank = np.empty(value.size, np.int64)
        rank[by_value] = np.arange(value.size)
        order = np.argsort(row * max(value.size, 1) + rank)
        row, col, score, ok = row[order], col[order], score[order], ok[order]
        value, other = value[order], other[order]
        last = np.ones(row.size, dtype=bool)
        last[:-1] = row[1:] != row[:-1]
        moved = rows[row[last]]
        self._cursor_value[moved] = value[last]
        self._cursor_tie[moved] = col[last]
        self._size[moved] *= 2
        return ListPart(rows[row[ok]], col[ok], score[ok], value[ok], other[ok], rows[complete])

    def _proposer_block(self, rows: IntArray) -> FloatArray:
        """(rows, receivers) block values of the proposers' ranking, -inf where the pair is
        not acceptable (rules, exclusions, and a score below the minimum by more than the
        block error)."""
        if self._proposing == "mentees":
            block = self._scorer.score_block(rows)
            score, acceptable = block.score, block.rule_allowed
            mine = score
        else:
            everyone = np.arange(self._n, dtype=np.int64)
            block = self._scorer.score_block(everyone, rows)
            score, acceptable = block.score.T, block.rule_allowed.T
            mine = score
            if self._mentor_scorer is not None:
                mine = self._mentor_scorer.score_block(everyone, rows).score.T
        acceptable = acceptable & ~_rows_mask(self._excluded_rows, rows, self.n_receivers)
        min_score = self._scorer.programme.min_score
        if min_score > 0.0:
            acceptable &= score >= min_score - self.slack
        return np.where(acceptable, np.asarray(mine, np.float64), -np.inf)

    def _exact(
        self, proposer: IntArray, receiver: IntArray
    ) -> tuple[FloatArray, BoolArray, FloatArray, FloatArray]:
        """Exact (pair score, acceptable, proposer's value, receiver's value)."""
        mentee, mentor = (
            (proposer, receiver) if self._proposing == "mentees" else (receiver, proposer)
        )
        score, ok = self._scorer.exact_pairs(mentee, mentor)
        ok &= ~is_member(pair_keys(mentee, mentor, self._m), self._excluded)
        theirs = self._mentor_value(mentee, mentor, score)
        if self._proposing == "mentees":
            return score, ok, score, theirs
        return score, ok, theirs, score

    def _mentor_value(self, mentee: IntArray, mentor: IntArray, score: FloatArray) -> FloatArray:
        if self._mentor_scorer is None:
            return score
        return self._mentor_scorer.exact_pairs(mentee, mentor)[0]

    # ----------------------------------------------------------------- check

    def count_blocking(self, matched: Matched, quota: IntArray, capacity: IntArray) -> int:
        """Pairs over all mentees x mentors that block ``matched``, checked exactly."""
        if self._proposing == "mentees":
            mentee, mentor = matched.proposer, matched.receiver
            mentee_value, mentor_value = matched.proposer_value, matched.receiver_value
            demand, seats = quota, capacity
        else:
            mentee, mentor = matched.receiver, matched.proposer
            mentee_value, mentor_value = matched.receiver_value, matched.proposer_value
            demand, seats = capacity, quota
        held = Matched(mentee, mentor, matched.score, mentee_value, mentor_value)
        worst = Thresholds.of(held, demand, seats, self._n, self._m)
        held_keys = np.sort(pair_keys(mentee, mentor, self._m))
        found = 0
        dense = np.arange(self._n, dtype=np.int64)
        if self._check_pool is not None:
            # A mentor left out of mentee i's pool scores at most her bound (block), so
            # it cannot block when the bound is below her worst partner: her pool decides.
            bound = self._check_pool[2].astype(np.float64)
            decided = bound + 2 * self.slack < worst.proposer_value
            found += self._pool_blocking(np.flatnonzero(decided), worst, held_keys)
            dense = np.flatnonzero(~decided)
        step = max(1, SCORE_CHUNK_ENTRIES // max(self._m, 1))
        chunks = [dense[start : start + step] for start in range(0, dense.size, step)]
        # Two threads, as the candidate scan: numpy releases the GIL on block work.
        with ThreadPoolExecutor(SCAN_THREADS) as executor:
            counts = executor.map(lambda rows: self._block_blocking(rows, worst, held_keys), chunks)
            return found + sum(counts)

    def _pool_blocking(self, rows: IntArray, worst: Thresholds, held_keys: IntArray) -> int:
        """Blocking pairs of the mentees ``rows`` among their pool entries."""
        assert self._check_pool is not None
        cols, vals, _ = (a[rows] for a in self._check_pool)
        values = vals.astype(np.float64)
        slack = self.slack
        near = np.isfinite(values) & (values >= (worst.proposer_value[rows] - slack)[:, None])
        if self._mentor_scorer is None:  # the mentors rank by the same block scores
            near &= values >= worst.receiver_value[cols] - slack
        min_score = self._scorer.programme.min_score
        if min_score > 0.0:
            near &= values >= min_score - slack
        row, slot = np.nonzero(near)
        mentee, mentor = rows[row], cols[row, slot].astype(np.int64)
        key = pair_keys(mentee, mentor, self._m)
        fresh = ~is_member(key, held_keys) & ~is_member(key, self._excluded)
        mentee, mentor = mentee[fresh], mentor[fresh]
        exact, ok = self._scorer.exact_pairs(mentee, mentor)
        mentor_value = self._mentor_value(mentee, mentor, exact)
        return int(np.count_nonzero(ok & worst.blocks(mentee, mentor, exact, mentor_value)))

    def _block_blocking(self, rows: IntArray, worst: Thresholds, held_keys: IntArray) -> int:
        """Blocking pairs among the mentees ``rows``: loose by block scores, then exact."""
        block = self._scorer.score_block(rows)
        score = block.score
        theirs = (
            score if self._mentor_scorer is None else self._mentor_scorer.score_block(rows).score
        )
        acceptable = block.rule_allowed & ~_rows_mask(self._excluded, rows, self._m)
        acceptable &= ~_rows_mask(held_keys, rows, self._m)
        min_score = self._scorer.programme.min_score
        slack = self.slack
        with np.errstate(invalid="ignore"):
            if min_score > 0.0:
                acceptable &= score >= min_score - slack
            acceptable &= score >= (worst.proposer_value[rows] - slack)[:, None]
            acceptable &= theirs >= (worst.receiver_value - slack)[None, :]
        row, mentor = np.nonzero(acceptable)
        if row.size == 0:
            return 0
        mentee = rows[row]
        exact, ok = self._scorer.exact_pairs(mentee, mentor)
        mentor_value = self._mentor_value(mentee, mentor, exact)
        return int(np.count_nonzero(ok & worst.blocks(mentee, mentor, exact, mentor_value)))


def _kth_largest(values: FloatArray, k: IntArray) -> FloatArray:
    """Each row's ``k[row]``-th largest finite value, -inf when it has ``k`` or fewer
    finite values (the row is then taken whole)."""
    rows, width = values.shape
    threshold = np.full(rows, -np.inf)
    finite = np.count_nonzero(np.isfinite(values), axis=1)
    for size in np.unique(k).tolist():
        chosen = np.flatnonzero((k == size) & (finite > size))
        if chosen.size == 0:
            continue
        kth = np.partition(values[chosen], width - size, axis=1)[:, width - size]
        threshold[chosen] = kth
    return threshold


def _rows_mask(keys: IntArray, rows: IntArray, width: int) -> BoolArray:
    """(len(rows), width) mask of the sorted ``keys`` (``row x width + column``) in ``rows``."""
    mask = np.zeros((rows.size, width), dtype=bool)
    if keys.size == 0 or rows.size == 0:
        return mask
    lo = np.searchsorted(keys, rows * width)
    hi = np.searchsorted(keys, (rows + 1) * width)
    counts = hi - lo
    total = int(counts.sum())
    if total:
        local = np.repeat(np.arange(rows.size), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        position = np.repeat(lo, counts) + offsets
        mask[local, keys[position] - rows[local] * width] = True
    return mask


def _joined(parts: list[ListPart]) -> ListPart:
    """Parts of different proposers as one part, grouped by proposer (increasing)."""
    if not parts:
        empty = np.zeros(0, np.int64)
        return ListPart(empty, empty, np.zeros(0), np.zeros(0), np.zeros(0), empty)
    proposer = np.concatenate([p.proposer for p in parts])
    order = np.argsort(proposer, kind="stable")
    return ListPart(
        proposer[order],
        np.concatenate([p.receiver for p in parts])[order],
        np.concatenate([p.score for p in parts])[order],
        np.concatenate([p.proposer_value for p in parts])[order],
        np.concatenate([p.receiver_value for p in parts])[order],
        np.concatenate([p.complete for p in parts]),
    )
