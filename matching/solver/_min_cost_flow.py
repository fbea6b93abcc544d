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

from matching._pairs import ScoredPairs
from matching.solver._arcs import Accept, WorkArcs, price_new_pairs
from matching.solver._certificate import upper_bound_int
from matching.solver._counts import count_levels, price_counts
from matching.solver._levels import (
    Duals,
    Levels,
    choose_levels,
    duals_of,
    network_for,
    pairs_on_cycle,
)
from matching.solver._network import FlowNetwork, solve_min_cost_flow
from matching.solver._prepare import Residual
from matching.solver._problem import ArcPricer, BoolArray, IntArray
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
    """Bound on the chosen arcs' score less ``penalty`` (over all allowed pairs when
    ``certified``)."""
    certified: bool
    rounds: int
    matched_units: int
    min_load_units: int
    stats: dict[str, float] = field(default_factory=dict)
    shortfall: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per quota group, members left without a mentor beyond its allowance (a hard
    quota missed; 0 for soft ones)."""
    penalty: float = 0.0
    """Score given up to the soft quotas the flow misses."""


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
    extra = np.zeros(0, np.int64) if known_extra is None else known_extra
    loop = _Loop(residual, full, coverage, pricer, max_rounds, threshold, extra)
    if not (coverage or min_loads) or full <= QUICK_PAIRS:
        return _pricing_loop(arcs, loop)
    quick = _pricing_loop(arcs, dataclasses.replace(loop, cycle=QUICK_PAIRS))
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
        arcs, dataclasses.replace(loop, max_rounds=max(1, max_rounds - quick.rounds))
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


@dataclass(frozen=True)
class _Loop:
    """What a pricing loop is asked, the same in every round."""

    residual: Residual
    cycle: int
    """The bonuses are worth this many pairs (:func:`choose_levels`)."""
    coverage: bool
    pricer: ArcPricer | None
    max_rounds: int
    threshold: float | None
    """Only pairs scoring at least this may enter (``fair``'s last level)."""
    known_extra: IntArray
    """Keys never to add (locked pairs)."""

    @property
    def n_nodes(self) -> int:
        groups = self.residual.groups
        n = self.residual.demand.size + self.residual.capacity.size + 1
        return n + (0 if groups is None else groups.size)


@dataclass
class _Round:
    """One round's network, optimal flow and (when read) node potentials and duals."""

    levels: Levels
    net: FlowNetwork
    keys: IntArray
    flows: IntArray
    distance: IntArray | None = None
    duals: Duals | None = None


@dataclass
class _Progress:
    """What the loop carries from round to round."""

    started: float
    rounds: int = 0
    certified: bool = False
    refused: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Keys the pricer returned that were not taken (below the threshold): for good."""
    previous: _Round | None = None
    """The last round whose potentials were read: the next one may re-optimise from it."""
    leftover: tuple[IntArray, IntArray] = field(
        default_factory=lambda: (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )
    """The last violators (mentee, integer margin) when the rounds ran out."""
    stats: dict[str, float] = field(
        default_factory=lambda: {"flow_seconds": 0.0, "dual_seconds": 0.0, "price_seconds": 0.0}
    )


def _pricing_loop(arcs: WorkArcs, loop: _Loop) -> FlowOutcome:
    """The pricing loop of :func:`solve_with_pricing` with bonuses worth ``loop.cycle``
    pairs: solve, read the duals, price the missing pairs, add those that improve."""
    progress = _Progress(time.perf_counter(), certified=loop.pricer is None)
    while True:
        progress.rounds += 1
        current = _solve_round(arcs, loop, progress)
        if loop.pricer is None and not arcs.incumbent.any():
            break  # every allowed arc is present: the flow is optimal, no duals needed
        duals = _read_duals(current, loop, progress)
        if loop.pricer is None:
            break
        found = _price_round(arcs, loop, current.levels, duals, progress)
        if found.size == 0:
            progress.certified = True
            break
        if progress.rounds >= loop.max_rounds:
            # The last violators (each mentee's largest among them) widen the bound.
            value = current.levels.values(found.score)
            value -= duals.mentee[found.mentee] + duals.mentor[found.mentor]
            progress.leftover = (found.mentee, value)
            break
        arcs = arcs.with_pairs(found)
    return _outcome(arcs, loop, current, progress)


def _solve_round(arcs: WorkArcs, loop: _Loop, progress: _Progress) -> _Round:
    """This round's optimal flow: re-optimised from the previous round when the costs are
    the same plus a few priced-in arcs (only what can change is solved), else from scratch."""
    max_score = float(arcs.score.max(initial=0.0))
    residual = loop.residual
    levels = choose_levels(
        max_score,
        loop.cycle,
        loop.n_nodes,
        coverage=loop.coverage,
        min_loads=bool((residual.min_load > 0).any()),
        quotas=residual.groups is not None and residual.groups.any_hard,
        max_penalty=0.0 if residual.groups is None else residual.groups.max_penalty,
    )
    net = network_for(arcs, residual, levels)
    tick = time.perf_counter()
    keys = arcs.key
    previous, warm = progress.previous, None
    if previous is not None and levels == previous.levels:
        assert previous.distance is not None
        warm = reoptimise(net, keys, previous.keys, previous.flows, previous.distance)
    stats = progress.stats
    if warm is None:
        current = _Round(levels, net, keys, net.solve())
    else:
        current = _Round(levels, net, keys, warm[0], distance=warm[1])
        stats["reoptimised_rounds"] = stats.get("reoptimised_rounds", 0.0) + 1
        stats["reoptimised_free_arcs"] = stats.get("reoptimised_free_arcs", 0.0) + warm[2]
    stats["flow_seconds"] += time.perf_counter() - tick
    return current


def _read_duals(current: _Round, loop: _Loop, progress: _Progress) -> Duals:
    """The round's node potentials (from the re-optimisation when it proved them) and
    duals; the round becomes the one the next may re-optimise from."""
    tick = time.perf_counter()
    if current.distance is None:
        current.distance = current.net.potentials(current.flows)
    current.duals = duals_of(current.net, current.distance, loop.residual, current.levels)
    progress.previous = current
    progress.stats["dual_seconds"] += time.perf_counter() - tick
    return current.duals


def _price_round(
    arcs: WorkArcs, loop: _Loop, levels: Levels, duals: Duals, progress: _Progress
) -> ScoredPairs:
    """The new pairs that beat the duals (in score units) and that the loop takes."""
    assert loop.pricer is not None
    tick = time.perf_counter()
    mentee_price = (duals.mentee - levels.bonus) / levels.scale
    mentor_price = duals.mentor / levels.scale
    known = np.concatenate([arcs.key, loop.known_extra, progress.refused])
    accept = None if loop.threshold is None else _at_least(loop.threshold)
    found, more = price_new_pairs(
        loop.pricer, (mentee_price, mentor_price), known, loop.residual, arcs.n_mentors, accept
    )
    progress.refused = np.concatenate([progress.refused, more])  # same residual, threshold
    progress.stats["price_seconds"] += time.perf_counter() - tick
    progress.stats["priced_arcs"] = progress.stats.get("priced_arcs", 0.0) + found.size
    return found


def _outcome(arcs: WorkArcs, loop: _Loop, last: _Round, progress: _Progress) -> FlowOutcome:
    """The chosen arcs of the last round (the most incumbents among optimal flows), its
    levels and the bound over all allowed pairs."""
    flows = last.flows
    if arcs.incumbent.any() and last.distance is not None:
        flows = _keep_incumbents(last.net, flows, last.distance, arcs)
    chosen = np.flatnonzero(flows[: arcs.size] > 0)
    residual, levels = loop.residual, last.levels
    m = residual.capacity.size
    min_load_units = int(flows[arcs.size + residual.demand.size :][:m].sum())
    shortfall = last.net.shortfall(flows)
    missing = last.net.missing(flows)
    value = float(arcs.score[chosen].sum())
    penalty = 0.0
    if residual.groups is not None:
        penalty = float(missing @ residual.groups.penalty)
        value -= penalty
    bound = value
    if loop.pricer is not None:
        assert last.duals is not None
        # The bound is on the integer score less the soft penalties: compare like with like.
        value_int = int(np.rint(arcs.score[chosen] * levels.scale).astype(np.int64).sum())
        if residual.groups is not None:
            value_int -= int(missing @ levels.penalties(residual.groups.penalty))
        reached = (int(chosen.size), min_load_units, shortfall)
        bound_int = upper_bound_int(arcs, residual, levels, last.duals, reached, progress.leftover)
        bound = value + (bound_int - value_int) / levels.scale
    stats = progress.stats
    stats["seconds"] = time.perf_counter() - progress.started
    stats["scale"] = levels.scale
    return FlowOutcome(
        arcs,
        chosen,
        bound,
        progress.certified,
        progress.rounds,
        int(chosen.size),
        min_load_units,
        stats,
        shortfall,
        penalty,
    )


def _at_least(threshold: float) -> Accept:
    """Accept the pairs scoring at least ``threshold`` (``fair``'s last level)."""

    def accept(pairs: ScoredPairs) -> BoolArray:
        return np.asarray(pairs.score >= threshold)

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
