"""Stable matching: deferred acceptance with capacities and demands, on lazy lists.

The proposing side (mentees by default, mentors for the mentor-optimal matching) walks
its preference lists best first; each receiver keeps the best proposals her seats allow
and rejects the rest. Lists come from a :class:`PreferenceLists`: each proposer's list is
handed over in parts, the next part only when she has proposed to every entry of the
last one and is still short. Deferred acceptance on lists extended this way is exactly
deferred acceptance on the full lists (the proposals a proposer makes are the same; when
she makes them does not change the outcome, McVitie and Wilson), so the result is the
proposer-optimal stable matching over every acceptable pair, whether or not the lists
were ever built whole.

Preferences are strict: a proposer ranks by her value (higher first), ties broken by the
lower receiver index; a receiver ranks by her value, ties by the lower proposer index.
With ties in the input this is weak stability for the original preferences.

Demand above 1 (and capacity) is many-to-many with responsive preferences: a mentee with
demand ``d`` proposes to her next mentors until she holds ``d``, never twice to the same
mentor. The result is *pairwise stable* — no unmatched acceptable pair whose members
both have a free seat or prefer each other to their worst partner — and proposer-optimal
among pairwise-stable matchings (Roth 1984).

After the proposals, :meth:`PreferenceLists.count_blocking` checks the result over every
acceptable pair, independently of the proposals: the answer's ``stats`` carry
``blocking_pairs`` (0 for a correct run) and ``pairs_checked``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from matching._arrays import rank_in_runs
from matching._objective import Proposing
from matching._pairs import ScoredPairs, is_in, pair_keys
from matching.solver._prepare import Residual, prepare
from matching.solver._problem import (
    AssignmentProblem,
    AssignmentSolution,
    BoolArray,
    FloatArray,
    IntArray,
    SolverConfig,
)
from matching.solver._solution import merge_pairs

__all__ = [
    "ArcLists",
    "ListPart",
    "Matched",
    "PreferenceLists",
    "deferred_acceptance",
    "solve_stable",
    "stable_matching",
]


@dataclass(frozen=True)
class ListPart:
    """The next entries of some proposers' lists, grouped by proposer (increasing) and
    best first within each; ``complete`` the proposers whose lists end with them."""

    proposer: IntArray
    receiver: IntArray
    score: FloatArray
    """The pair score reported with the pair."""
    proposer_value: FloatArray
    """How much the proposer likes the pair (higher first)."""
    receiver_value: FloatArray
    """How much the receiver likes the pair (higher first)."""
    complete: IntArray


@dataclass(frozen=True)
class Matched:
    """Pairs held at the end, with both sides' values (proposer, receiver orientation)."""

    proposer: IntArray
    receiver: IntArray
    score: FloatArray
    proposer_value: FloatArray
    receiver_value: FloatArray


class PreferenceLists(Protocol):
    """Both sides' preferences over the acceptable pairs, as the proposals need them.

    :meth:`extend` must give every proposer it is asked about at least one entry or
    report her list complete; :meth:`count_blocking` counts, over *every* acceptable pair,
    those that block a matching (both would rather be together).
    """

    @property
    def n_proposers(self) -> int: ...

    @property
    def n_receivers(self) -> int: ...

    def extend(self, proposers: IntArray) -> ListPart: ...

    def count_blocking(self, matched: Matched, quota: IntArray, capacity: IntArray) -> int: ...

    @property
    def pairs_checked(self) -> int: ...


class _Pool:
    """Every list entry handed over so far, in growing arrays (amortised appends)."""

    def __init__(self) -> None:
        self.size = 0
        self.proposer = np.zeros(1024, np.int64)
        self.receiver = np.zeros(1024, np.int64)
        self.score = np.zeros(1024, np.float64)
        self.proposer_value = np.zeros(1024, np.float64)
        self.receiver_value = np.zeros(1024, np.float64)

    def append(self, part: ListPart) -> int:
        """Add a part; returns the position of its first entry."""
        start, stop = self.size, self.size + part.proposer.size
        if stop > self.proposer.size:
            grown = max(stop, 2 * self.proposer.size)
            for name in ("proposer", "receiver", "score", "proposer_value", "receiver_value"):
                old = getattr(self, name)
                new = np.zeros(grown, old.dtype)
                new[:start] = old[:start]
                setattr(self, name, new)
        self.proposer[start:stop] = part.proposer
        self.receiver[start:stop] = part.receiver
        self.score[start:stop] = part.score
        self.proposer_value[start:stop] = part.proposer_value
        self.receiver_value[start:stop] = part.receiver_value
        self.size = stop
        return start


