r"""The ``fair`` objective on the flow: highest lowest score at maximum coverage, then total.

Levels, in priority order: quotas met, minimum-load units, matched units, the threshold
``t`` (the lowest score among matched pairs), then the total score. ``t`` is found by
bisection over the distinct arc scores: the *count probe* (a min-cost flow whose arcs are
all worth 1, with the min-load bonus and, for quotas on groups that share no mentee, the
quota network of :mod:`._quota_flow`) on the arcs scoring ``>= t`` must reach the same
(shortfall, min-load, matched) levels as on all arcs; the levels are monotone in ``t``.
Without quotas the bisection reads the levels from two maximum flows
(:func:`count_levels`), about eight times faster than the min-cost probe at 30,000 x 3,000;
maximum flows know nothing of quota groups, so with quotas each step is the probe.
Locked pairs are matched anyway, so the threshold is ``min(t, lowest locked score)``: a
lower threshold would not raise the lowest score and only the total is left to gain. The
final solve is ``coverage`` on the arcs scoring at least the threshold.

**With a pricer** the three levels are certified over all allowed pairs in turn:

1. the count probe's duals (integers ``u``, ``w``; ``u_i >= 0`` but for quota members)
   price pairs of value 1: a pair can raise the levels only if ``u_i + w_j < 1``. A
   shortfall left once none can proves the quotas unmeetable: the final solve reports it;
2. once ``t`` is found, the count probe on the arcs scoring ``> t`` falls short of the
   target levels; it stays so over all pairs unless a pair with score ``> t`` and
   ``u_i + w_j < 1`` exists. Found pairs are added and ``t`` recomputed (it only rises);
3. ``coverage`` pricing on the arcs at the threshold (quotas enforced); pairs below it
   never matter.

For 1 and 2 the pricer gets prices ``t + lam u_i`` and ``lam w_j`` with
``lam = 4 (max score + 1)``: if ``u_i + w_j <= 0`` the test ``score > price`` reduces to
``score > t`` or weaker (no violator is missed); if ``u_i + w_j >= 1`` it needs a score above
``t + lam`` (none); returned pairs are re-checked exactly.
"""

from __future__ import annotations

import numpy as np

from matching._arrays import rank_in_runs
from matching.solver._arcs import Accept, WorkArcs, price_new_pairs
from matching.solver._min_cost_flow import (
    Duals,
    FlowOutcome,
    Levels,
    choose_levels,
    duals_of,
    network_for,
    pairs_on_cycle,
    solve_with_pricing,
)
from matching.solver._network import FlowNetwork, maximum_flow
from matching.solver._prepare import Residual
from matching.solver._problem import ArcPricer, BoolArray, FloatArray, IntArray

FairLevels = tuple[int, int, int]
"""(quota shortfall, min-load units, matched units) of the count probe: the levels above
the threshold, compared for equality only."""


def solve_fair(
    arcs: WorkArcs,
    residual: Residual,
    *,
    pricer: ArcPricer | None,
    max_rounds: int,
    locked_scores: np.ndarray,
    locked_keys: IntArray,
) -> FlowOutcome:
    """Solve ``fair`` on the flow (see module docstring); certified when a pricer is given."""
    rounds, certified = 0, True
    target = fair_levels(arcs, residual)
    if pricer is not None and target != most_possible_levels(residual):
        # Level 1: the counts over all allowed pairs (nothing to price when unbeatable).
        arcs, used, done = _price_counts(arcs, residual, pricer, -1.0, max_rounds, locked_keys)
        rounds, certified = rounds + used, certified and done
        target = fair_levels(arcs, residual)
    threshold: float | None = None
    if target[2] > 0 and target[0] == 0:  # a quota short: the final solve reports it
        while True:  # level 2: the threshold over all allowed pairs
            t = _best_threshold(arcs, residual, target)
            if pricer is None:
                break
            above = arcs.subset(arcs.score > t)
            grown, used, done = _price_counts(above, residual, pricer, t, 1, locked_keys)
            rounds += used
            added = grown.size - above.size
            if added == 0:
                break
            fresh = grown.subset(grown.priced & ~np.isin(grown.keys, arcs.keys))
            arcs = arcs.with_pairs(fresh.mentee, fresh.mentor, fresh.score)
            if rounds >= max_rounds:
                certified = False
                t = _best_threshold(arcs, residual, target)
                break
        threshold = t if locked_scores.size == 0 else min(t, float(locked_scores.min()))
        arcs = arcs.at_least(threshold)
    outcome = solve_with_pricing(
        arcs,
        residual,
        coverage=True,
        pricer=pricer,
        max_rounds=max(1, max_rounds - rounds),
        threshold=threshold,
        known_extra=locked_keys,
    )
    outcome.rounds += rounds
    outcome.certified = outcome.certified and certified
    if threshold is not None:
        outcome.stats["threshold"] = threshold
    return outcome


def _probe(arcs: WorkArcs, residual: Residual) -> tuple[FairLevels, Duals, int]:
    """The count levels with every arc worth 1 (quota groups enforced when the residual
    has them), the probe's duals and its per-pair bonus."""
    net, flows, levels, counts = _probe_flow(arcs, residual)
    duals = duals_of(net, net.potentials(flows), residual, levels)
    return counts, duals, levels.bonus


