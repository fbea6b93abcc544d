r"""The *count probe*: the levels above the score — (quota shortfall, min-load units, matched
units) — that a set of arcs can reach, and the prices that certify them over all allowed
pairs.

The probe is a min-cost flow whose arcs are all worth 1, with the min-load bonus and, for
quotas on groups that share no mentee, the quota network of :mod:`._quota_flow`. Without
quotas the levels are read from two maximum flows (:func:`count_levels`), much faster;
maximum flows know nothing of quota groups, so with quotas the probe is the min-cost flow.

**Pricing the counts.** The probe's duals (integers ``u``, ``w``; ``u_i >= 0`` but for
quota members) price pairs of value 1: a pair can raise the levels only if
``u_i + w_j < 1``. The pricer gets prices ``t + lam u_i`` and ``lam w_j`` with
``lam = 4 (max score + 1)``: if ``u_i + w_j <= 0`` the test ``score > price`` reduces to
``score > t`` or weaker (no violator is missed); if ``u_i + w_j >= 1`` it needs a score
above ``t + lam`` (none); returned pairs are re-checked exactly
(:func:`price_counts`).

Used by the ``fair`` objective (:mod:`._fair`) and by the min-cost-flow solver's check that
its quick bonuses reached the highest levels (:mod:`._min_cost_flow`).
"""

from __future__ import annotations

import numpy as np

from matching._pairs import ScoredPairs
from matching.solver._arcs import Accept, WorkArcs, price_new_pairs
from matching.solver._levels import (
    Duals,
    Levels,
    choose_levels,
    duals_of,
    network_for,
    pairs_on_cycle,
)
from matching.solver._network import FlowNetwork, maximum_flow
from matching.solver._prepare import Residual
from matching.solver._problem import ArcPricer, BoolArray, IntArray

FairLevels = tuple[int, int, int]
"""(quota shortfall, min-load units, matched units) of the count probe: the levels above
the threshold, compared for equality only."""


def probe(arcs: WorkArcs, residual: Residual) -> tuple[FairLevels, Duals, int]:
    """The count levels with every arc worth 1 (quota groups enforced when the residual
    has them), the probe's duals and its per-pair bonus."""
    net, flows, levels, counts = probe_flow(arcs, residual)
    duals = duals_of(net, net.potentials(flows), residual, levels)
    return counts, duals, levels.bonus


def probe_flow(
    arcs: WorkArcs, residual: Residual
) -> tuple[FlowNetwork, IntArray, Levels, FairLevels]:
    """The count probe's network, optimal flow, levels and count levels (no duals: the
    threshold search needs the counts only)."""
    n_nodes = residual.demand.size + residual.capacity.size + 1
    n_nodes += 0 if residual.groups is None else residual.groups.size
    levels = choose_levels(
        0.0,
        pairs_on_cycle(residual),
        n_nodes,
        coverage=True,
        min_loads=bool((residual.min_load > 0).any()),
        quotas=residual.groups is not None and residual.groups.any_hard,
        count_only=True,
    )
    net = network_for(arcs, residual, levels)
    flows = net.solve()
    matched = int(flows[: arcs.size].sum())
    m = residual.capacity.size
    min_load_units = int(flows[arcs.size + residual.demand.size :][:m].sum())
    shortfall = int(net.shortfall(flows).sum())
    return net, flows, levels, (shortfall, min_load_units, matched)


def fair_levels(arcs: WorkArcs, residual: Residual) -> FairLevels:
    """(quota shortfall, min-load units, matched units) the arcs can reach: two maximum
    flows without quota groups (:func:`count_levels`), the min-cost probe with them."""
    if residual.groups is None:
        return (0, *count_levels(arcs, residual))
    return probe_flow(arcs, residual)[3]


def count_levels(arcs: WorkArcs, residual: Residual) -> tuple[int, int]:
    """The count probe's (min-load units, matched units), by two maximum flows.

    Source -> mentee (demand) -> mentor (one unit per arc) -> sink: with each mentor's
    sink arc at ``min_load`` the maximum flow is the most min-load units; at ``capacity``,
    the most matched units. Both are reached at once: augmenting the first flow to a
    maximum one never takes a unit back from the sink, so no mentor's load falls.
    """
    min_loads = residual.min_load.any()
    min_load_units = _most_units(arcs, residual, residual.min_load)[0] if min_loads else 0
    return min_load_units, _most_units(arcs, residual, residual.capacity)[0]


