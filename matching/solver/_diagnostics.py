"""Graph diagnostics around the solve: independent components and capacity bottlenecks.

Components come from :func:`scipy.sparse.csgraph.connected_components` and the
bottleneck from OR-Tools' max flow: both run in C on the candidate arcs, where a networkx
graph of the same size takes far longer to build. :func:`allowed_graph` gives researchers
the networkx view.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from ortools.graph.python import max_flow
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components as _components

from matching.errors import SolverError
from matching.solver._problem import AssignmentProblem, IntArray


def connected_components(problem: AssignmentProblem) -> list[IntArray]:
    """Mentee indices of each connected component of the allowed-pair graph.

    Components are independent sub-problems (a language community with its own mentors
    shows up as one). Only components with at least one arc are listed — a mentee without
    any allowed mentor is no sub-problem — ordered by their smallest mentee index, each
    array sorted.
    """
    n, m = problem.n_mentees, problem.n_mentors
    mentee = problem.arcs.mentee
    mentor = problem.arcs.mentor
    graph = coo_array((np.ones(mentee.size), (mentee, n + mentor)), shape=(n + m, n + m))
    _, labels = _components(graph, directed=False)
    has_arc = np.bincount(mentee, minlength=n) > 0
    mentee_labels = labels[:n]
    order = np.flatnonzero(has_arc)  # ascending, so components appear by smallest index
    first_seen: dict[int, int] = {}
    for label in mentee_labels[order].tolist():
        first_seen.setdefault(label, len(first_seen))
    if not first_seen:
        return []
    rank = np.full(int(labels.max()) + 1, -1, np.int64)
    rank[list(first_seen)] = np.arange(len(first_seen))
    grouped = rank[mentee_labels[order]]
    sort = np.argsort(grouped, kind="stable")
    bounds = np.flatnonzero(np.diff(grouped[sort])) + 1
    return [part.astype(np.int64) for part in np.split(order[sort], bounds)]


@dataclass(frozen=True)
class Bottleneck:
    """A group of mentees whose allowed mentors lack the seats (a Hall violator).

    ``mentors`` are all the allowed mentors of ``mentees``; the group wants ``demand``
    units (each mentee at most as many as she has allowed mentors) and those mentors
    offer ``seats``; ``shortfall = demand - seats > 0`` units stay unmatched at least.
    """

    mentees: IntArray
    mentors: IntArray
    demand: int
    seats: int

    @property
    def shortfall(self) -> int:
        return self.demand - self.seats


def find_bottleneck(
    arc_mentee: IntArray,
    arc_mentor: IntArray,
    demand: IntArray,
    capacity: IntArray,
) -> Bottleneck | None:
    """A group of mentees whose allowed mentors lack the seats, if any.

    A max flow source -> mentee (demand, capped by her number of allowed mentors) ->
    mentor (unbounded) -> sink (capacity); the source side of the minimum cut holds
    mentees ``X`` and, because the middle arcs are unbounded, all their allowed mentors
    ``N(X)``: the cut shows ``demand(X) - capacity(N(X))`` units that can never be matched.

    Returns
    -------
    Bottleneck or None
        ``None`` when every mentee's demand (within her allowed pairs) can be met.
    """
    n, m = int(demand.size), int(capacity.size)
    mentee = np.asarray(arc_mentee, np.int64)
    mentor = np.asarray(arc_mentor, np.int64)
    wanted = np.minimum(np.asarray(demand, np.int64), np.bincount(mentee, minlength=n))
    source, sink = n + m, n + m + 1
    total = int(wanted.sum())
    unbounded = max(total, 1)
    tails = np.concatenate([np.full(n, source), mentee, n + np.arange(m)]).astype(np.int64)
    heads = np.concatenate([np.arange(n), n + mentor, np.full(m, sink)]).astype(np.int64)
    caps = np.concatenate([wanted, np.full(mentee.size, unbounded), capacity]).astype(np.int64)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, caps)
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise SolverError(f"max flow ended with status {status.name}")
    if flow.optimal_flow() >= total:
        return None
    side = np.asarray(flow.get_source_side_min_cut(), np.int64)
    group = np.sort(side[side < n])
    seats_of = np.sort(side[(side >= n) & (side < n + m)] - n)
    return Bottleneck(
        mentees=group,
        mentors=seats_of,
        demand=int(wanted[group].sum()),
        seats=int(np.asarray(capacity, np.int64)[seats_of].sum()),
    )


def allowed_graph(problem: AssignmentProblem) -> nx.Graph:
    """The allowed-pair graph for exploration: nodes ``("mentee", i)`` and ``("mentor", j)``,
    edges weighted by score (for notebooks; the solvers never need it)."""
    graph = nx.Graph()
    graph.add_nodes_from(("mentee", i) for i in range(problem.n_mentees))
    graph.add_nodes_from(("mentor", j) for j in range(problem.n_mentors))
    graph.add_weighted_edges_from(
        (("mentee", i), ("mentor", j), s)
        for i, j, s in zip(
            problem.arcs.mentee.tolist(),
            problem.arcs.mentor.tolist(),
            problem.arcs.score.tolist(),
            strict=True,
        )
    )
    return graph
