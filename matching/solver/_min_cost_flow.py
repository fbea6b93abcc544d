r"""Min-cost-flow solver for ``total`` and ``coverage``, with an optimality certificate.

Integer values, bonuses and duals: :mod:`._levels`; the bound they give:
:mod:`._certificate`.

**Pricing.** The pricer sees prices in *score* units: mentee ``(u_i^+ - B) / scale``,
mentor ``w_j / scale``; a missing pair can improve the objective only if ``score_ij >
mentee_i + mentor_j``. Prices may be negative (an unmatched mentee under ``coverage`` has
price ``-B/scale``: any allowed mentor with a free seat improves coverage). Returned pairs
are added and the flow re-optimised (:mod:`._reoptimise`: only the arcs whose flow can
change are solved again) until the pricer returns nothing — then every missing
pair has margin <= 0 (``rint`` of a score at most an integer price stays below it), the
restricted optimum is optimal over all allowed pairs and the bound equals it: status
``optimal``, gap 0 — or until ``max_rounds`` (the last violators enter the margins;
status ``feasible``). Bound and gap are exact for scores rounded to ``1/scale`` (1e-8 at
the default scale); the reported total uses the true scores.

**Quick bonuses.** The bonuses above are worst-case sizes: ``B`` outweighs the score of
``L`` pairs. The loop first runs with bonuses worth ``QUICK_PAIRS`` pairs (same formulas,
``L`` replaced), which makes every flow about twice as fast. Its result optimises the
quick weighted objective over all allowed pairs (same certificate). If its min-load and
matched units are the highest possible — trivially (every minimum load met; every
demand or every seat used), or by the count probe of :mod:`._counts` certified over all
allowed pairs — then any solution at those levels has a quick-weighted value at most the
bound, so the score bound at the solution's levels holds and the result is
lexicographically optimal. Otherwise the loop goes on from the same arcs with the full
bonuses.

**Incumbents.** With the final duals, complementary slackness characterises *all*
optimal flows: arcs of positive reduced cost carry nothing, arcs of negative reduced cost
are full, the rest are free. A second min-cost flow on the zero-reduced-cost arcs, with
cost -1 on incumbent pairs, therefore keeps as many incumbent pairs as any optimal
solution can, without changing the optimum (the duals stay optimal).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from matching.solver._arcs import Accept, WorkArcs, price_new_pairs
from matching.solver._certificate import upper_bound_int
from matching.solver._counts import count_levels, price_counts
from matching.solver._levels import Levels, choose_levels, duals_of, network_for, pairs_on_cycle
from matching.solver._network import FlowNetwork, solve_min_cost_flow
from matching.solver._prepare import Residual
from matching.solver._problem import ArcPricer, BoolArray, FloatArray, IntArray
from matching.solver._reoptimise import reoptimise

QUICK_PAIRS = 2
"""Pairs' worth of the quick bonuses tried first (see :func:`solve_with_pricing`)."""


