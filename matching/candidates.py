"""The sparse candidate graph and the pricer that makes pruning exact.

:func:`build_candidates` scores blocks of mentees against every mentor and keeps, for
each mentee, her ``top_k`` best allowed mentors, and for each mentor her best few
mentees (so popular mentors do not crowd the others out of every list), plus the locked
pairs; the full mentee x mentor matrix never exists. It also records, per mentee, what
the explanations need (allowed counts, exclusions per rule, best score).

It runs in two steps, :func:`scan_candidates` (the blocks) and
:meth:`CandidateScan.select` (the arcs), so that mentor prices estimated in between
(:mod:`matching.solver._contention`) can choose each mentee's ``top_k`` by score less
price, from the best mentors by score each mentee's pool remembers.

:class:`CandidatePricer` is the solver's column generator: given dual prices it scans
every allowed pair block by block and returns those missing from the problem whose
score beats the prices; when it returns nothing, the restricted optimum is optimal over
all allowed pairs.

Every score leaving this module is the exact float64 sum of the pair's contributions
(:meth:`PairScorer.pair_contributions`), never a float32 block value, so arcs, bounds
and output files agree to the last digit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from itertools import count, pairwise
from typing import TypedDict, Unpack

import numpy as np
from numpy.typing import NDArray

from matching._arrays import rank_in_runs
from matching._pairs import (
    ArcViews,
    ScoredPairs,
    is_member,
    pair_keys,
    row_key_range,
    sorted_unique,
    split_keys,
)
from matching.errors import RuleError
from matching.scoring import SCORE_CHUNK_ENTRIES, PairScorer, count_rows

__all__ = [
    "CandidateGraph",
    "CandidatePricer",
    "CandidateSample",
    "CandidateScan",
    "PricingJob",
    "RoundPrices",
    "ScanOptions",
    "ScanPart",
    "ScanPlan",
    "ViolatorSearch",
    "build_candidates",
    "join_scan",
    "plan_scan",
    "scan_candidates",
    "scan_part",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

FORBIDDEN = "forbidden"
"""Exclusion name of explicitly forbidden pairs."""
PREVIOUS = "previous"
"""Exclusion name of earlier pairs not to repeat (a pair both forbidden and previous
counts as forbidden)."""

SCAN_THREADS = max(1, min(2, os.cpu_count() or 1))
"""Threads scanning the blocks in :func:`build_candidates`."""

MERGE_ENTRIES = 2**17
"""Entries gathered before merging them into the running best mentees per mentor."""

BLOCK_TOLERANCE = 1e-5
"""Float32 block scores are within this (relative to the total weight) of exact scores:
block-level filters are loosened by it and the survivors are checked exactly."""


@dataclass(frozen=True)
class CandidateGraph(ArcViews):
    """Candidate arcs and per-mentee eligibility, from :func:`build_candidates`.

    Attributes
    ----------
    arcs : ScoredPairs
        Candidate pairs, sorted by (mentee, mentor), unique, all allowed, with their
        exact scores (``arc_mentee``, ``arc_mentor``, ``arc_score`` read its arrays).
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
        The scorer's ``exclusion_names_`` followed by ``"forbidden"`` and ``"previous"``.
    pool_mentor, pool_score : ndarray (n_mentees, P) int32 / float32, optional
        Each mentee's best rule-allowed, non-forbidden mentors by block score (at most
        ``P``: every one scoring above ``pool_bound``), in mentor order; -inf scores pad.
    pool_bound : ndarray (n_mentees,) float32, optional
        The best block score of a rule-allowed, non-forbidden mentor left out of the pool
        (-inf when none is): :class:`CandidatePricer` rescans a mentee's row only when
        this could beat her prices.
    forbidden_keys : ndarray int64, optional
        Sorted keys ``mentee x n_mentors + mentor`` of the forbidden pairs the pool excludes.
    """

    arcs: ScoredPairs
    allowed_count: IntArray
    rule_allowed_count: IntArray
    exclusion_counts: IntArray
    below_min_score_count: IntArray
    best_rule_allowed_score: FloatArray
    exclusion_names: tuple[str, ...]
    pool_mentor: NDArray[np.int32] | None = None
    pool_score: NDArray[np.float32] | None = None
    pool_bound: NDArray[np.float32] | None = None
    forbidden_keys: IntArray | None = None


@dataclass(frozen=True)
class CandidateSample(ScoredPairs):
    """Candidate arcs of some mentees, for estimating contention (block scores): each
    pair's ``mentee`` is her position in ``rows``."""

    rows: IntArray
    """The mentees sampled, increasing."""


