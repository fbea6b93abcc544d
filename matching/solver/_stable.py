"""Stable matching: mentee-proposing deferred acceptance with capacities and demands.

Both sides rank the allowed pairs by score (mentors may rank by separate scores); ties
are broken by index (lower mentor index preferred by a mentee, lower mentee index by a
mentor), so preferences are strict and the mentee-optimal stable matching is unique. The
proposals run in vectorised rounds (McVitie–Wilson: the order of proposals does not
change the outcome): every mentee short of her demand proposes to her next mentors at
once, and each mentor keeps her best ``capacity`` proposals so far. Locked pairs are
assigned first. The result is reported ``feasible``; its upper bound is the best total
score (a min-cost flow on the same arcs), which bounds every objective's total.
"""

from __future__ import annotations

import time

import numpy as np

from matching._arrays import rank_in_runs
from matching.solver._arcs import WorkArcs
from matching.solver._min_cost_flow import solve_with_pricing
from matching.solver._prepare import Residual, prepare
from matching.solver._problem import (
    AssignmentProblem,
    AssignmentSolution,
    BoolArray,
    FloatArray,
    IntArray,
    SolverConfig,
)
from matching.solver._solution import merge_pairs, relative_gap


def stable_matching(
    arc_mentee: IntArray,
    arc_mentor: IntArray,
    mentee_score: FloatArray,
    demand: IntArray,
    capacity: IntArray,
    mentor_score: FloatArray | None = None,
) -> BoolArray:
    """Mentee-optimal stable matching; returns which arcs are matched.

    Parameters
    ----------
    arc_mentee, arc_mentor
        The allowed pairs (each at most once).
    mentee_score
        How much the mentee likes the pair (higher first).
    demand, capacity
        Mentors each mentee wants; mentees each mentor takes.
    mentor_score
        How much the mentor likes the pair; default ``mentee_score``.

    Returns
    -------
    numpy.ndarray of bool
        One flag per arc. No allowed pair blocks it: for every unmatched arc, the mentee
        has her demand filled with pairs she ranks higher, or the mentor her capacity.
    """
    mentee = np.asarray(arc_mentee, np.int64)
    mentor = np.asarray(arc_mentor, np.int64)
    theirs = np.asarray(mentee_score if mentor_score is None else mentor_score, np.float64)
    n_arcs = mentee.size
    # Each mentee's list, best first: position of every arc in proposal order.
    proposal = np.lexsort((mentor, -np.asarray(mentee_score, np.float64), mentee))
    starts = np.searchsorted(mentee[proposal], np.arange(int(demand.size) + 1))
    # A mentor's rank of each arc: lower is better.
    by_mentor = np.lexsort((mentee, -theirs, mentor))
    rank = np.empty(n_arcs, np.int64)
    rank[by_mentor] = np.arange(n_arcs)
    cap = np.asarray(capacity, np.int64)
    next_pos = starts[:-1].copy()
    end = starts[1:]
    held = np.zeros(n_arcs, dtype=bool)
    short = np.asarray(demand, np.int64).copy()
    while True:
        wants = np.minimum(short, end - next_pos)
        proposers = np.flatnonzero(wants > 0)
        if proposers.size == 0:
            return held
        # Arcs proposed this round: the next ``wants`` entries of each proposer's list.
        counts = wants[proposers]
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        new = proposal[np.repeat(next_pos[proposers], counts) + offsets]
        next_pos[proposers] += counts
        short[proposers] -= counts
        held[new] = True
        # Each mentor keeps her best ``capacity`` held arcs; the rest are rejected.
        pool = np.flatnonzero(held)
        pool = pool[np.argsort(rank[pool], kind="stable")]  # by mentor, then preference
        owner = mentor[pool]
        rejected = pool[rank_in_runs(owner) >= cap[owner]]
        held[rejected] = False
        np.add.at(short, mentee[rejected], 1)


def solve_stable(problem: AssignmentProblem, config: SolverConfig) -> AssignmentSolution:
    """The stable matching of the residual problem, locked pairs added back."""
    started = time.perf_counter()
    residual = prepare(problem)
    arcs = WorkArcs.from_problem(problem, residual)
    held = stable_matching(arcs.mentee, arcs.mentor, arcs.score, residual.demand, residual.capacity)
    mentee, mentor, score = merge_pairs(
        problem, residual, arcs.mentee[held], arcs.mentor[held], arcs.score[held]
    )
    total = float(score.sum())
    upper = max(total, _best_total(arcs, residual) + residual.locked_score(problem))
    return AssignmentSolution(
        mentee_idx=mentee,
        mentor_idx=mentor,
        score=score,
        objective=config.objective,
        total_score=total,
        upper_bound=upper,
        gap=relative_gap(total, upper),
        status="feasible",
        method="stable",
        arcs_used=arcs.size,
        stats={"seconds": time.perf_counter() - started},
    )


def _best_total(arcs: WorkArcs, residual: Residual) -> float:
    """The highest total score on these arcs (min loads ignored: a bound)."""
    relaxed = Residual(
        residual.free,
        residual.locked,
        residual.demand,
        residual.capacity,
        np.zeros_like(residual.min_load),
    )
    outcome = solve_with_pricing(arcs, relaxed, coverage=False, pricer=None, max_rounds=1)
    return float(arcs.score[outcome.chosen].sum())
