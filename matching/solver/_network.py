"""The flow network behind the min-cost-flow solver, and its node potentials.

Nodes: mentees ``0..N-1``, mentors ``N..N+M-1``, one sink ``T = N+M`` and, with quota
groups, one node ``G_g = N+M+1+g`` per group. Arcs, in this order (the *kinds* below
index the network's arc arrays):

- ``real``: mentee -> mentor, capacity 1, cost ``-value`` (one per allowed pair);
- ``bypass``: mentee -> T, capacity ``demand`` (``demand - 1`` for a quota member), cost
  0 (leaving a unit unmatched);
- ``min_load``: mentor -> T, capacity ``min_load``, cost ``-min_load_bonus``;
- ``rest``: mentor -> T, capacity ``capacity - min_load``, cost 0;

and with quota groups (:class:`QuotaGroups`):

- ``unmatched``: member -> her group's node, capacity 1, cost 0 (her *first* unit left
  unmatched: she gets no mentor at all);
- ``allowance``: G_g -> T, capacity: how many members may get no mentor;
- ``shortfall``: member -> T, capacity 1, cost: her group's (a member left without a
  mentor beyond the allowance: a hard quota missed, at a price above every other level;
  a soft quota's penalty, at the score level).

Every supply can always reach T, so the problem is always feasible. A quota "at least
``q`` of group ``g`` get a mentor" is then a capacity: a member whose first unit is
not matched sends it through ``G_g`` or pays the shortfall, and ``G_g`` passes at most
``|g| - q`` units. This holds for groups that share no mentee (one node per member).

Mentee ``i`` supplies ``demand_i``; T absorbs it all. OR-Tools' ``SimpleMinCostFlow``
does not expose node potentials in Python, so :meth:`FlowNetwork.potentials` rebuilds
them from the residual graph of the optimal flow with a vectorised Bellman–Ford
(label-correcting from any start labels: it converges because an optimal flow leaves no
negative residual cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from matching.errors import SolverError
from matching.solver._problem import BoolArray, FloatArray, IntArray

INT64_HEADROOM = 2**61
"""Largest product of a cost magnitude and ``num_nodes + 1`` we hand to OR-Tools: it
refuses costs whose scaled magnitude (cost x (nodes + 1)) overflows int64
(``BAD_COST_RANGE``), and we keep a factor 4 of margin."""


@dataclass(frozen=True)
class QuotaGroups:
    """Quotas on groups that share no mentee, as the network's group nodes.

    ``member_group[i]`` is mentee ``i``'s group (-1: none, or nothing left to decide: a
    locked pair matches her already, or she wants no more mentors); ``allowance[g]`` is
    how many of the group's members may get no mentor, ``required[g]`` how many must get
    one, and ``names[g]`` the quota's name (for messages). ``hard[g]``: the quota must be
    met; else each member short costs ``penalty[g]`` (score units).
    """

    member_group: IntArray
    allowance: IntArray
    required: IntArray
    names: tuple[str, ...]
    hard: BoolArray
    penalty: FloatArray

    @property
    def size(self) -> int:
        return len(self.names)

    @property
    def any_hard(self) -> bool:
        return bool(np.asarray(self.hard).any())

    @property
    def max_penalty(self) -> float:
        """The largest soft quota's penalty (0 without soft quotas)."""
        soft = np.asarray(self.penalty)[~np.asarray(self.hard, bool)]
        return float(soft.max(initial=0.0))

    @property
    def members(self) -> IntArray:
        """Mentees in some group, in index order."""
        return np.flatnonzero(self.member_group >= 0).astype(np.int64)