@dataclass(frozen=True)
class Proposals:
    """What deferred acceptance ends with, and what it took."""

    matched: Matched
    rounds: int
    proposals: int
    listed: int
    """List entries handed over (each proposer's part of her list that was built)."""
    listed_proposer: IntArray
    listed_receiver: IntArray
    listed_score: FloatArray


EXTEND_BATCH = 256
"""Proposers whose lists ran out are extended together once this many wait (or when no
one else can propose): scoring rows in batches costs far less per row, and when a list
is extended does not change the outcome."""


def deferred_acceptance(lists: PreferenceLists, quota: IntArray, capacity: IntArray) -> Proposals:
    """Proposer-optimal stable matching, proposing in vectorised rounds.

    Parameters
    ----------
    lists
        Both sides' preferences (see :class:`PreferenceLists`).
    quota
        Receivers each proposer wants (a mentee's demand, or a mentor's capacity).
    capacity
        Proposers each receiver takes.
    """
    n = lists.n_proposers
    quota = np.asarray(quota, np.int64)
    pool = _Pool()
    short = quota.copy()
    next_pos = np.zeros(n, np.int64)
    end = np.zeros(n, np.int64)
    complete = np.zeros(n, dtype=bool)
    seats = _Seats(np.asarray(capacity, np.int64))
    rounds = proposals = 0
    while True:
        wants = np.minimum(short, end - next_pos)
        proposers = np.flatnonzero(wants > 0)
        need = np.flatnonzero((short > 0) & (next_pos == end) & ~complete)
        if need.size and (proposers.size == 0 or need.size >= EXTEND_BATCH):
            _extend(lists, need, pool, next_pos, end, complete)
            continue
        if proposers.size == 0:
            break
        rounds += 1
        counts = wants[proposers]
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        new = np.repeat(next_pos[proposers], counts) + offsets
        proposals += new.size
        next_pos[proposers] += counts
        short[proposers] -= counts
        rejected = seats.receive(new, pool)
        np.add.at(short, pool.proposer[rejected], 1)
    held = np.sort(seats.held)
    size = pool.size
    return Proposals(
        matched=Matched(
            pool.proposer[held],
            pool.receiver[held],
            pool.score[held],
            pool.proposer_value[held],
            pool.receiver_value[held],
        ),
        rounds=rounds,
        proposals=proposals,
        listed=size,
        listed_proposer=pool.proposer[:size].copy(),
        listed_receiver=pool.receiver[:size].copy(),
        listed_score=pool.score[:size].copy(),
    )


