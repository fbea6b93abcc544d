"""The flow network behind the min-cost-flow solver, and its node potentials.

Nodes: mentees ``0..N-1``, mentors ``N..N+M-1`` and one sink ``T = N+M``. Arcs, in
this order (the *kinds* below index the network's arc arrays):

- ``real``: mentee -> mentor, capacity 1, cost ``-value`` (one per allowed pair);
- ``bypass``: mentee -> T, capacity ``demand``, cost 0 (leaving a unit unmatched), so
  every supply can always reach T and the problem is always feasible;
- ``min_load``: mentor -> T, capacity ``min_load``, cost ``-min_load_bonus``;
- ``rest``: mentor -> T, capacity ``capacity - min_load``, cost 0.

Mentee ``i`` supplies ``demand_i``; T absorbs it all. OR-Tools' ``SimpleMinCostFlow``
does not expose node potentials in Python, so :meth:`FlowNetwork.potentials` rebuilds
them from the residual graph of the optimal flow with a vectorised Bellman–Ford
(label-correcting from any start labels: it converges because an optimal flow leaves no
negative residual cycle).
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from matching.errors import SolverError
from matching.solver._problem import IntArray

INT64_HEADROOM = 2**61
"""Largest product of a cost magnitude and ``num_nodes + 1`` we hand to OR-Tools: it
refuses costs whose scaled magnitude (cost x (nodes + 1)) overflows int64 (measured:
BAD_COST_RANGE from 1e15 at 33,000 nodes), and we keep a factor 4 of margin."""


class FlowNetwork:
    """A mentee -> mentor -> sink network with a bypass per mentee (see module docstring)."""

    def __init__(
        self,
        arc_mentee: IntArray,
        arc_mentor: IntArray,
        arc_value: IntArray,
        demand: IntArray,
        capacity: IntArray,
        min_load: IntArray,
        min_load_bonus: int,
    ) -> None:
        n, m = int(demand.size), int(capacity.size)
        self.n_mentees, self.n_mentors, self.sink = n, m, n + m
        self.n_real = int(arc_mentee.size)
        mentors = n + np.arange(m, dtype=np.int64)
        self.tails = np.concatenate([arc_mentee, np.arange(n, dtype=np.int64), mentors, mentors])
        sinks = np.full(n + 2 * m, self.sink, dtype=np.int64)
        self.heads = np.concatenate([n + arc_mentor, sinks])
        self.caps = np.concatenate([np.ones(self.n_real, np.int64), demand, min_load])
        self.caps = np.concatenate([self.caps, capacity - min_load])
        self.costs = np.concatenate(
            [-arc_value, np.zeros(n, np.int64), np.full(m, -min_load_bonus, np.int64)]
        )
        self.costs = np.concatenate([self.costs, np.zeros(m, np.int64)])
        self.supplies = np.concatenate(
            [demand, np.zeros(m, np.int64), np.array([-int(demand.sum())], np.int64)]
        )
        biggest = int(np.abs(self.costs).max(initial=0))
        if biggest * (self.sink + 2) >= INT64_HEADROOM:
            raise SolverError("arc costs too large for an exact integer min-cost flow")

    @property
    def n_nodes(self) -> int:
        return self.sink + 1

    def mentor_capacity(self) -> IntArray:
        """Seats per mentor: the capacities of his two arcs to the sink."""
        start, m = self.n_real + self.n_mentees, self.n_mentors
        seats: IntArray = self.caps[start : start + m] + self.caps[start + m : start + 2 * m]
        return seats

    def solve(self) -> IntArray:
        """Solve the min-cost flow; return the flow on every network arc."""
        return solve_min_cost_flow(self.tails, self.heads, self.caps, self.costs, self.supplies)

    def reduced_costs(self, distance: IntArray) -> IntArray:
        """Reduced cost ``cost + d(tail) - d(head)`` of every network arc."""
        reduced: IntArray = self.costs + distance[self.tails] - distance[self.heads]
        return reduced

    def potentials(self, flows: IntArray) -> IntArray:
        """Node potentials ``d`` of an optimal ``flows``: every residual arc then has
        ``cost + d(tail) - d(head) >= 0``, so ``-d`` are optimal dual prices of the flow LP.

        Of all optimal prices these favour mentees: ``d`` is the distance *from the sink*
        in the residual graph, so a mentee's price ``d_i - d_T`` is what the optimum
        would lose without one of her units (the largest price LP sensitivity allows)
        and mentor prices are the least that support the flow. Pricing then flags only
        pairs that beat what a mentee already has, which keeps the rounds few. Nodes the
        sink does not reach (nobody without demand or seats reaches them either) keep a
        huge label, which every residual arc out of them satisfies.
        """
        labels = np.full(self.n_nodes, np.int64(INT64_HEADROOM), dtype=np.int64)
        labels[self.sink] = 0
        return residual_distances(
            self.tails,
            self.heads,
            self.caps,
            self.costs,
            flows,
            self.n_nodes,
            labels,
        )


def solve_min_cost_flow(
    tails: IntArray, heads: IntArray, caps: IntArray, costs: IntArray, supplies: IntArray
) -> IntArray:
    """One OR-Tools ``SimpleMinCostFlow`` solve from arrays; raise unless optimal."""
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        # Infeasible cannot happen with the bypass arcs; anything else is a bug or overflow.
        raise SolverError(f"min-cost flow ended with status {status.name}")
    return np.asarray(flow.flows(arcs), dtype=np.int64)


def maximum_flow(
    tails: IntArray, heads: IntArray, caps: IntArray, source: int, sink: int
) -> tuple[int, IntArray]:
    """Value of a maximum ``source`` -> ``sink`` flow (OR-Tools ``SimpleMaxFlow``) and the
    source side of a minimum cut: the nodes the source still reaches in its residual graph."""
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, caps)
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise SolverError(f"max flow ended with status {status.name}")
    return int(flow.optimal_flow()), np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)


def residual_distances(
    tails: IntArray,
    heads: IntArray,
    caps: IntArray,
    costs: IntArray,
    flows: IntArray,
    n_nodes: int,
    start: IntArray | None = None,
) -> IntArray:
    """Bellman–Ford over the residual graph from the labels ``start`` (zeros: every node
    a source), vectorised.

    Each pass relaxes only the arcs leaving nodes whose label fell in the previous pass
    (the first pass: every node), so late passes, when few labels still move, cost
    little: at 30,000 x 3,000 the work is about eight full sweeps spread over some 180
    passes, half the time of sweeping every arc until nothing changes. The result is the
    same whatever the order: each label ends at ``min over u of start_u + dist(u, v)``.
    """
    forward = flows < caps
    backward = flows > 0
    src = np.concatenate([tails[forward], heads[backward]])
    dst = np.concatenate([heads[forward], tails[backward]])
    cost = np.concatenate([costs[forward], -costs[backward]])
    order = np.argsort(src, kind="stable")
    src, dst, cost = src[order], dst[order], cost[order]
    first = np.searchsorted(src, np.arange(n_nodes + 1))
    distance = np.zeros(n_nodes, np.int64) if start is None else start.astype(np.int64)
    moved = np.arange(n_nodes)
    # More passes than nodes mean a negative cycle: labels would fall forever.
    for _ in range(n_nodes + 1):
        lo = first[moved]
        count = first[moved + 1] - lo
        total = int(count.sum())
        if total == 0:
            return np.asarray(distance, dtype=np.int64)
        if total > src.size // 2:
            candidate, target = distance[src] + cost, dst
        else:
            index = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(total)
            candidate, target = distance[src[index]] + cost[index], dst[index]
        before = distance.copy()
        np.minimum.at(distance, target, candidate)
        moved = np.flatnonzero(distance < before)
    raise SolverError("the flow is not optimal: its residual graph has a negative cycle")