@dataclass
class FlowOutcome:
    """What a flow solve (with its pricing loop) found, on the free arcs."""

    arcs: WorkArcs
    chosen: IntArray
    """Indices into ``arcs`` of the chosen pairs."""
    upper_bound: float
    certified: bool
    rounds: int
    matched_units: int
    min_load_units: int
    stats: dict[str, float] = field(default_factory=dict)
    shortfall: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per quota group, members left without a mentor beyond its allowance (quota missed)."""


def solve_with_pricing(
    arcs: WorkArcs,
    residual: Residual,
    *,
    coverage: bool,
    pricer: ArcPricer | None,
    max_rounds: int,
    threshold: float | None = None,
    known_extra: IntArray | None = None,
) -> FlowOutcome:
    """Solve on ``arcs``; while the pricer finds improving pairs, add them and re-solve.

    ``threshold``: only pairs scoring at least this may enter (``fair``'s last level).
    ``known_extra``: keys (``mentee x n_mentors + mentor``) never to add (locked pairs).

    With bonuses (coverage, minimum loads) it first solves with *small* ones (worth
    ``QUICK_PAIRS`` pairs): the cost range is then far smaller and each flow about twice
    as fast. The result is kept when its levels are provably the highest (module
    docstring, "Quick bonuses"); otherwise the loop continues from its arcs with the
    full bonuses.
    """
    min_loads = bool((residual.min_load > 0).any())
    full = pairs_on_cycle(residual)
    if not (coverage or min_loads) or full <= QUICK_PAIRS:
        return _pricing_loop(
            arcs, residual, full, coverage, pricer, max_rounds, threshold, known_extra
        )
    quick = _pricing_loop(
        arcs, residual, QUICK_PAIRS, coverage, pricer, max_rounds, threshold, known_extra
    )
    quick.stats["quick_bonus"] = 1.0
    proven, arcs, used = _levels_are_highest(
        quick, residual, coverage, pricer, threshold, known_extra
    )
    quick.rounds += used
    if proven or quick.rounds >= max_rounds:
        # Out of rounds: the bound still holds at the solution's levels (status feasible).
        quick.certified = quick.certified and proven
        return quick
    outcome = _pricing_loop(
        arcs,
        residual,
        full,
        coverage,
        pricer,
        max(1, max_rounds - quick.rounds),
        threshold,
        known_extra,
    )
    outcome.rounds += quick.rounds
    for key in ("flow_seconds", "dual_seconds", "price_seconds", "priced_arcs", "seconds"):
        outcome.stats[key] = outcome.stats.get(key, 0.0) + quick.stats.get(key, 0.0)
    outcome.stats["quick_bonus"] = 0.0
    return outcome


def _levels_are_highest(
    outcome: FlowOutcome,
    residual: Residual,
    coverage: bool,
    pricer: ArcPricer | None,
    threshold: float | None,
    known_extra: IntArray | None,
) -> tuple[bool, WorkArcs, int]:
    """Whether the outcome's min-load and matched units are the highest over all allowed
    pairs; also the arcs to continue from and the pricing rounds used."""
    if outcome.shortfall.any():
        return False, outcome.arcs, 0  # a quota missed: only the full levels can tell
    min_load_total = int(residual.min_load.sum())
    enough_min_load = outcome.min_load_units >= min_load_total
    if coverage:
        most = min(int(residual.demand.sum()), int(residual.capacity.sum()))
        if enough_min_load and outcome.matched_units >= most:
            return True, outcome.arcs, 0
    elif enough_min_load:
        return True, outcome.arcs, 0
    if threshold is not None:
        return False, outcome.arcs, 0
    # Not trivially highest: the count probe (every pair worth 1) over all allowed pairs.
    # Quota-blind counts (maximum flows) bound those with quotas: reaching them is enough.
    blind = dataclasses.replace(residual, groups=None)
    arcs, rounds, certified = outcome.arcs, 0, True
    if pricer is not None:
        locked = np.zeros(0, dtype=np.int64) if known_extra is None else known_extra
        arcs, rounds, certified = price_counts(arcs, blind, pricer, -1.0, 1, locked)
    min_load_units, matched = count_levels(arcs, blind)
    if not coverage:
        matched = outcome.matched_units  # only the minimum loads rank above the score
    highest = (outcome.min_load_units, outcome.matched_units) == (min_load_units, matched)
    return certified and highest, arcs, rounds


def _pricing_loop(
    arcs: WorkArcs,
    residual: Residual,
    cycle: int,
    coverage: bool,
    pricer: ArcPricer | None,
    max_rounds: int,
    threshold: float | None,
    known_extra: IntArray | None,
) -> FlowOutcome:
    """The pricing loop of :func:`solve_with_pricing` with bonuses worth ``cycle`` pairs."""
    started = time.perf_counter()
    min_loads = bool((residual.min_load > 0).any())
    quotas = residual.groups is not None
    n_nodes = residual.demand.size + residual.capacity.size + 1
    n_nodes += 0 if residual.groups is None else residual.groups.size
    extra = np.zeros(0, np.int64) if known_extra is None else known_extra
    refused = np.zeros(0, np.int64)  # returned by the pricer, not taken (below threshold)
    distance: IntArray | None = None
    last_levels: Levels | None = None
    rounds, certified = 0, pricer is None
    stats: dict[str, float] = {"flow_seconds": 0.0, "dual_seconds": 0.0, "price_seconds": 0.0}
    leftover: tuple[IntArray, IntArray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    previous: tuple[IntArray, IntArray, IntArray] | None = None  # keys, flows, distance
    while True:
        rounds += 1
        max_score = float(arcs.score.max(initial=0.0))
        levels = choose_levels(
            max_score, cycle, n_nodes, coverage=coverage, min_loads=min_loads, quotas=quotas
        )
        net = network_for(arcs, residual, levels)
        tick = time.perf_counter()
        keys = arcs.keys
        warm = None
        if previous is not None and levels == last_levels:
            # Same costs plus a few priced-in arcs: only what can change is solved.
            warm = reoptimise(net, keys, *previous)
        if warm is None:
            flows = net.solve()
        else:
            flows = warm[0]
            stats["reoptimised_rounds"] = stats.get("reoptimised_rounds", 0.0) + 1
            stats["reoptimised_free_arcs"] = stats.get("reoptimised_free_arcs", 0.0) + warm[2]
        stats["flow_seconds"] += time.perf_counter() - tick
        if pricer is None and not arcs.incumbent.any():
            break  # every allowed arc is present: the flow is optimal, no duals needed
        tick = time.perf_counter()
        distance = net.potentials(flows) if warm is None or warm[1] is None else warm[1]
        last_levels = levels
        previous = (keys, flows, distance)
        duals = duals_of(net, distance, residual, levels)
        stats["dual_seconds"] += time.perf_counter() - tick
        if pricer is None:
            break
        tick = time.perf_counter()
        mentee_price = (duals.mentee - levels.bonus) / levels.scale
        mentor_price = duals.mentor / levels.scale
        known = np.concatenate([arcs.keys, extra, refused])
        accept = None if threshold is None else _at_least(threshold)
        (mentee, mentor, score), more = price_new_pairs(
            pricer, (mentee_price, mentor_price), known, residual, arcs.n_mentors, accept
        )
        refused = np.concatenate([refused, more])  # refused for good: same residual, threshold
        stats["price_seconds"] += time.perf_counter() - tick
        stats["priced_arcs"] = stats.get("priced_arcs", 0.0) + mentee.size
        if mentee.size == 0:
            certified = True
            break
        if rounds >= max_rounds:
            # The last violators (each mentee's largest among them) widen the bound.
            value = levels.values(score) - duals.mentee[mentee] - duals.mentor[mentor]
            leftover = (mentee, value)
            break
        arcs = arcs.with_pairs(mentee, mentor, score)
    if arcs.incumbent.any() and distance is not None:
        flows = _keep_incumbents(net, flows, distance, arcs)
    chosen = np.flatnonzero(flows[: arcs.size] > 0)
    m = residual.capacity.size
    min_load_units = int(flows[arcs.size + residual.demand.size :][:m].sum())
    shortfall = net.shortfall(flows)
    total = float(arcs.score[chosen].sum())
    if pricer is None:
        bound = total
    else:
        total_int = int(np.rint(arcs.score[chosen] * levels.scale).astype(np.int64).sum())
        bound_int = upper_bound_int(
            arcs, residual, levels, duals, (chosen.size, min_load_units, shortfall), leftover
        )
        bound = total + (bound_int - total_int) / levels.scale
    stats["seconds"] = time.perf_counter() - started
    stats["scale"] = levels.scale
    return FlowOutcome(
        arcs, chosen, bound, certified, rounds, int(chosen.size), min_load_units, stats, shortfall
    )


def _at_least(threshold: float) -> Accept:
    """Accept the pairs scoring at least ``threshold`` (``fair``'s last level)."""

    def accept(mentee: IntArray, mentor: IntArray, score: FloatArray) -> BoolArray:
        return np.asarray(score >= threshold)

    return accept


def _keep_incumbents(
    net: FlowNetwork, flows: IntArray, distance: IntArray, arcs: WorkArcs
) -> IntArray:
    """Among optimal flows, one with the most incumbent pairs (see module docstring)."""
    reduced = net.reduced_costs(distance)
    full = reduced < 0
    free = reduced == 0
    fixed = np.where(full, net.caps, 0)
    supplies = net.supplies.copy()
    np.subtract.at(supplies, net.tails, fixed)
    np.add.at(supplies, net.heads, fixed)
    index = np.flatnonzero(free)
    is_incumbent = np.zeros(net.costs.size, dtype=bool)
    is_incumbent[: arcs.size] = arcs.incumbent
    cost = np.where(is_incumbent[index], -1, 0).astype(np.int64)
    extra = solve_min_cost_flow(net.tails[index], net.heads[index], net.caps[index], cost, supplies)
    result = fixed.copy()
    result[index] += extra
    return result