@dataclass(frozen=True)
class CandidateScan:
    """What a scan of every block keeps (:func:`scan_candidates`); :meth:`select` turns
    it into the :class:`CandidateGraph`.

    The arcs are each mentee's ``top_k`` by block score (``by_score``, keys
    ``mentee x n_mentors + mentor``), each mentor's best mentees (``mentor_side``, block
    scores) and
    the locked pairs; ``records`` is the graph without its arcs (eligibility, pools).
    """

    scorer: PairScorer
    top_k: int
    by_score: IntArray
    mentor_side: ScoredPairs
    locked_keys: IntArray
    records: CandidateGraph

    @property
    def pool_mentor(self) -> NDArray[np.int32] | None:
        return self.records.pool_mentor

    @property
    def pool_score(self) -> NDArray[np.float32] | None:
        return self.records.pool_score

    @property
    def n_mentees(self) -> int:
        return int(self.scorer.n_mentees_)

    @property
    def n_mentors(self) -> int:
        return int(self.scorer.n_mentors_)

    def sample(self, rows: IntArray) -> CandidateSample | None:
        """The candidate arcs of the mentees ``rows`` (increasing): their ``top_k`` from
        the pools and the mentor-side arcs that reach them; None without pools."""
        if self.pool_mentor is None or self.pool_score is None or rows.size == 0:
            return None
        cols, vals = self.pool_mentor[rows], self.pool_score[rows]
        row, slot = _nonzero(_top_per_row(np.where(self._passes(vals), vals, -np.inf), self.top_k))
        side = self.mentor_side
        position = np.searchsorted(rows, side.mentee)
        position = np.minimum(position, rows.size - 1)
        reached = rows[position] == side.mentee
        mentee = np.concatenate([row, position[reached]])
        mentor = cols[row, slot].astype(np.int64)
        mentor = np.concatenate([mentor, side.mentor[reached]])
        score = np.concatenate([vals[row, slot], side.score[reached]])
        key = pair_keys(mentee, mentor, self.n_mentors)
        _, first = np.unique(key, return_index=True)
        return CandidateSample(
            mentee=mentee[first],
            mentor=mentor[first],
            score=score[first].astype(np.float64),
            rows=rows,
        )

    def select(self, mentor_price: FloatArray | None = None) -> CandidateGraph:
        """The candidate graph: each mentee's ``top_k``, each mentor's best mentees and the
        locked pairs, with exact scores.

        With ``mentor_price`` (score units, one per mentor) and pools, a mentee's
        ``top_k`` are her pool's best by *score less price*, plus her best by score:
        where a few mentors are everyone's favourites, this points each mentee at the
        mentors she can get (see :mod:`matching.solver._contention`). A mentee whose
        pool holds fewer than ``top_k`` allowed mentors keeps her choice by score.
        """
        m = self.n_mentors
        mentee_side = self.by_score
        if mentor_price is not None and self.pool_mentor is not None:
            assert self.pool_score is not None  # pools come in pairs
            price = np.asarray(mentor_price, dtype=np.float64)
            mentee_side = self._by_price(self.pool_mentor, self.pool_score, price)
        mentor_side = self.mentor_side.keys(m)
        keys = sorted_unique(np.concatenate([mentee_side, mentor_side, self.locked_keys]))
        arc_mentee, arc_mentor = split_keys(keys, m)
        # Exact scores are computed pair by pair: in parts on the threads (the table
        # gathers release the GIL), the same numbers.
        cuts = np.linspace(0, keys.size, SCAN_THREADS + 1).astype(np.int64).tolist()
        parts = [slice(a, b) for a, b in pairwise(cuts)]
        exact_pairs = self.scorer.exact_pairs
        with ThreadPoolExecutor(SCAN_THREADS) as executor:
            exact = list(executor.map(lambda p: exact_pairs(arc_mentee[p], arc_mentor[p]), parts))
        arc_score = np.concatenate([e[0] for e in exact])
        arc_ok = np.concatenate([e[1] for e in exact])
        # Float32 could let a pair right at min_score or a threshold through: exact check
        # wins (locked pairs were checked exactly, so they always stay).
        keep = arc_ok | is_member(keys, self.locked_keys)
        arcs = ScoredPairs(arc_mentee[keep], arc_mentor[keep], arc_score[keep])
        return replace(self.records, arcs=arcs)

    def _passes(self, vals: NDArray[np.float32]) -> BoolArray:
        """Pool slots holding an allowed mentor (finite, at least the minimum score)."""
        passes = np.isfinite(vals)
        min_score = self.scorer.programme.min_score
        if min_score > 0.0:
            passes &= vals >= np.float32(min_score)
        return passes

    def _by_price(
        self, cols: NDArray[np.int32], vals: NDArray[np.float32], mentor_price: FloatArray
    ) -> IntArray:
        """Each mentee's ``top_k`` pool mentors (``cols``, block scores ``vals``) by score
        less price, plus her best by score."""
        m = self.n_mentors
        passes = self._passes(vals)
        price = mentor_price.astype(np.float32)[cols]
        taken = _top_per_row(np.where(passes, vals - price, -np.inf), self.top_k)
        has_any = np.flatnonzero(passes.any(axis=1))
        best = np.argmax(np.where(passes[has_any], vals[has_any], -np.inf), axis=1)
        taken[has_any, best] = True
        row, slot = _nonzero(taken)
        keys = pair_keys(row, cols[row, slot], m)
        # Rows whose pool holds fewer than top_k allowed mentors: the scan's choice.
        short = np.count_nonzero(passes, axis=1) < self.top_k
        kept = self.by_score[short[split_keys(self.by_score, m)[0]]]
        return np.concatenate([keys, kept])


def _keys(pairs: Sequence[tuple[int, int]], n_mentors: int) -> IntArray:
    """Sorted unique ``mentee * n_mentors + mentor`` keys of index pairs."""
    if not pairs:
        return np.empty(0, dtype=np.int64)
    array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return sorted_unique(pair_keys(array[:, 0], array[:, 1], n_mentors))


def _block_mask(keys: IntArray, start: int, stop: int, n_mentors: int) -> BoolArray:
    """(stop - start, n_mentors) mask of the sorted ``keys`` falling in mentees [start, stop)."""
    mask = np.zeros((stop - start, n_mentors), dtype=bool)
    first, stop_key = row_key_range(start, stop, n_mentors)
    lo, hi = np.searchsorted(keys, [first, stop_key])
    inside = keys[lo:hi] - first
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
    keys = pair_keys(array[:, 0], array[:, 1], scorer.n_mentors_)
    clash = is_member(keys, forbidden_keys)
    if clash.any():
        position = int(np.argmax(clash)) + 1
        raise RuleError(f"locked pair {position} is also a forbidden (or previous) pair")
    exclusions = scorer.pair_exclusions(array[:, 0], array[:, 1])
    if exclusions.any():
        row, rule = np.argwhere(exclusions)[0].tolist()
        name = scorer.exclusion_names_[rule]
        raise RuleError(f"locked pair {row + 1} is not allowed: rule '{name}' excludes it")


class ScanOptions(TypedDict, total=False):
    """Keyword options of :func:`scan_candidates` besides ``top_k`` (documented there)."""

    locked: Sequence[tuple[int, int]]
    forbidden: Sequence[tuple[int, int]]
    previous: Sequence[tuple[int, int]]
    block_size: int
    per_mentor: int | None
    pool: int
    progress: Callable[[float], None] | None


def build_candidates(
    scorer: PairScorer, *, top_k: int, **options: Unpack[ScanOptions]
) -> CandidateGraph:
    """Score blocks of mentees and keep the candidate arcs, each mentee's ``top_k`` by
    score: :func:`scan_candidates` (same parameters) then :meth:`CandidateScan.select`."""
    return scan_candidates(scorer, top_k=top_k, **options).select()


def scan_candidates(
    scorer: PairScorer,
    *,
    top_k: int,
    locked: Sequence[tuple[int, int]] = (),
    forbidden: Sequence[tuple[int, int]] = (),
    previous: Sequence[tuple[int, int]] = (),
    block_size: int = 2048,
    per_mentor: int | None = None,
    pool: int = 128,
    progress: Callable[[float], None] | None = None,
) -> CandidateScan:
    """Score blocks of mentees and record what choosing the candidate arcs needs.

    Parameters
    ----------
    scorer
        A fitted :class:`PairScorer`.
    top_k
        Best allowed mentors kept per mentee.
    locked
        (mentee_idx, mentor_idx) pairs always included.
    forbidden
        (mentee_idx, mentor_idx) pairs never included, counted under the exclusion name
        ``"forbidden"``.
    previous
        Earlier pairs not to repeat: never included either, counted under ``"previous"``
        (an unmatched mentee's reason names what kept her mentors away).
    block_size
        Mentees scored at once; memory grows with ``block_size x n_mentors``.
    per_mentor
        Best allowed mentees kept per mentor, over all blocks. Default: three times the
        mean number of mentees per mentor (at least 3). Mentors nobody ranks high then
        still have enough arcs to take the mentees the popular ones cannot: on contention
        cohorts the first restricted solve already matches everyone it can, so its prices
        do not make every free seat look better than every pair (fewer pricing rounds
        for a few more candidate arcs).
    pool
        Further best mentors remembered per mentee (beyond ``top_k``) for
        :class:`CandidatePricer`, which then rescans a mentee's row only when a mentor
        outside her pool could beat her prices; 0 keeps no pool.
    progress
        Called with the share of blocks done, in [0, 1].

    Returns
    -------
    CandidateScan
        Each mentee's ``top_k`` by score, each mentor's best mentees, the locked pairs,
        the pools and the eligibility counts; :meth:`CandidateScan.select` makes the graph.

    Raises
    ------
    RuleError
        A locked pair is forbidden, previous or not allowed by a rule (named in the
        message).
    """
    plan = plan_scan(
        scorer,
        top_k=top_k,
        locked=locked,
        forbidden=forbidden,
        previous=previous,
        block_size=block_size,
        per_mentor=per_mentor,
        pool=pool,
        threads=SCAN_THREADS,
    )
    # The chunks on two threads (numpy releases the GIL on block-sized work; each chunk
    # writes its own rows), this one reporting the chunks done.
    scan = _BlockScan(scorer, plan, range(scorer.n_mentees_))
    with ThreadPoolExecutor(SCAN_THREADS) as executor:
        later = executor.submit(scan.run, None) if SCAN_THREADS > 1 else None
        chosen, mentor_best = scan.run(progress)
        if later is not None:
            more, other_best = later.result()
            chosen += more
            mentor_best.absorb(other_best)
    return _assemble(scorer, plan, chosen, mentor_best, scan.rows)