class FlowNetwork:
    """A mentee -> mentor -> sink network with a bypass per mentee and, with quotas, a node
    per quota group (see module docstring)."""

    def __init__(
        self,
        arc_mentee: IntArray,
        arc_mentor: IntArray,
        arc_value: IntArray,
        demand: IntArray,
        capacity: IntArray,
        min_load: IntArray,
        min_load_bonus: int,
        groups: QuotaGroups | None = None,
        shortfall_costs: IntArray | None = None,
    ) -> None:
        """``shortfall_costs[g]``: the cost of group ``g``'s shortfall arcs."""
        n, m = int(demand.size), int(capacity.size)
        self.n_mentees, self.n_mentors, self.sink = n, m, n + m
        self.n_real = int(arc_mentee.size)
        self.groups = groups
        members = np.zeros(0, np.int64) if groups is None else groups.members
        n_groups = 0 if groups is None else groups.size
        self.n_groups = n_groups
        bypass = demand.copy()
        bypass[members] -= 1  # a member's first unit leaves through her group or shortfall
        mentees = np.arange(n, dtype=np.int64)
        mentors = n + np.arange(m, dtype=np.int64)
        group_nodes = self.sink + 1 + np.arange(n_groups, dtype=np.int64)
        to_group = np.zeros(0, np.int64) if groups is None else groups.member_group[members]
        allowance = np.zeros(0, np.int64) if groups is None else groups.allowance
        costs = np.zeros(n_groups, np.int64) if shortfall_costs is None else shortfall_costs
        sink = self.sink
        parts = [
            (arc_mentee, n + arc_mentor, np.ones(self.n_real, np.int64), -arc_value),
            _kind(mentees, sink, bypass, 0),
            _kind(mentors, sink, min_load, -min_load_bonus),
            _kind(mentors, sink, capacity - min_load, 0),
            _kind(members, sink + 1 + to_group, 1, 0),
            _kind(group_nodes, sink, allowance, 0),
            _kind(members, sink, 1, 0),
        ]
        parts[-1] = (*parts[-1][:3], np.asarray(costs, np.int64)[to_group])
        self.tails, self.heads, self.caps, self.costs = (
            np.concatenate([part[column] for part in parts]).astype(np.int64, copy=False)
            for column in range(4)
        )
        supplies = [demand, np.zeros(m, np.int64), np.array([-int(demand.sum())], np.int64)]
        self.supplies = np.concatenate([*supplies, np.zeros(n_groups, np.int64)])
        self.n_members = int(members.size)
        biggest = int(np.abs(self.costs).max(initial=0))
        if biggest * (self.n_nodes + 1) >= INT64_HEADROOM:
            raise SolverError("arc costs too large for an exact integer min-cost flow")

    @property
    def n_nodes(self) -> int:
        return self.sink + 1 + self.n_groups

    def shortfall(self, flows: IntArray) -> IntArray:
        """Per hard quota group, the members left without a mentor beyond its allowance
        (0 for soft groups: their members short are :meth:`missing`)."""
        if self.groups is None:
            return np.zeros(0, np.int64)
        return np.where(self.groups.hard, self._beyond_allowance(flows), 0)

    def missing(self, flows: IntArray) -> IntArray:
        """Per soft quota group, the members short of it (0 for hard groups)."""
        if self.groups is None:
            return np.zeros(0, np.int64)
        return np.where(self.groups.hard, 0, self._beyond_allowance(flows))

    def _beyond_allowance(self, flows: IntArray) -> IntArray:
        assert self.groups is not None
        units = flows[self.costs.size - self.n_members :]
        group = self.groups.member_group[self.groups.members]
        return np.bincount(group, weights=units, minlength=self.n_groups).astype(np.int64)

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


def _kind(
    tails: IntArray, heads: IntArray | int, caps: IntArray | int, cost: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """One kind of arc (module docstring): a tail per arc, heads, capacities and a cost
    broadcast to them."""
    size = tails.size
    return (
        tails,
        np.broadcast_to(np.asarray(heads, np.int64), size),
        np.broadcast_to(np.asarray(caps, np.int64), size),
        np.full(size, cost, np.int64),
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
    little, unlike sweeping every arc until nothing changes. The result is the
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