class _Seats:
    """The proposals each receiver holds, and her bar: the worst one she holds when she
    is full (a proposal below it is rejected without sorting)."""

    def __init__(self, capacity: IntArray) -> None:
        self.capacity = capacity
        self.held = np.zeros(0, np.int64)
        """Pool positions of the held proposals."""
        self.held_receiver = np.zeros(0, np.int64)
        self.count = np.zeros(capacity.size, np.int64)
        self.bar_value = np.full(capacity.size, -np.inf)
        self.bar_proposer = np.full(capacity.size, np.iinfo(np.int64).max)
        self._touched = np.zeros(capacity.size, dtype=bool)

    def receive(self, new: IntArray, pool: _Pool) -> IntArray:
        """Hold the best of the held and ``new`` proposals; returns the rejected ones."""
        receiver, value = pool.receiver[new], pool.receiver_value[new]
        bar, tie = self.bar_value[receiver], self.bar_proposer[receiver]
        full = self.count[receiver] >= self.capacity[receiver]
        # Ties go to the lower proposer: an equal value from a higher one is below the bar.
        below = full & ((value < bar) | ((value == bar) & (pool.proposer[new] > tie)))
        refused: IntArray = new[below]
        new = new[~below]
        if new.size == 0:
            return refused
        touched = self._touched
        touched[pool.receiver[new]] = True
        contested = touched[self.held_receiver]
        touched[pool.receiver[new]] = False
        pending = np.concatenate([self.held[contested], new])
        order = np.lexsort(
            (pool.proposer[pending], -pool.receiver_value[pending], pool.receiver[pending])
        )
        pending = pending[order]
        owner = pool.receiver[pending]
        kept = rank_in_runs(owner) < self.capacity[owner]
        stays = pending[kept]
        self.held = np.concatenate([self.held[~contested], stays])
        self.held_receiver = np.concatenate([self.held_receiver[~contested], owner[kept]])
        # Bars of the receivers that changed: the last kept of each (their worst).
        first = np.ones(owner.size, dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        changed = owner[first]
        self.count[changed] = np.bincount(owner[kept], minlength=self.count.size)[changed]
        last = np.ones(stays.size, dtype=bool)
        last[:-1] = owner[kept][1:] != owner[kept][:-1]
        worst = stays[last]
        self.bar_value[pool.receiver[worst]] = pool.receiver_value[worst]
        self.bar_proposer[pool.receiver[worst]] = pool.proposer[worst]
        return np.concatenate([refused, pending[~kept]])


def _extend(
    lists: PreferenceLists,
    need: IntArray,
    pool: _Pool,
    next_pos: IntArray,
    end: IntArray,
    complete: BoolArray,
) -> None:
    """Hand the proposers ``need`` the next parts of their lists."""
    part = lists.extend(need)
    complete[part.complete] = True
    if part.proposer.size == 0:
        stuck = need[~complete[need]]
        if stuck.size:
            raise RuntimeError("a preference list neither grew nor ended")  # a bug in lists
        return
    start = pool.append(part)
    # The part is grouped by proposer: each run is one proposer's entries.
    head = np.ones(part.proposer.size, dtype=bool)
    head[1:] = part.proposer[1:] != part.proposer[:-1]
    first = np.flatnonzero(head)
    rows = part.proposer[first]
    count = np.diff(np.append(first, part.proposer.size))
    next_pos[rows] = start + first
    end[rows] = start + first + count
    stuck = np.setdiff1d(need[~complete[need]], rows, assume_unique=True)
    if stuck.size:
        raise RuntimeError("a preference list neither grew nor ended")  # a bug in lists


# --------------------------------------------------------------------------- whole lists


class ArcLists:
    """Lists over explicit acceptable pairs (every pair known in advance), handed over
    whole at the first request; :meth:`count_blocking` checks every pair exactly.

    Arrays are in proposer/receiver orientation, one entry per acceptable pair.
    """

    def __init__(
        self,
        n_proposers: int,
        n_receivers: int,
        proposer: IntArray,
        receiver: IntArray,
        score: FloatArray,
        proposer_value: FloatArray,
        receiver_value: FloatArray,
    ) -> None:
        self._n = n_proposers
        self._m = n_receivers
        order = np.lexsort((receiver, -np.asarray(proposer_value, np.float64), proposer))
        self._proposer = np.asarray(proposer, np.int64)[order]
        self._receiver = np.asarray(receiver, np.int64)[order]
        self._score = np.asarray(score, np.float64)[order]
        self._proposer_value = np.asarray(proposer_value, np.float64)[order]
        self._receiver_value = np.asarray(receiver_value, np.float64)[order]
        self._starts = np.searchsorted(self._proposer, np.arange(n_proposers + 1))

    @property
    def n_proposers(self) -> int:
        return self._n

    @property
    def n_receivers(self) -> int:
        return self._m

    @property
    def pairs_checked(self) -> int:
        return self._n * self._m

    def entries(self) -> tuple[IntArray, IntArray, FloatArray]:
        """Every acceptable pair: (proposer, receiver, score)."""
        return self._proposer, self._receiver, self._score

    def extend(self, proposers: IntArray) -> ListPart:
        rows = np.asarray(proposers, np.int64)
        lo, hi = self._starts[rows], self._starts[rows + 1]
        counts = hi - lo
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        take = np.repeat(lo, counts) + offsets
        return ListPart(
            self._proposer[take],
            self._receiver[take],
            self._score[take],
            self._proposer_value[take],
            self._receiver_value[take],
            complete=rows,
        )

    def count_blocking(self, matched: Matched, quota: IntArray, capacity: IntArray) -> int:
        worse = Thresholds.of(matched, quota, capacity, self._n, self._m)
        blocks = worse.blocks(
            self._proposer, self._receiver, self._proposer_value, self._receiver_value
        )
        key = pair_keys(self._proposer, self._receiver, self._m)
        held = pair_keys(matched.proposer, matched.receiver, self._m)
        return int(np.count_nonzero(blocks & ~is_in(key, held)))


@dataclass(frozen=True)
class Thresholds:
    """Each side's worst partner (value, then the tie-breaking index), or -inf with a free
    seat and +inf with no seat: a pair blocks when it beats both sides' thresholds."""

    proposer_value: FloatArray
    proposer_tie: IntArray
    receiver_value: FloatArray
    receiver_tie: IntArray

    @classmethod
    def of(
        cls, matched: Matched, quota: IntArray, capacity: IntArray, n: int, m: int
    ) -> Thresholds:
        p_value, p_tie = _worst(
            matched.proposer, matched.proposer_value, matched.receiver, np.asarray(quota), n
        )
        r_value, r_tie = _worst(
            matched.receiver, matched.receiver_value, matched.proposer, np.asarray(capacity), m
        )
        return cls(p_value, p_tie, r_value, r_tie)

    def blocks(
        self,
        proposer: IntArray,
        receiver: IntArray,
        proposer_value: FloatArray,
        receiver_value: FloatArray,
    ) -> BoolArray:
        """Which of these (unmatched) pairs both sides prefer, strictly and exactly."""
        pv, pt = self.proposer_value[proposer], self.proposer_tie[proposer]
        rv, rt = self.receiver_value[receiver], self.receiver_tie[receiver]
        # Ties go to the lower index: a partner with an equal value and a higher index
        # is worse.
        proposer_wants = (proposer_value > pv) | ((proposer_value == pv) & (receiver < pt))
        receiver_wants = (receiver_value > rv) | ((receiver_value == rv) & (proposer < rt))
        return np.asarray(proposer_wants & receiver_wants, dtype=bool)


def _worst(
    side: IntArray, value: FloatArray, other: IntArray, seats: IntArray, size: int
) -> tuple[FloatArray, IntArray]:
    """Per member of one side: the worst held partner's value and index (value low first,
    then index high), -inf with a free seat, +inf with no seat at all."""
    worst_value = np.full(size, np.inf)
    worst_tie = np.full(size, -1, np.int64)
    order = np.lexsort((-other, value, side))
    side_sorted = side[order]
    first = np.ones(side_sorted.size, dtype=bool)
    first[1:] = side_sorted[1:] != side_sorted[:-1]
    worst_value[side_sorted[first]] = value[order][first]
    worst_tie[side_sorted[first]] = other[order][first]
    held = np.bincount(side, minlength=size)
    free = held < seats
    worst_value[free] = -np.inf
    worst_tie[free] = np.iinfo(np.int64).max
    return worst_value, worst_tie


def stable_matching(
    arc_mentee: IntArray,
    arc_mentor: IntArray,
    mentee_score: FloatArray,
    demand: IntArray,
    capacity: IntArray,
    mentor_score: FloatArray | None = None,
    *,
    proposing: Proposing = "mentees",
) -> BoolArray:
    """The stable matching of explicit acceptable pairs; returns which arcs are matched.

    Parameters
    ----------
    arc_mentee, arc_mentor
        The acceptable pairs (each at most once).
    mentee_score
        How much the mentee likes the pair (higher first; ties: lower mentor index).
    demand, capacity
        Mentors each mentee wants; mentees each mentor takes.
    mentor_score
        How much the mentor likes the pair (ties: lower mentee index); default
        ``mentee_score``.
    proposing
        ``mentees`` for the mentee-optimal stable matching, ``mentors`` for the
        mentor-optimal one.

    Returns
    -------
    numpy.ndarray of bool
        One flag per arc. No acceptable pair blocks it.
    """
    mentee = np.asarray(arc_mentee, np.int64)
    mentor = np.asarray(arc_mentor, np.int64)
    mine = np.asarray(mentee_score, np.float64)
    theirs = mine if mentor_score is None else np.asarray(mentor_score, np.float64)
    n, m = int(np.asarray(demand).size), int(np.asarray(capacity).size)
    lists = oriented_lists(n, m, mentee, mentor, mine, mine, theirs, proposing)
    quota, seats = (demand, capacity) if proposing == "mentees" else (capacity, demand)
    matched = deferred_acceptance(lists, quota, seats).matched
    held_mentee, held_mentor = (
        (matched.proposer, matched.receiver)
        if proposing == "mentees"
        else (matched.receiver, matched.proposer)
    )
    return is_in(pair_keys(mentee, mentor, m), pair_keys(held_mentee, held_mentor, m))


def oriented_lists(
    n_mentees: int,
    n_mentors: int,
    mentee: IntArray,
    mentor: IntArray,
    score: FloatArray,
    mentee_value: FloatArray,
    mentor_value: FloatArray,
    proposing: Proposing,
) -> ArcLists:
    """:class:`ArcLists` over explicit pairs, with the proposers on the chosen side."""
    if proposing == "mentees":
        return ArcLists(n_mentees, n_mentors, mentee, mentor, score, mentee_value, mentor_value)
    return ArcLists(n_mentors, n_mentees, mentor, mentee, score, mentor_value, mentee_value)


# --------------------------------------------------------------------------- solver


def solve_stable(
    problem: AssignmentProblem,
    config: SolverConfig,
    lists: PreferenceLists | None = None,
    proposing: Proposing = "mentees",
) -> AssignmentSolution:
    """The stable matching of the residual problem (locked pairs first), locked pairs
    added back.

    Parameters
    ----------
    problem
        Demands, capacities, locked pairs; its arcs are the acceptable pairs (both sides
        ranking by score) unless ``lists`` is given.
    config
        ``certify``: count the blocking pairs over every acceptable pair afterwards.
    lists
        Both sides' preferences over the pairs that are neither locked nor forbidden, in
        the orientation ``proposing`` says; they must leave out the locked pairs.
    proposing
        ``mentees`` (mentee-optimal) or ``mentors`` (mentor-optimal).

    Returns
    -------
    AssignmentSolution
        Status ``optimal`` (the proposer-optimal stable matching is unique); the total
        score is not maximised, so ``upper_bound`` is the total and ``gap`` 0. ``stats``
        holds ``blocking_pairs`` and ``pairs_checked`` (with ``certify``), ``rounds``,
        ``proposals`` and ``listed`` (list entries built).
    """
    started = time.perf_counter()
    residual = prepare(problem)
    if lists is None:
        lists = _residual_lists(problem, residual, proposing)
    quota, seats = (
        (residual.demand, residual.capacity)
        if proposing == "mentees"
        else (residual.capacity, residual.demand)
    )
    outcome = deferred_acceptance(lists, quota, seats)
    stats: dict[str, float] = {
        "proposals": float(outcome.proposals),
        "listed": float(outcome.listed),
        "da_seconds": time.perf_counter() - started,
    }
    if config.certify:
        checked = time.perf_counter()
        stats["blocking_pairs"] = float(lists.count_blocking(outcome.matched, quota, seats))
        stats["pairs_checked"] = float(lists.pairs_checked)
        stats["check_seconds"] = time.perf_counter() - checked
    held = outcome.matched
    by_mentees = proposing == "mentees"
    free_mentee, free_mentor = (
        (held.proposer, held.receiver) if by_mentees else (held.receiver, held.proposer)
    )
    pairs = merge_pairs(problem, residual, ScoredPairs(free_mentee, free_mentor, held.score))
    mentee, mentor, score = pairs.arrays()
    listed_mentee, listed_mentor = (
        (outcome.listed_proposer, outcome.listed_receiver)
        if by_mentees
        else (outcome.listed_receiver, outcome.listed_proposer)
    )
    total = float(score.sum())
    stats["seconds"] = time.perf_counter() - started
    return AssignmentSolution(
        mentee_idx=mentee,
        mentor_idx=mentor,
        score=score,
        objective=config.objective,
        total_score=total,
        upper_bound=total,
        gap=0.0,
        status="optimal",
        method="stable",
        rounds=outcome.rounds,
        arcs_used=outcome.listed,
        stats=stats,
        priced=ScoredPairs(listed_mentee, listed_mentor, outcome.listed_score),
    )


def _residual_lists(
    problem: AssignmentProblem, residual: Residual, proposing: Proposing
) -> ArcLists:
    """Both sides ranking the problem's free arcs by score."""
    mentee, mentor, score = problem.arcs.take(residual.free).arrays()
    return oriented_lists(
        problem.n_mentees, problem.n_mentors, mentee, mentor, score, score, score, proposing
    )