def most_possible_levels(residual: Residual) -> FairLevels:
    """Levels no set of pairs can beat: no quota short, every minimum load met, every
    demand or seat used."""
    matched = min(int(residual.demand.sum()), int(residual.capacity.sum()))
    return 0, int(residual.min_load.sum()), matched


def _most_units(arcs: WorkArcs, residual: Residual, seats: IntArray) -> tuple[int, IntArray]:
    """Maximum flow source -> mentees -> mentors -> sink with ``seats`` per mentor, and
    the nodes on the source side of a minimum cut (mentees ``0..N-1``, mentors ``N..``)."""
    n, m = residual.demand.size, residual.capacity.size
    source, sink = n + m, n + m + 1
    tails = np.concatenate([np.full(n, source), arcs.mentee, n + np.arange(m)])
    heads = np.concatenate([np.arange(n), n + arcs.mentor, np.full(m, sink)])
    caps = np.concatenate([residual.demand, np.ones(arcs.size, np.int64), seats])
    return maximum_flow(tails, heads, caps, source, sink)


def count_prices(arcs: WorkArcs, residual: Residual) -> tuple[IntArray, IntArray, int]:
    """Integer prices ``u`` (mentees), ``w`` (mentors) of the count levels, and the slack
    below which ``u_i + w_j`` lets a new pair raise them.

    Without minimum loads the count is a maximum flow. With ``S`` the source side of a
    minimum cut, ``u_i = [i not in S]`` and ``w_j = [j in S]``: a new pair crosses the cut,
    and so can raise the flow, only if ``u_i + w_j < 1``; if none does, the same cut bounds
    every flow over all pairs. With minimum loads or quota groups the levels are
    lexicographic: the min-cost probe's prices, with its bonus as the slack.
    """
    if residual.min_load.any() or residual.groups is not None:
        _, duals, bonus = probe(arcs, residual)
        return duals.mentee, duals.mentor, bonus
    n, m = residual.demand.size, residual.capacity.size
    _, source_side = _most_units(arcs, residual, residual.capacity)
    reached = np.zeros(n + m + 2, dtype=bool)
    reached[source_side] = True
    return (~reached[:n]).astype(np.int64), reached[n : n + m].astype(np.int64), 1


def _raising_counts(
    above: float, mentee_dual: IntArray, mentor_dual: IntArray, bonus: int
) -> Accept:
    """Accept the pairs scoring ``> above`` whose count slack is below ``bonus``."""

    def accept(pairs: ScoredPairs) -> BoolArray:
        slack = mentee_dual[pairs.mentee] + mentor_dual[pairs.mentor]
        return np.asarray((pairs.score > above) & (slack < bonus))

    return accept


def price_counts(
    arcs: WorkArcs,
    residual: Residual,
    pricer: ArcPricer,
    above: float,
    max_rounds: int,
    locked_keys: IntArray,
) -> tuple[WorkArcs, int, bool]:
    """Add pairs scoring ``> above`` that could raise the count probe's levels."""
    rounds = 0
    while True:
        rounds += 1
        mentee_dual, mentor_dual, bonus = count_prices(arcs, residual)
        lam = 4.0 * (float(arcs.score.max(initial=0.0)) + 1.0)
        prices = (
            (above + lam * mentee_dual).astype(np.float64),
            (lam * mentor_dual).astype(np.float64),
        )
        accept = _raising_counts(above, mentee_dual, mentor_dual, bonus)
        known = np.concatenate([arcs.key, locked_keys])
        # Refusals hold for this round's duals only: each round asks afresh.
        found, _ = price_new_pairs(pricer, prices, known, residual, arcs.n_mentors, accept)
        if found.size == 0:
            return arcs, rounds, True
        arcs = arcs.with_pairs(found)
        if rounds >= max_rounds:
            return arcs, rounds, False
