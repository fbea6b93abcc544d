"""Baseline solvers on a dense score matrix (``NaN`` = not an arc), and the one evaluator.

Every baseline returns ``(mentee_idx, mentor_idx)`` of its chosen pairs; the harness
evaluates every method's pairs with :func:`evaluate` against the same matrix, so the
objective is computed identically for all (ours included).

Objectives: ``total`` maximises the sum of scores; ``coverage`` maximises the number of
matched mentees first, then the sum (a bonus ``B`` on every arc with ``B`` larger than any
possible score difference along an augmenting path, i.e. ``(N + 1) * max score``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Evaluation",
    "evaluate",
    "greedy",
    "linear_sum_assignment_expanded",
    "min_cost_flow_full",
    "networkx_min_cost_flow",
]

SCALE = 1_000_000  # integer costs -round(score * 1e6): exact enough (solver-at-scale notes)
_BLOCK = 2048


def _int_scores(values: np.ndarray) -> np.ndarray:
    return np.rint(values.astype(np.float64) * SCALE).astype(np.int64)


def _bonus(scores: np.ndarray, objective: str) -> int:
    """Per-arc bonus that makes one more matched mentee worth more than any score change."""
    if objective != "coverage":
        return 0
    top = 0
    for start in range(0, scores.shape[0], _BLOCK):
        block = scores[start : start + _BLOCK]
        if np.any(~np.isnan(block)):
            top = max(top, int(np.rint(float(np.nanmax(block)) * SCALE)))
    return (scores.shape[0] + 1) * max(top, 1) + 1


# --------------------------------------------------------------------------- OR-Tools


def min_cost_flow_full(
    scores: np.ndarray, capacity: np.ndarray, demand: np.ndarray, objective: str
) -> tuple[np.ndarray, np.ndarray]:
    """OR-Tools ``SimpleMinCostFlow`` on every allowed pair, built with the vectorised calls.

    Nodes: mentees ``0..N-1`` (supply = demand), mentors ``N..N+M-1``, sink ``N+M``.
    Arcs: every allowed pair (capacity 1, cost ``-(B + score)``), mentor -> sink (capacity),
    mentee -> sink (the bypass: staying unmatched costs 0, so the flow is always feasible).
    """
    from ortools.graph.python import min_cost_flow

    n, m = scores.shape
    sink = n + m
    bonus = _bonus(scores, objective)
    flow = min_cost_flow.SimpleMinCostFlow()
    block_arcs: list[tuple[int, int, int]] = []  # (start row, first arc, count)
    for start in range(0, n, _BLOCK):
        block = np.asarray(scores[start : start + _BLOCK])
        rows, cols = np.nonzero(~np.isnan(block))
        if rows.size == 0:
            continue
        costs = -(bonus + _int_scores(block[rows, cols]))
        arcs = flow.add_arcs_with_capacity_and_unit_cost(
            (rows + start).astype(np.int32),
            (cols + n).astype(np.int32),
            np.ones(rows.size, dtype=np.int64),
            costs,
        )
        block_arcs.append((start, int(arcs[0]), int(rows.size)))
        del rows, cols, costs, arcs
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, n + m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        capacity.astype(np.int64),
        np.zeros(m, dtype=np.int64),
    )
    flow.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, dtype=np.int32),
        np.full(n, sink, dtype=np.int32),
        demand.astype(np.int64),
        np.zeros(n, dtype=np.int64),
    )
    flow.set_nodes_supplies(
        np.arange(n + m + 1, dtype=np.int32),
        np.concatenate([demand, np.zeros(m, dtype=np.int64), [-int(demand.sum())]]),
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow status {status}")
    chosen_rows: list[np.ndarray] = []
    chosen_cols: list[np.ndarray] = []
    for start, first, count in block_arcs:
        used = np.nonzero(flow.flows(np.arange(first, first + count, dtype=np.int32)) > 0)[0]
        if used.size == 0:
            continue
        block = np.asarray(scores[start : start + _BLOCK])
        rows, cols = np.nonzero(~np.isnan(block))  # same order as when the arcs were added
        chosen_rows.append(rows[used] + start)
        chosen_cols.append(cols[used])
    if not chosen_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(chosen_rows), np.concatenate(chosen_cols)


# --------------------------------------------------------------------------- scipy


def linear_sum_assignment_expanded(
    scores: np.ndarray, capacity: np.ndarray, demand: np.ndarray, objective: str
) -> tuple[np.ndarray, np.ndarray]:
    """scipy ``linear_sum_assignment`` on the capacity-expanded dense matrix.

    One column per mentor seat (mentor ``j`` repeated ``capacity[j]`` times); a forbidden
    pair weighs 0, like staying unmatched, and is dropped from the result. Demand above 1
    cannot be expressed without letting a mentee take one mentor twice: benchmark
    instances have demand 1.
    """
    from scipy.optimize import linear_sum_assignment

    if np.any(demand != 1):
        raise ValueError("linear_sum_assignment baseline needs demand 1")
    n, _ = scores.shape
    bonus = float(_bonus(scores, objective)) / SCALE
    seat_mentor = np.repeat(np.arange(scores.shape[1]), capacity)
    # Costs are written negated, so scipy need not copy the matrix to maximise: one dense
    # float64 N x seats matrix is the whole memory (7.9 GB at 30,000 x 3,000).
    costs = np.empty((n, seat_mentor.size), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        block = np.asarray(scores[start : start + _BLOCK], dtype=np.float64)[:, seat_mentor]
        costs[start : start + _BLOCK] = -np.nan_to_num(block + bonus, nan=0.0)
    rows, seats = linear_sum_assignment(costs)
    del costs
    cols = seat_mentor[seats]
    allowed = ~np.isnan(np.asarray(scores[rows, cols]))
    return rows[allowed].astype(np.int64), cols[allowed].astype(np.int64)


# --------------------------------------------------------------------------- networkx


def networkx_min_cost_flow(
    scores: np.ndarray, capacity: np.ndarray, demand: np.ndarray, objective: str
) -> tuple[np.ndarray, np.ndarray]:
    """networkx ``min_cost_flow`` (network simplex, pure Python) on the same network."""
    import networkx as nx

    n, m = scores.shape
    bonus = _bonus(scores, objective)
    graph = nx.DiGraph()
    for i in range(n):
        graph.add_node(("e", i), demand=-int(demand[i]))
    graph.add_node("sink", demand=int(demand.sum()))
    for j in range(m):
        graph.add_edge(("r", j), "sink", capacity=int(capacity[j]), weight=0)
    for i in range(n):
        graph.add_edge(("e", i), "sink", capacity=int(demand[i]), weight=0)
    for start in range(0, n, _BLOCK):
        block = np.asarray(scores[start : start + _BLOCK])
        rows, cols = np.nonzero(~np.isnan(block))
        costs = -(bonus + _int_scores(block[rows, cols]))
        graph.add_edges_from(
            (("e", int(i) + start), ("r", int(j)), {"capacity": 1, "weight": int(c)})
            for i, j, c in zip(rows, cols, costs, strict=True)
        )
    flow = nx.min_cost_flow(graph)
    pairs = []
    for i in range(n):
        for target, amount in flow[("e", i)].items():
            if amount > 0 and target != "sink":
                pairs.append((i, target[1]))
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    array = np.asarray(pairs, dtype=np.int64)
    return array[:, 0], array[:, 1]


# --------------------------------------------------------------------------- greedy


def greedy(
    scores: np.ndarray, capacity: np.ndarray, demand: np.ndarray, objective: str
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy by score over all allowed pairs: best pair first while both sides have room.

    Ties by mentee, then mentor index. With one shared score this is also the stable
    matching of the hospital–residents game. Pairs are taken in score bands (highest
    first), each band sorted, so the 90 M pairs of 30k x 3k are never sorted at once.
    ``objective`` is ignored: greedy has no notion of coverage.
    """
    n, _m = scores.shape
    need = demand.astype(np.int64).copy()
    room = capacity.astype(np.int64).copy()
    sample = np.asarray(scores[:: max(1, n // 2000)]).ravel()
    sample = sample[~np.isnan(sample)]
    if sample.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    edges = np.unique(np.quantile(sample, [0.999, 0.99, 0.97, 0.9, 0.75, 0.5, 0.25]))[::-1]
    bounds = [np.inf, *edges.tolist(), -np.inf]
    taken_rows: list[int] = []
    taken_cols: list[int] = []
    for high, low in itertools.pairwise(bounds):
        if not need.any() or not room.any():
            break
        cand_rows: list[np.ndarray] = []
        cand_cols: list[np.ndarray] = []
        cand_vals: list[np.ndarray] = []
        open_cols = np.nonzero(room > 0)[0]
        for start in range(0, n, _BLOCK):
            free = np.nonzero(need[start : start + _BLOCK] > 0)[0]
            if free.size == 0:
                continue
            block = np.asarray(scores[start : start + _BLOCK])[np.ix_(free, open_cols)]
            with np.errstate(invalid="ignore"):
                inside = (block >= low) & (block < high)
            rows, cols = np.nonzero(inside)
            cand_rows.append(free[rows] + start)
            cand_cols.append(open_cols[cols])
            cand_vals.append(block[rows, cols])
        if not cand_rows:
            continue
        rows = np.concatenate(cand_rows)
        cols = np.concatenate(cand_cols)
        vals = np.concatenate(cand_vals)
        order = np.lexsort((cols, rows, -vals))
        for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
            if need[i] > 0 and room[j] > 0:
                need[i] -= 1
                room[j] -= 1
                taken_rows.append(i)
                taken_cols.append(j)
    return np.asarray(taken_rows, dtype=np.int64), np.asarray(taken_cols, dtype=np.int64)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """A method's pairs, scored against the instance: feasibility first."""

    valid: bool
    problem: str
    matched: int
    pairs: int
    total_score: float


def evaluate(
    scores: np.ndarray,
    capacity: np.ndarray,
    demand: np.ndarray,
    mentee_idx: np.ndarray,
    mentor_idx: np.ndarray,
) -> Evaluation:
    """Total score and matched count of the pairs, after checking they are feasible."""
    n, m = scores.shape
    mentee_idx = np.asarray(mentee_idx, dtype=np.int64)
    mentor_idx = np.asarray(mentor_idx, dtype=np.int64)
    problem = ""
    if mentee_idx.size and (mentee_idx.min() < 0 or mentee_idx.max() >= n):
        problem = "mentee index out of range"
    elif mentor_idx.size and (mentor_idx.min() < 0 or mentor_idx.max() >= m):
        problem = "mentor index out of range"
    if problem:
        return Evaluation(False, problem, 0, int(mentee_idx.size), float("nan"))
    values = np.asarray(scores[mentee_idx, mentor_idx], dtype=np.float64)
    if np.isnan(values).any():
        problem = f"{int(np.isnan(values).sum())} pairs are not allowed"
    elif np.unique(mentee_idx * m + mentor_idx).size != mentee_idx.size:
        problem = "a pair is listed twice"
    elif np.any(np.bincount(mentor_idx, minlength=m) > capacity):
        problem = "a mentor is over capacity"
    elif np.any(np.bincount(mentee_idx, minlength=n) > demand):
        problem = "a mentee has more mentors than her demand"
    matched = int(np.unique(mentee_idx).size)
    return Evaluation(not problem, problem, matched, int(mentee_idx.size), float(np.nansum(values)))