@dataclass(frozen=True)
class ScanPlan:
    """What every block of a scan shares, fixed before the first block
    (:func:`plan_scan`): the blocks can then be scanned in any number of parts
    (:func:`scan_part`) and joined (:func:`join_scan`) into the scan a single pass makes.
    """

    top_k: int
    forbidden_keys: IntArray
    """Sorted keys of every pair kept out (forbidden and previous)."""
    named_keys: IntArray
    """Sorted keys of the forbidden pairs alone (counted apart from the previous)."""
    locked_keys: IntArray
    width: int
    """Pool slots per mentee (0: no pools)."""
    per_mentor: int
    step: int
    """Mentees per chunk: the chunks start at multiples of it."""
    floor: FloatArray
    """Per mentor, the sample's r-th best block score (see :func:`_mentor_floor`)."""

    def parts(self, n_mentees: int, rows: int) -> list[range]:
        """Consecutive mentee ranges of about ``rows`` mentees each, cut at chunk starts
        (so every part scores the very chunks a single pass scores)."""
        size = max(1, -(-rows // self.step)) * self.step
        return [range(a, min(a + size, n_mentees)) for a in range(0, n_mentees, size)]


def plan_scan(
    scorer: PairScorer,
    *,
    top_k: int,
    locked: Sequence[tuple[int, int]] = (),
    forbidden: Sequence[tuple[int, int]] = (),
    previous: Sequence[tuple[int, int]] = (),
    block_size: int = 2048,
    per_mentor: int | None = None,
    pool: int = 128,
    threads: int = 1,
) -> ScanPlan:
    """The plan of a scan with :func:`scan_candidates`'s parameters (the same defaults);
    checks the locked pairs and scores the sample that sets each mentor's floor, on
    ``threads`` threads.

    Raises
    ------
    RuleError
        A locked pair is forbidden, previous or not allowed by a rule.
    """
    m = scorer.n_mentors_
    forbidden_keys = _keys([*forbidden, *previous], m)  # every pair kept out
    _check_locked(scorer, locked, forbidden_keys)
    per_mentor = _mentors_best_count(per_mentor, scorer.n_mentees_, m)
    # What the similarities build on first use, then the sample floor, each on the threads.
    scorer.prepare(threads)
    with ThreadPoolExecutor(threads) as executor:
        floor = _mentor_floor(scorer, forbidden_keys, per_mentor, block_size, executor)
    return ScanPlan(
        top_k=top_k,
        forbidden_keys=forbidden_keys,
        named_keys=_keys(forbidden, m),
        locked_keys=_keys(locked, m),
        width=min(top_k + pool, m) if pool > 0 else 0,
        per_mentor=per_mentor,
        # Within the memory bound of ``block_size``, cache-sized steps run fastest.
        step=max(1, min(block_size, SCORE_CHUNK_ENTRIES // max(m, 1))),
        floor=floor,
    )


@dataclass(frozen=True)
class ScanPart:
    """One part of a scan (:func:`scan_part`): its rows' records and chosen keys, and
    each mentor's best mentees among its rows."""

    rows: range
    records: _ScanRows
    chosen: IntArray
    mentor_best: _MentorsBest


def scan_part(scorer: PairScorer, plan: ScanPlan, rows: range) -> ScanPart:
    """Scan the mentees ``rows`` (a range from :meth:`ScanPlan.parts`) on this thread."""
    scan = _BlockScan(scorer, plan, rows)
    chosen, mentor_best = scan.run(None)
    keys = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
    return ScanPart(rows, scan.rows, keys, mentor_best)


def join_scan(scorer: PairScorer, plan: ScanPlan, parts: Iterable[ScanPart]) -> CandidateScan:
    """The scan of every mentee from parts covering them, taken in any order (each
    part's best mentees per mentor are merged as it comes): the same
    :class:`CandidateScan` a single pass makes."""
    mentor_best = _MentorsBest(plan.per_mentor, scorer.n_mentors_, np.dtype(scorer.dtype).type)
    kept: list[tuple[int, _ScanRows, IntArray]] = []
    for part in parts:
        mentor_best.absorb(part.mentor_best)
        kept.append((part.rows.start, part.records, part.chosen))
    kept.sort(key=lambda part: part[0])
    records = _ScanRows.concatenate([part[1] for part in kept])
    return _assemble(scorer, plan, [part[2] for part in kept], mentor_best, records)


def _assemble(
    scorer: PairScorer,
    plan: ScanPlan,
    chosen: list[IntArray],
    mentor_best: _MentorsBest,
    rows: _ScanRows,
) -> CandidateScan:
    """The scan from every row's records, the chosen keys and the mentors' best."""
    mentor_side = mentor_best.live()
    best = _best_scores(scorer, rows.counts.best_mentor)
    names = (*scorer.exclusion_names_, FORBIDDEN, PREVIOUS)
    return CandidateScan(
        scorer=scorer,
        top_k=plan.top_k,
        by_score=np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64),
        mentor_side=mentor_side,
        locked_keys=plan.locked_keys,
        records=rows.records(best, names, plan.forbidden_keys, pools=plan.width > 0),
    )


def _mentors_best_count(per_mentor: int | None, n: int, m: int) -> int:
    """Best mentees kept per mentor: by default three times the mean mentees per mentor
    (at least 3), never more than the mentees."""
    if per_mentor is None:
        per_mentor = max(3, 3 * -(-n // max(m, 1)))
    return max(0, min(per_mentor, n))


def _best_scores(scorer: PairScorer, best_mentor: IntArray) -> FloatArray:
    """Each mentee's exact score with her best rule-allowed mentor (NaN without one)."""
    best = np.full(best_mentor.size, np.nan)
    has_best = best_mentor >= 0
    if has_best.any():
        best_idx = np.flatnonzero(has_best)
        best[best_idx] = scorer.pair_contributions(best_idx, best_mentor[has_best]).sum(axis=1)
    return best


@dataclass
class _ScanCounts:
    """Per mentee, what the scan counts (each chunk writes its own rows)."""

    allowed: IntArray
    rule_allowed: IntArray
    below: IntArray
    exclusions: IntArray
    """One column per exclusion name, then ``forbidden`` and ``previous``."""
    best_mentor: IntArray
    """Her best rule-allowed mentor by block score, -1 without one."""

    @classmethod
    def zeros(cls, n: int, n_names: int) -> _ScanCounts:
        def empty() -> IntArray:
            return np.zeros(n, dtype=np.int64)

        exclusions = np.zeros((n, n_names), dtype=np.int64)
        return cls(empty(), empty(), empty(), exclusions, np.full(n, -1, dtype=np.int64))


@dataclass
class _ScanRows:
    """What a scan records per mentee of its rows: counts and pools (each chunk writes
    its own rows)."""

    counts: _ScanCounts
    pool_mentor: NDArray[np.int32]
    pool_score: NDArray[np.float32]
    pool_bound: NDArray[np.float32]

    @classmethod
    def empty(cls, n: int, n_names: int, width: int) -> _ScanRows:
        return cls(
            _ScanCounts.zeros(n, n_names),
            np.zeros((n, width), dtype=np.int32),
            np.full((n, width), -np.inf, dtype=np.float32),
            np.full(n, -np.inf, dtype=np.float32),
        )

    @classmethod
    def concatenate(cls, parts: Sequence[_ScanRows]) -> _ScanRows:
        """The rows of consecutive parts, in order."""
        counts = [part.counts for part in parts]
        return cls(
            _ScanCounts(
                *(
                    np.concatenate([getattr(c, field.name) for c in counts])
                    for field in fields(_ScanCounts)
                )
            ),
            np.concatenate([part.pool_mentor for part in parts]),
            np.concatenate([part.pool_score for part in parts]),
            np.concatenate([part.pool_bound for part in parts]),
        )

    def records(
        self, best: FloatArray, names: tuple[str, ...], forbidden_keys: IntArray, *, pools: bool
    ) -> CandidateGraph:
        """The candidate graph without its arcs: eligibility counts and pools."""
        counts = self.counts
        return CandidateGraph(
            arcs=ScoredPairs.empty(),
            allowed_count=counts.allowed,
            rule_allowed_count=counts.rule_allowed,
            exclusion_counts=counts.exclusions,
            below_min_score_count=counts.below,
            best_rule_allowed_score=best,
            exclusion_names=names,
            pool_mentor=self.pool_mentor if pools else None,
            pool_score=self.pool_score if pools else None,
            pool_bound=self.pool_bound if pools else None,
            forbidden_keys=forbidden_keys,
        )


class _MentorsBest:
    """Each mentor's best mentees so far, best first (ties: the lower mentee): entries
    offered are gathered and merged in batches, after which few pass."""

    def __init__(self, per_mentor: int, n_mentors: int, dtype: type[np.floating]) -> None:
        self.per_mentor = per_mentor
        self.score: NDArray[np.floating] = np.full((per_mentor, n_mentors), -np.inf, dtype)
        self.mentee = np.full((per_mentor, n_mentors), -1, dtype=np.int64)
        self._pending: list[tuple[IntArray, NDArray[np.floating], IntArray]] = []
        self._waiting = 0

    def offer(self, ruled: NDArray[np.floating], start: int, lowest: NDArray[np.floating]) -> None:
        """Offer the block's rows ``start..``: only allowed entries above a mentor's
        r-th best so far can enter (ties keep the earlier, lower mentee), and until the
        first merge only those at least a sample's r-th best (ties pass): one comparison
        against ``lowest``."""
        if not self.per_mentor:
            return
        limit = np.maximum(self.score[-1], lowest)
        row, col = _nonzero(ruled > limit[None, :])
        self._pending.append((col, ruled[row, col], row + start))
        self._waiting += row.size
        if self._waiting > MERGE_ENTRIES:
            self.flush()

    def flush(self) -> None:
        """Merge what is pending."""
        self.score, self.mentee = _merge_mentor_best(
            self.score, self.mentee, self._pending, self.per_mentor
        )
        self._pending, self._waiting = [], 0

    def absorb(self, other: _MentorsBest) -> None:
        """Merge another scan's best mentees into these."""
        live = np.isfinite(other.score)
        self.score, self.mentee = _merge_mentor_best(
            self.score,
            self.mentee,
            [(np.nonzero(live)[1], other.score[live], other.mentee[live])],
            self.per_mentor,
        )

    def live(self) -> ScoredPairs:
        """The kept (mentee, mentor, block score) entries, by rank then mentor; scores at
        float32 precision, as the pools hold them."""
        live = np.isfinite(self.score)
        score = self.score[live].astype(np.float32).astype(np.float64)
        return ScoredPairs(self.mentee[live], np.nonzero(live)[1].astype(np.int64), score)


class _BlockScan:
    """One scan over the blocks of mentees ``rows``, shared by the scanning threads: each
    takes the next chunk from one queue when it is free (each sees increasing rows, as
    the per-mentor filter needs, and neither waits if the other is slowed) and writes its
    rows of the counts and pools in place."""

    def __init__(self, scorer: PairScorer, plan: ScanPlan, rows: range) -> None:
        self.scorer, self.top_k, self.width = scorer, plan.top_k, plan.width
        self.per_mentor = plan.per_mentor
        self.forbidden_keys, self.named_keys = plan.forbidden_keys, plan.named_keys
        self.min_score = scorer.programme.min_score
        names = (*scorer.exclusion_names_, FORBIDDEN, PREVIOUS)
        self.first = rows.start
        self.rows = _ScanRows.empty(len(rows), len(names), plan.width)
        self.dtype = np.dtype(scorer.dtype).type
        # In the block dtype, x > lowest is x >= floor (and x >= min_score when it is
        # set): the float just below each bound, so one strict comparison does all.
        lowest = np.nextafter(plan.floor.astype(self.dtype), self.dtype(-np.inf))
        if self.min_score > 0.0:
            below_min = np.nextafter(self.dtype(self.min_score), self.dtype(-np.inf))
            lowest = np.maximum(lowest, below_min)
        self.lowest: NDArray[np.floating] = lowest
        self.starts = range(rows.start, rows.stop, plan.step)
        self.stop = rows.stop
        self.step = plan.step
        self._queue = iter(self.starts)
        self._finished = count(1)
        self._lock = threading.Lock()

    def run(self, progress: Callable[[float], None] | None) -> tuple[list[IntArray], _MentorsBest]:
        """Score and select over the chunks taken one by one from the shared queue: the
        chosen keys and these rows' best mentees per mentor; ``progress`` gets the share
        of chunks done (by every thread)."""
        chosen: list[IntArray] = []
        best = _MentorsBest(self.per_mentor, self.scorer.n_mentors_, self.dtype)
        while (start := self._take()) is not None:
            stop = min(start + self.step, self.stop)
            ruled, has_rule_allowed = self._ruled_block(start, stop)
            chosen.append(self._choose(start, stop, ruled, has_rule_allowed))
            best.offer(ruled, start, self.lowest)
            del ruled
            with self._lock:
                done = next(self._finished)
            if progress is not None:
                progress(min(1.0, done / max(len(self.starts), 1)))
        if self.per_mentor:
            best.flush()
        return chosen, best

    def _take(self) -> int | None:
        with self._lock:
            return next(self._queue, None)

    def _ruled_block(self, start: int, stop: int) -> tuple[NDArray[np.floating], BoolArray]:
        """The block's scores, -inf where a rule (or a forbidden or previous pair)
        disallows the pair, and whether each row has a rule-allowed mentor; the rows'
        counts are written."""
        m, counts = self.scorer.n_mentors_, self.rows.counts
        here = slice(start - self.first, stop - self.first)  # the rows in this scan's arrays
        block = self.scorer.score_block(np.arange(start, stop, dtype=np.int64))
        allowed, rule_allowed = block.allowed, block.rule_allowed
        lo, hi = np.searchsorted(self.forbidden_keys, row_key_range(start, stop, m))
        if hi > lo:  # the mask only where forbidden pairs fall (the columns stay 0)
            banned = _block_mask(self.forbidden_keys, start, stop, m)
            allowed, rule_allowed = allowed & ~banned, rule_allowed & ~banned
            named = count_rows(_block_mask(self.named_keys, start, stop, m))
            counts.exclusions[here, -2] = named
            counts.exclusions[here, -1] = count_rows(banned) - named
        counts.allowed[here] = count_rows(allowed)
        if self.min_score > 0.0:
            counts.rule_allowed[here] = count_rows(rule_allowed)
        else:  # no minimum score: the same mask
            counts.rule_allowed[here] = counts.allowed[here]
        counts.below[here] = counts.rule_allowed[here] - counts.allowed[here]
        counts.exclusions[here, :-2] = block.exclusion_counts
        # The block's scores become -inf where a rule disallows the pair, in place;
        # allowed entries are then those at least min_score (all finite ones without).
        ruled = _mask_in_place(block.score, rule_allowed)
        return ruled, counts.rule_allowed[here] > 0

    def _choose(
        self, start: int, stop: int, ruled: NDArray[np.floating], has_rule_allowed: BoolArray
    ) -> IntArray:
        """Keys of the rows' ``top_k`` allowed mentors (from their pools when they keep
        one); records each row's best mentor and pool."""
        m, top_k, min_score = self.scorer.n_mentors_, self.top_k, self.min_score
        first_key = row_key_range(start, stop, m)[0]
        here, rows = slice(start - self.first, stop - self.first), self.rows
        if not self.width:
            best = np.where(has_rule_allowed, np.argmax(ruled, axis=1), -1)
            rows.counts.best_mentor[here] = best
            masked = _allowed_only(ruled, min_score)
            return np.flatnonzero(_top_per_row(masked, top_k)) + first_key
        cols, vals, bound = _pool_of(ruled, self.width)
        # The best is in the pool (ties: lowest column) unless the pool is empty.
        first = np.argmax(vals, axis=1)
        top_mentor = np.take_along_axis(cols, first[:, None], axis=1)[:, 0].astype(np.int64)
        empty = np.flatnonzero(~np.isfinite(vals[:, 0]) & has_rule_allowed)
        top_mentor[empty] = np.argmax(ruled[empty], axis=1)
        rows.counts.best_mentor[here] = np.where(has_rule_allowed, top_mentor, -1)
        rows.pool_mentor[here], rows.pool_score[here], rows.pool_bound[here] = cols, vals, bound
        row, col, unsure = _top_from_pool(cols, vals, bound, top_k, min_score)
        local = [pair_keys(row, col, m)]
        if unsure.size:  # ties at the k-th score may reach past the pool: decide densely
            masked = _allowed_only(ruled[unsure], min_score)
            sub = np.flatnonzero(_top_per_row(masked, top_k))
            row_in, col_in = split_keys(sub, m)  # flat positions in the dense rows
            local.append(pair_keys(unsure[row_in], col_in, m))
        return np.concatenate(local) + first_key


def _mentor_floor(
    scorer: PairScorer,
    forbidden_keys: IntArray,
    r: int,
    block_size: int,
    executor: ThreadPoolExecutor | None = None,
) -> FloatArray:
    """Per mentor, the r-th best allowed block score among evenly spaced sample mentees
    (-inf with fewer than r): no mentee scoring below it is among her r best overall.
    With an ``executor``, each half of the sample on one of its threads."""
    n, m = scorer.n_mentees_, scorer.n_mentors_
    size = min(n, max(block_size, 4 * r))
    if r == 0 or size < r:
        return np.full(m, -np.inf)
    rows = np.unique(np.linspace(0, n - 1, size).astype(np.int64))
    if rows.size < r:
        return np.full(m, -np.inf)
    step = max(1, SCORE_CHUNK_ENTRIES // max(m, 1))

    def best(part: IntArray) -> NDArray[np.floating]:
        """(m, at most r): each mentor's r best allowed values over the mentees ``part``."""
        values: NDArray[np.floating] = np.empty((m, part.size), dtype=scorer.dtype)
        for start in range(0, part.size, step):
            chunk = part[start : start + step]
            block = scorer.score_block(chunk)
            allowed = block.allowed
            if forbidden_keys.size:
                allowed = allowed & ~_rows_mask(forbidden_keys, chunk, m)
            # Cache-sized chunks, stored mentor-major: the partition then reads each
            # mentor's values contiguously (along the sample axis it was 2x slower).
            values[:, start : start + chunk.size] = _mask_in_place(block.score, allowed).T
        if part.size <= r:
            return values
        return np.partition(values, part.size - r, axis=1)[:, part.size - r :]

    # The r best of the union are among the r best of each half.
    halves = [rows[: rows.size // 2], rows[rows.size // 2 :]]
    top = np.concatenate(list(executor.map(best, halves)) if executor else [best(rows)], axis=1)
    floor = np.partition(top, top.shape[1] - r, axis=1)[:, top.shape[1] - r]
    return np.asarray(floor, dtype=np.float64)


def _mask_in_place(values: NDArray[np.floating], keep: BoolArray) -> NDArray[np.floating]:
    """``values`` with -inf where ``keep`` is False, written in place (as ``np.where(keep,
    values, -inf)`` for values that are not NaN)."""
    # np.where stalls on a mixed mask (a branch per entry); min(value, +-inf) is four
    # branch-free passes, about eight times faster on a cache-sized chunk.
    cap = keep.astype(values.dtype)
    cap -= 0.5
    cap *= np.inf
    np.minimum(values, cap, out=values)
    return values


def _allowed_only(ruled: NDArray[np.floating], min_score: float) -> NDArray[np.floating]:
    """Rule-masked block values further masked (-inf) below ``min_score`` when one is set:
    the block's scores where the pair is allowed, as the block's ``allowed`` flags say."""
    if min_score <= 0.0:
        return ruled
    return np.where(ruled >= ruled.dtype.type(min_score), ruled, -np.inf)


POOL_GROUP_SLOTS = 4
"""Column groups per pool slot when :func:`_pool_of` bounds each row's threshold by the
group maxima (a broad optimum: ``benchmarks/README.md``)."""


def _pool_of(
    ruled: NDArray[np.floating], width: int
) -> tuple[NDArray[np.int32], NDArray[np.float32], NDArray[np.float32]]:
    """Each row's values above its ``width + 1``-th largest, in column order and padded
    with -inf to ``width``; and that ``width + 1``-th largest value (-inf when the row is
    shorter), which no value left out exceeds."""
    b, m = ruled.shape
    dtype = ruled.dtype
    size = m // (POOL_GROUP_SLOTS * (width + 1))  # columns per group
    if width >= m:
        bound = np.full(b, -np.inf, dtype=dtype)
        flat = np.flatnonzero(ruled > bound[:, None])
    elif size < 2:
        bound = np.partition(ruled, m - width - 1, axis=1)[:, m - width - 1]
        flat = np.flatnonzero(ruled > bound[:, None])
    else:
        # Partitioning whole rows is the cost; instead, the width + 1-th largest of the
        # maxima of disjoint column groups (columns g, g + count, ...) is a lower bound
        # on it: those maxima are width + 1 distinct values at least as large. The
        # values not below it (a few more than width per row) hold the answer.
        count = m // size
        body = count * size
        top = ruled[:, :body].reshape(b, size, count).max(axis=1)
        for offset in range(body, m, count):  # the columns left over join the groups
            part = ruled[:, offset : offset + count]
            np.maximum(top[:, : part.shape[1]], part, out=top[:, : part.shape[1]])
        low = np.partition(top, count - width - 1, axis=1)[:, count - width - 1]
        # With fewer than width + 1 finite maxima, every finite value is a candidate.
        np.maximum(low, np.finfo(dtype).min, out=low)
        flat = np.flatnonzero(ruled >= low[:, None])
        row = flat // m
        value = ruled.reshape(-1)[flat]
        # The candidates side by side, -inf padded: the same partition, on a few columns.
        sizes = np.bincount(row, minlength=b)
        wide = int(sizes.max(initial=0))
        if wide > width:
            padded = np.full(b * wide, -np.inf, dtype=dtype)
            padded[row * wide + _slots(sizes)] = value
            kth = wide - width - 1
            bound = np.partition(padded.reshape(b, wide), kth, axis=1)[:, kth]
        else:
            bound = np.full(b, -np.inf, dtype=dtype)
        flat = flat[value > bound[row]]
    row = flat // max(m, 1)  # faster than np.divmod
    col = flat - row * m
    at = row * width + _slots(np.bincount(row, minlength=b))
    cols = np.zeros(b * width, dtype=np.int32)
    vals = np.full(b * width, -np.inf, dtype=np.float32)
    cols[at] = col
    vals[at] = ruled.reshape(-1)[flat]
    return cols.reshape(b, width), vals.reshape(b, width), bound.astype(np.float32)


def _slots(sizes: IntArray) -> IntArray:
    """Position of each entry within its row, for entries grouped by row (``sizes`` per row)."""
    return np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def _top_from_pool(
    cols: NDArray[np.int32],
    vals: NDArray[np.float32],
    bound: NDArray[np.float32],
    k: int,
    min_score: float,
) -> tuple[IntArray, IntArray, IntArray]:
    """(row, column) of each row's ``k`` best allowed columns, as :func:`_top_per_row`
    chooses them, read from the pool; and the rows where a value left out of the pool
    may be among them (to be decided densely)."""
    passes = np.isfinite(vals)
    if min_score > 0.0:
        passes &= vals >= vals.dtype.type(min_score)
    # Slots are in column order, so ties go to the lowest column as in the dense choice.
    taken = _top_per_row(np.where(passes, vals, -np.inf), k)
    # Pool values all exceed ``bound``, which nothing left out exceeds: with k allowed
    # values in the pool the row is decided; with fewer, an allowed value left out
    # (finite, and not below min_score) would belong to the k best.
    outside = np.isfinite(bound)
    if min_score > 0.0:
        outside &= bound >= vals.dtype.type(min_score)
    unsure = np.flatnonzero(outside & (np.count_nonzero(passes, axis=1) < k))
    taken[unsure] = False
    row, slot = _nonzero(taken)
    return row, cols[row, slot].astype(np.int64), unsure.astype(np.int64)


def _merge_mentor_best(
    best: NDArray[np.floating],
    best_idx: IntArray,
    pending: list[tuple[IntArray, NDArray[np.floating], IntArray]],
    r: int,
) -> tuple[NDArray[np.floating], IntArray]:
    """Merge pending (mentor, score, mentee) entries into the running best ``r`` mentees
    per mentor (best first; ties: lower mentee)."""
    if not pending:
        return best, best_idx
    kept = np.isfinite(best)
    mentor = np.concatenate([np.nonzero(kept)[1], *(p[0] for p in pending)])
    score = np.concatenate([best[kept], *(p[1] for p in pending)])
    idx = np.concatenate([best_idx[kept], *(p[2] for p in pending)])
    mentor, score, idx = _by_mentor_score_mentee(mentor, score, idx)
    rank = rank_in_runs(mentor)
    top = rank < r
    best = np.full_like(best, -np.inf)
    best_idx = np.full_like(best_idx, -1)
    best[rank[top], mentor[top]] = score[top]
    best_idx[rank[top], mentor[top]] = idx[top]
    return best, best_idx


def _by_mentor_score_mentee(
    mentor: IntArray, score: NDArray[np.floating], mentee: IntArray
) -> tuple[IntArray, NDArray[np.floating], IntArray]:
    """Entries sorted by mentor, then score (highest first), then mentee."""
    high = int(mentor.max(initial=0)).bit_length()
    low = int(mentee.max(initial=0)).bit_length()
    if score.dtype != np.float32 or high + 32 + low > 64:
        order = np.lexsort((mentee, -score, mentor))
        return mentor[order], score[order], mentee[order]
    # Float32 scores fit in one 64-bit key with the two indices: sorting keys is about
    # 20 times faster than a three-key lexsort. The score's bits are made to order like
    # the values (sign flipped, or every bit when negative; -0 counts as 0), then inverted
    # so the highest comes first.
    bits = (score + np.float32(0.0)).view(np.uint32)
    bits ^= (bits >> np.uint32(31)) * np.uint32(0x7FFFFFFF) | np.uint32(0x80000000)
    key = mentor.astype(np.uint64) << np.uint64(32 + low)
    key |= (~bits).astype(np.uint64) << np.uint64(low)
    key |= mentee.astype(np.uint64)
    key.sort()
    mentee = (key & np.uint64((1 << low) - 1)).astype(np.int64)
    bits = ~(key >> np.uint64(low)).astype(np.uint32)
    bits ^= ((bits >> np.uint32(31)) ^ np.uint32(1)) * np.uint32(0x7FFFFFFF) | np.uint32(0x80000000)
    return (key >> np.uint64(32 + low)).astype(np.int64), bits.view(np.float32), mentee


def _nonzero(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """``np.nonzero`` of a 2-D mask (row-major), via the much faster flat version."""
    flat = np.flatnonzero(mask).astype(np.int64, copy=False)
    width = mask.shape[1]
    if not width:
        return flat, flat
    row = flat // width  # faster than np.divmod
    return row, flat - row * width


def _sorted_keys(keys: IntArray | None) -> IntArray:
    """``keys`` sorted and distinct (as given when they already are: the solver's arcs)."""
    if keys is None:
        return np.empty(0, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size < 2 or bool(np.all(keys[1:] > keys[:-1])):
        return keys
    return sorted_unique(keys)


def _rows_mask(keys: IntArray, rows: IntArray, n_mentors: int) -> BoolArray:
    """(len(rows), n_mentors) mask of the sorted ``keys`` falling in the given mentee rows."""
    mask = np.zeros((rows.size, n_mentors), dtype=bool)
    if keys.size == 0 or rows.size == 0:
        return mask
    lo = np.searchsorted(keys, pair_keys(rows, np.zeros_like(rows), n_mentors))
    hi = np.searchsorted(keys, pair_keys(rows + 1, np.zeros_like(rows), n_mentors))
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return mask
    local = np.repeat(np.arange(rows.size), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    position = np.repeat(lo, counts) + offset
    mask[local, split_keys(keys[position], n_mentors)[1]] = True
    return mask


def _keep_best(reduced: FloatArray, candidate: BoolArray, k: int, sure: float) -> BoolArray:
    """Candidates among each row's ``k`` largest reduced values (all ties at the k-th
    kept, so the final choice breaks them by mentor) or within the float32 error band."""
    counts = np.count_nonzero(candidate, axis=1)
    many = np.flatnonzero(counts > k)
    if many.size:
        masked = np.where(candidate[many], reduced[many], -np.inf)
        kth = np.partition(masked, masked.shape[1] - k, axis=1)[:, masked.shape[1] - k]
        candidate[many] &= (masked >= kth[:, None]) | (masked <= sure)
    return candidate


@dataclass(frozen=True)
class RoundPrices:
    """One pricing call's prices (score units) and tolerances."""

    mentee: FloatArray
    mentor: FloatArray
    tolerance: float
    loose: float
    """Block-score filters use this: the tolerance less the float32 error band."""
    sure: float
    """Below this a block-score violation may be an exact one: always checked."""
    known_keys: IntArray
    """Sorted keys of the pairs the caller has."""


PricingJob = tuple[IntArray, IntArray | None]
"""Mentee rows to scan and the mentors to scan them on (every mentor when None)."""


@dataclass(frozen=True)
class ViolatorSearch:
    """One pricing round's scan of given rows: what a job needs besides its rows."""

    scorer: PairScorer
    forbidden: IntArray
    """Sorted keys of the pairs never returned."""
    per_mentee: int
    prices: RoundPrices

    def run(self, job: PricingJob) -> tuple[IntArray, FloatArray]:
        """Violators of the job's rows over its mentors: keys and reduced block scores,
        at most ``per_mentee`` per row plus the error band."""
        rows, columns = job
        m, prices = self.scorer.n_mentors_, self.prices
        block = self.scorer.score_block(rows, columns)
        banned = _rows_mask(self.forbidden, rows, m) | _rows_mask(prices.known_keys, rows, m)
        mentor_price = prices.mentor
        if columns is not None:
            banned, mentor_price = banned[:, columns], mentor_price[columns]
        usable = block.rule_allowed & ~banned
        reduced = block.score.astype(np.float64)
        reduced -= prices.mentee[rows, None]
        reduced -= mentor_price[None, :]
        violating = usable & (reduced > prices.loose)
        candidate = _keep_best(reduced, violating, self.per_mentee, prices.sure)
        row, col = _nonzero(candidate)
        mentor = col if columns is None else columns[col]
        return pair_keys(rows[row], mentor, m), reduced[row, col]

    def run_all(self, jobs: Sequence[PricingJob]) -> list[tuple[IntArray, FloatArray]]:
        """:meth:`run` over several jobs, in order."""
        return [self.run(job) for job in jobs]


class CandidatePricer:
    """Finds allowed pairs missing from the problem whose score beats the dual prices.

    Implements :class:`matching.solver._problem.ArcPricer`.

    When the graph carries each mentee's pool (her best mentors by block score, see
    :func:`build_candidates`), a round reads the pools and rescans only the rows of the
    mentees for whom a mentor outside the pool could beat the prices: her pool bound
    (the best score left out) exceeds ``u_i + min_j v_j + tolerance`` (less the float32
    error). Every other mentee's violators are all in her pool, so the answer is the one
    a scan of every row gives.

    Parameters
    ----------
    scorer
        The fitted scorer the candidates came from.
    graph
        The candidate graph: its pools (when it has them) narrow the scan. Its arcs are
        not assumed known: the caller says which pairs it has (``known`` of :meth:`price`).
    forbidden
        (mentee_idx, mentor_idx) pairs never returned.
    block_size
        Mentees scanned at once.
    per_mentee
        At most this many pairs returned per mentee per round (the most violating, ties
        by lower mentor), plus any whose violation is within the float32 error of the
        tolerance (so no violator is hidden behind false positives).
    use_pool
        Read the graph's pools (when it has them); ``False`` scans every row each round.
    """

    def __init__(
        self,
        scorer: PairScorer,
        graph: CandidateGraph,
        *,
        forbidden: Sequence[tuple[int, int]] = (),
        block_size: int = 2048,
        per_mentee: int = 5,
        use_pool: bool = True,
    ) -> None:
        self.scorer = scorer
        self.block_size = block_size
        self.per_mentee = per_mentee
        m = scorer.n_mentors_
        self.forbidden_keys = _keys(forbidden, m)
        self._slack = BLOCK_TOLERANCE * max(1.0, float(np.sum(scorer.weights_)))
        self._pool: tuple[NDArray[np.int32], NDArray[np.float32], NDArray[np.float32]] | None
        self._pool = None
        pools = (graph.pool_mentor, graph.pool_score, graph.pool_bound)
        if use_pool and pools[0] is not None and pools[1] is not None and pools[2] is not None:
            left_out = graph.forbidden_keys
            # The pools leave out the graph's forbidden pairs: usable only if those are
            # forbidden here too.
            if left_out is None or is_member(left_out, self.forbidden_keys).all():
                self._pool = (pools[0], pools[1], pools[2])
        self.rounds_ = 0
        self.rescanned_ = 0
        """Mentee rows scanned densely so far (all of them each round without pools)."""
        self.narrowed_ = 0
        """Mentee rows scanned on the cheapest mentors only (besides their pools)."""

    def price(
        self,
        mentee_price: FloatArray,
        mentor_price: FloatArray,
        tolerance: float,
        known: IntArray | None = None,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Allowed, non-forbidden pairs not in ``known`` with ``score > u_i + v_j + tolerance``.

        Parameters
        ----------
        mentee_price, mentor_price
            Dual prices u (n_mentees,) and v (n_mentors,); any finite values.
        tolerance
            Violation below which a pair is not returned.
        known
            Keys (``mentee x n_mentors + mentor``) of pairs the caller has: never
            returned, and left out before the per-mentee cap.

        Returns
        -------
        (mentee_idx, mentor_idx, score)
            Sorted by (mentee, mentor), at most ``per_mentee`` per mentee (plus pairs
            within the float32 error band), exact scores; empty arrays certify the
            current solution. Nothing is remembered between calls.
        """
        prices = RoundPrices(
            np.asarray(mentee_price, dtype=np.float64),
            np.asarray(mentor_price, dtype=np.float64),
            tolerance,
            # Loosened by the float32 error of block scores, then checked exactly.
            loose=tolerance - self._slack,
            sure=tolerance + self._slack,
            known_keys=_sorted_keys(known),
        )
        n = self.scorer.n_mentees_
        dense = np.arange(n, dtype=np.int64)
        narrow = cheap = np.empty(0, dtype=np.int64)
        keys: list[IntArray] = []
        values: list[FloatArray] = []
        if self._pool is not None and self.scorer.n_mentors_:
            dense, narrow, cheap = self._split_rows(prices)
            pooled = np.ones(n, dtype=bool)
            pooled[dense] = False
            keys, values = self._from_pools(prices, pooled)
        self.rescanned_ += int(dense.size)
        self.narrowed_ += int(narrow.size)
        found = self._scan_rows(prices, dense, narrow, cheap)
        keys += [f[0] for f in found]
        values += [f[1] for f in found]
        self.rounds_ += 1
        key = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
        value = np.concatenate(values) if values else np.empty(0, dtype=np.float64)
        return self._exact_violators(prices, key, value).arrays()

    def _split_rows(self, prices: RoundPrices) -> tuple[IntArray, IntArray, IntArray]:
        """Which mentee rows to scan past their pools: densely (``dense``), on the
        cheapest mentors only (``narrow`` rows, ``cheap`` mentors), or not at all.

        A pair left out of mentee i's pool scores at most her bound, so it can violate
        only with a mentor priced below need_i = bound_i - u_i - loose. Rows whose need
        is low enough that few mentors qualify ("cheap" ones) are scanned on those mentors
        only: the rows with the fewest qualifying mentors, as many as minimises the
        entries scanned (a column gather costing about twice a whole-row one).
        """
        assert self._pool is not None
        m, v = self.scorer.n_mentors_, prices.mentor
        need = self._pool[2].astype(np.float64) - prices.mentee - prices.loose
        dense = np.flatnonzero(need > v.min())
        narrow = cheap = np.empty(0, dtype=np.int64)
        below = np.searchsorted(np.sort(v), need[dense], side="left")
        order = np.argsort(below, kind="stable")
        taken = np.arange(1, dense.size + 1)
        cost = 2 * taken * below[order] + (dense.size - taken) * m
        best = int(np.argmin(cost)) if dense.size else 0
        if dense.size and cost[best] < dense.size * m:
            cut = float(need[dense[order[best]]])
            cheap = np.flatnonzero(v < cut)
            fits = np.zeros(dense.size, dtype=bool)
            fits[order[: best + 1]] = True
            narrow, dense = dense[fits], dense[~fits]
        return dense, narrow, cheap

    def _from_pools(
        self, prices: RoundPrices, pooled: BoolArray
    ) -> tuple[list[IntArray], list[FloatArray]]:
        """The violators in the ``pooled`` mentees' pools (keys, reduced block scores);
        known and forbidden pairs leave before the per-mentee cap."""
        assert self._pool is not None
        pool_mentor, pool_score, _ = self._pool
        n, m = self.scorer.n_mentees_, self.scorer.n_mentors_
        u, v = prices.mentee, prices.mentor
        keys: list[IntArray] = []
        values: list[FloatArray] = []
        step = max(self.block_size, 1) * 8
        for start in range(0, n, step):
            stop = min(start + step, n)
            slots = pool_mentor[start:stop]
            reduced = pool_score[start:stop] - u[start:stop, None] - v[slots]
            candidate = (reduced > prices.loose) & pooled[start:stop, None]
            row, slot = _nonzero(candidate)
            key = pair_keys(row + start, slots[row, slot], m)
            gone = is_member(key, prices.known_keys) | is_member(key, self.forbidden_keys)
            candidate[row[gone], slot[gone]] = False
            candidate = _keep_best(reduced, candidate, self.per_mentee, prices.sure)
            row, slot = _nonzero(candidate)
            keys.append(pair_keys(row + start, slots[row, slot], m))
            values.append(reduced[row, slot])
        return keys, values

    def _scan_rows(
        self, prices: RoundPrices, dense: IntArray, narrow: IntArray, cheap: IntArray
    ) -> list[tuple[IntArray, FloatArray]]:
        """The violators of the ``dense`` rows (every mentor) and the ``narrow`` rows (the
        ``cheap`` mentors), one result per job of :meth:`_jobs`, in order."""
        return self._run_jobs(prices, self._jobs(dense, narrow, cheap))

    def _jobs(self, dense: IntArray, narrow: IntArray, cheap: IntArray) -> list[PricingJob]:
        """The rows to scan in cache-sized chunks: the ``narrow`` rows over the ``cheap``
        mentors, then the ``dense`` rows over every mentor."""
        m = self.scorer.n_mentors_
        jobs: list[PricingJob] = []
        step = max(1, SCORE_CHUNK_ENTRIES // max(cheap.size, 1))
        jobs += [(narrow[i : i + step], cheap) for i in range(0, narrow.size, step)]
        step = max(1, min(self.block_size, SCORE_CHUNK_ENTRIES // max(m, 1)))
        jobs += [(dense[i : i + step], None) for i in range(0, dense.size, step)]
        return jobs

    def _run_jobs(
        self, prices: RoundPrices, jobs: list[PricingJob]
    ) -> list[tuple[IntArray, FloatArray]]:
        """Each job's violators, in order, on two threads (numpy releases the GIL on this
        work); a subclass may run them elsewhere."""
        search = ViolatorSearch(self.scorer, self.forbidden_keys, self.per_mentee, prices)
        if len(jobs) > 1 and SCAN_THREADS > 1:
            with ThreadPoolExecutor(SCAN_THREADS) as executor:
                return list(executor.map(search.run, jobs))
        return [search.run(job) for job in jobs]

    def _exact_violators(
        self, prices: RoundPrices, key: IntArray, value: FloatArray
    ) -> ScoredPairs:
        """From block-score candidates (keys, reduced values): each mentee's
        ``per_mentee`` most violating (ties: lower mentor) plus the error band, checked
        on exact scores, in (mentee, mentor) order."""
        fresh = ~is_member(key, prices.known_keys) & ~is_member(key, self.forbidden_keys)
        key, value = key[fresh], value[fresh]
        # A narrow row's pool and its cheap mentors overlap: each pair once.
        order = np.argsort(key, kind="stable")
        key, value = key[order], value[order]
        once = np.ones(key.size, dtype=bool)
        once[1:] = key[1:] != key[:-1]
        key, value = key[once], value[once]
        mentee, mentor = split_keys(key, self.scorer.n_mentors_)
        order = np.lexsort((mentor, -value, mentee))
        mentee, mentor, key, value = mentee[order], mentor[order], key[order], value[order]
        pick = (rank_in_runs(mentee) < self.per_mentee) | (value <= prices.sure)
        mentee, mentor, key = mentee[pick], mentor[pick], key[pick]
        score, ok = self.scorer.exact_pairs(mentee, mentor)
        ok &= score - prices.mentee[mentee] - prices.mentor[mentor] > prices.tolerance
        order = np.argsort(key[ok], kind="stable")
        return ScoredPairs(mentee[ok], mentor[ok], score[ok]).take(order)