def _probe_flow(
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
        quotas=residual.groups is not None,
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
    return _probe_flow(arcs, residual)[3]


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


def _count_prices(arcs: WorkArcs, residual: Residual) -> tuple[IntArray, IntArray, int]:
    """Integer prices ``u`` (mentees), ``w`` (mentors) of the count levels, and the slack
    below which ``u_i + w_j`` lets a new pair raise them.

    Without minimum loads the count is a maximum flow. With ``S`` the source side of a
    minimum cut, ``u_i = [i not in S]`` and ``w_j = [j in S]``: a new pair crosses the cut,
    and so can raise the flow, only if ``u_i + w_j < 1``; if none does, the same cut bounds
    every flow over all pairs. With minimum loads or quota groups the levels are
    lexicographic: the min-cost probe's prices, with its bonus as the slack.
    """
    if residual.min_load.any() or residual.groups is not None:
        _, duals, bonus = _probe(arcs, residual)
        return duals.mentee, duals.mentor, bonus
    n, m = residual.demand.size, residual.capacity.size
    _, source_side = _most_units(arcs, residual, residual.capacity)
    reached = np.zeros(n + m + 2, dtype=bool)
    reached[source_side] = True
    return (~reached[:n]).astype(np.int64), reached[n : n + m].astype(np.int64), 1


def _best_threshold(arcs: WorkArcs, residual: Residual, target: FairLevels) -> float:
    """Largest distinct arc score ``t`` whose arcs ``>= t`` still reach ``target``.

    The search starts at :func:`_threshold_ceiling`, which is often the answer itself (the
    mentee whose best pair is the worst sets the lowest score), then steps down in
    doubling strides until the target is reached and bisects what is left.
    """
    values = np.unique(arcs.score)

    def reaches(index: int) -> bool:
        return fair_levels(arcs.at_least(float(values[index])), residual) == target

    lo = 0  # values[lo] always reaches the target (all arcs)
    hi = int(np.searchsorted(values, _threshold_ceiling(arcs, residual, target), "right")) - 1
    stride = 1
    while lo < hi:  # gallop down from the ceiling
        probe = max(lo + 1, hi - stride + 1)
        if reaches(probe):
            lo = probe
            break
        hi, stride = probe - 1, 2 * stride
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if reaches(mid):
            lo = mid
        else:
            hi = mid - 1
    return float(values[lo])


def _threshold_ceiling(arcs: WorkArcs, residual: Residual, target: FairLevels) -> float:
    """An upper bound on the threshold: when the target uses every mentee's demand (every
    mentor's seats), each mentee (mentor) keeps that many arcs ``>= t``, so ``t`` is at most
    the lowest, over mentees (mentors), of the demand-th (capacity-th) best arc score."""
    ceiling = float(arcs.score.max(initial=0.0))
    matched = target[2]
    if matched == int(residual.demand.sum()):
        ceiling = min(ceiling, _lowest_kth_best(arcs.mentee, arcs.score, residual.demand))
    if matched == int(residual.capacity.sum()):
        ceiling = min(ceiling, _lowest_kth_best(arcs.mentor, arcs.score, residual.capacity))
    return ceiling


def _lowest_kth_best(group: IntArray, score: np.ndarray, k: IntArray) -> float:
    """Lowest over groups with ``k > 0`` of the group's ``k``-th best score (+inf, no
    bound, when a group has fewer than ``k`` arcs)."""
    order = np.lexsort((-score, group))
    group, score = group[order], score[order]
    kth = rank_in_runs(group) == k[group] - 1
    wanting = np.flatnonzero(k > 0)
    if np.unique(group[kth]).size < wanting.size:
        return float("inf")
    return float(score[kth].min(initial=float("inf")))


def _raising_counts(
    above: float, mentee_dual: IntArray, mentor_dual: IntArray, bonus: int
) -> Accept:
    """Accept the pairs scoring ``> above`` whose count slack is below ``bonus``."""

    def accept(mentee: IntArray, mentor: IntArray, score: FloatArray) -> BoolArray:
        slack = mentee_dual[mentee] + mentor_dual[mentor]
        return np.asarray((score > above) & (slack < bonus))

    return accept


def _price_counts(
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
        mentee_dual, mentor_dual, bonus = _count_prices(arcs, residual)
        lam = 4.0 * (float(arcs.score.max(initial=0.0)) + 1.0)
        prices = (
            (above + lam * mentee_dual).astype(np.float64),
            (lam * mentor_dual).astype(np.float64),
        )
        accept = _raising_counts(above, mentee_dual, mentor_dual, bonus)
        known = np.concatenate([arcs.keys, locked_keys])
        # Refusals hold for this round's duals only: each round asks afresh.
        (mentee, mentor, score), _ = price_new_pairs(
            pricer, prices, known, residual, arcs.n_mentors, accept
        )
        if mentee.size == 0:
            return arcs, rounds, True
        arcs = arcs.with_pairs(mentee, mentor, score)
        if rounds >= max_rounds:
            return arcs, rounds, False
