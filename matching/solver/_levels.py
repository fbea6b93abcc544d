r"""The flow's integer values: scale, bonuses and the duals read from a solved network.

**Integer values.** A pair's value is ``round(score x scale)`` plus, for ``coverage``, a
uniform bonus ``B``; mentor minimum loads get a bonus ``C`` on the first ``min_load``
units of the mentor -> sink arc (:mod:`matching.solver._network`). Priorities are
lexicographic — minimum loads, then matched units (coverage), then total score — and the
bonuses make one weighted objective equivalent: the difference of two flows splits into
simple residual cycles, each through the sink at most once, so it changes the min-load
units and the matched units by at most one each, and the score by at most
``L x max_score_int`` where ``L = min(mentees, mentors) + 1`` bounds the pairs on a simple
cycle. With ``B = L x max_int + 1`` and ``C = B + L x max_int + 1`` every lexicographically
improving cycle has positive weighted value, so a weighted optimum is lexicographically
optimal. With quota groups (:mod:`._quota_flow`) a member left without a mentor beyond
her group's allowance costs ``P = C + B + L x max_int + 1``, the top level: a cycle also
changes the shortfall by at most one. A soft quota's member short costs her group's
penalty at the score level (``round(penalty x scale)``): a simple cycle meets the sink
once, so it uses at most two shortfall arcs, and the score span a cycle can change
becomes ``L x max_int + 2 x max_penalty_int``, which the bonuses above outweigh.
``scale`` is the largest of 1e8 .. 1e3 for which
every cost times ``nodes + 1`` stays below 2**61 (OR-Tools scales costs by ``nodes + 1``
internally).

Duals (:class:`Duals`, :func:`duals_of`) are read in the same integer units; the bound
they give is :mod:`._certificate`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from matching.errors import SolverError
from matching.solver._arcs import WorkArcs
from matching.solver._network import INT64_HEADROOM, FlowNetwork, QuotaGroups
from matching.solver._prepare import Residual
from matching.solver._problem import FloatArray, IntArray

SCALES = (1e8, 1e7, 1e6, 1e5, 1e4, 1e3)


@dataclass(frozen=True)
class Levels:
    """Integer scale of scores and the bonuses that make priorities lexicographic."""

    scale: float
    bonus: int
    min_load_bonus: int
    shortfall_cost: int = 0
    """Cost of a hard quota's member left without a mentor beyond her group's allowance."""

    def values(self, score: FloatArray) -> IntArray:
        """Integer arc values: the coverage bonus plus the scaled score."""
        return self.bonus + np.rint(score * self.scale).astype(np.int64)

    def penalties(self, penalty: FloatArray) -> IntArray:
        """Soft quotas' penalties in integer value units."""
        return np.rint(np.asarray(penalty, np.float64) * self.scale).astype(np.int64)

    def shortfall_costs(self, groups: QuotaGroups) -> IntArray:
        """Per quota group, the cost of a member short: the top level for a hard quota,
        the scaled penalty for a soft one."""
        return np.where(groups.hard, self.shortfall_cost, self.penalties(groups.penalty))


def choose_levels(
    max_score: float,
    pairs_on_cycle: int,
    n_nodes: int,
    *,
    coverage: bool,
    min_loads: bool,
    quotas: bool = False,
    count_only: bool = False,
    max_penalty: float = 0.0,
) -> Levels:
    """The finest scale whose bonuses and costs fit OR-Tools' int64 headroom.

    ``quotas``: hard quota groups (their shortfall is the top level); ``max_penalty``:
    the largest soft quota penalty (score level)."""
    for scale in (0.0,) if count_only else SCALES:
        max_int = math.ceil(max_score * scale)
        max_penalty_int = math.ceil(max_penalty * scale)
        span = pairs_on_cycle * max_int + 2 * max_penalty_int
        bonus = span + 1 if coverage else 0
        min_load_bonus = bonus + span + 1 if min_loads else 0
        # A cycle changes the shortfall, the min-load and the matched units by one each.
        shortfall = min_load_bonus + bonus + span + 1 if quotas else 0
        biggest = shortfall + min_load_bonus + bonus + max_int + max_penalty_int
        if biggest * (n_nodes + 2) < INT64_HEADROOM:
            return Levels(scale, bonus, min_load_bonus, shortfall)
    raise SolverError("scores too large for an exact integer min-cost flow")


@dataclass(frozen=True)
class Duals:
    """Prices of one solved network, in integer value units."""

    mentee: IntArray
    mentor: IntArray
    distance: IntArray
    group: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Price of a quota group's allowance (``d_T - d_G``), like a mentor's."""


def network_for(
    arcs: WorkArcs, residual: Residual, levels: Levels, values: IntArray | None = None
) -> FlowNetwork:
    """The flow network of ``arcs`` under ``levels`` (or explicit integer ``values``),
    with the residual's quota groups."""
    return FlowNetwork(
        arcs.mentee,
        arcs.mentor,
        levels.values(arcs.score) if values is None else values,
        residual.demand,
        residual.capacity,
        residual.min_load,
        levels.min_load_bonus,
        residual.groups,
        None if residual.groups is None else levels.shortfall_costs(residual.groups),
    )


def duals_of(net: FlowNetwork, distance: IntArray, residual: Residual, levels: Levels) -> Duals:
    """Mentee prices ``u^+`` and mentor prices ``w`` (raised where it is free to).

    A quota member's price stays as it is, negative too: she has no bypass for her first
    unit, so raising her price to 0 would not be free (the bound would lose tightness)."""
    n = net.n_mentees
    sink = distance[net.sink]
    mentee = distance[:n] - sink
    clamp = np.ones(n, dtype=bool)
    group = np.zeros(0, np.int64)
    if net.groups is not None:
        clamp[net.groups.members] = False
        group = sink - distance[net.sink + 1 :]
    mentee = np.where(clamp, np.maximum(mentee, 0), mentee)
    mentor = sink - distance[n : net.sink]
    floor = np.where(residual.min_load > 0, -levels.min_load_bonus, 0)
    mentor = np.maximum(mentor, floor)
    # A mentee without demand or a mentor without seats can take no new pair.
    big = np.int64(INT64_HEADROOM // 4)
    mentee = np.where(residual.demand > 0, mentee, big)
    mentor = np.where(residual.capacity > 0, mentor, big)
    return Duals(mentee, mentor, distance, group)


def pairs_on_cycle(residual: Residual) -> int:
    """``L``: a bound on the pairs a simple residual cycle can use, plus one."""
    return int(min((residual.demand > 0).sum(), (residual.capacity > 0).sum())) + 1
