r"""The ``fair`` objective on the flow: highest lowest score at maximum coverage, then total.

Levels, in priority order: quotas met, minimum-load units, matched units, the threshold
``t`` (the lowest score among matched pairs), then the total score. ``t`` is found by
bisection over the distinct arc scores: the *count probe* of :mod:`._counts` on the arcs
scoring ``>= t`` must reach the same (shortfall, min-load, matched) levels as on all arcs;
the levels are monotone in ``t``.
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

For 1 and 2 the prices are :func:`._counts.price_counts`'s.
"""

from __future__ import annotations

import numpy as np

from matching._arrays import rank_in_runs
from matching.solver._arcs import WorkArcs
from matching.solver._counts import FairLevels, fair_levels, most_possible_levels, price_counts
from matching.solver._min_cost_flow import FlowOutcome, solve_with_pricing
from matching.solver._prepare import Residual
from matching.solver._problem import ArcPricer, IntArray


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
        arcs, used, done = price_counts(arcs, residual, pricer, -1.0, max_rounds, locked_keys)
        rounds, certified = rounds + used, certified and done
        target = fair_levels(arcs, residual)
    threshold: float | None = None
    if target[2] > 0 and target[0] == 0:  # a quota short: the final solve reports it
        while True:  # level 2: the threshold over all allowed pairs
            t = _best_threshold(arcs, residual, target)
            if pricer is None:
                break
            above = arcs.subset(arcs.score > t)
            grown, used, done = price_counts(above, residual, pricer, t, 1, locked_keys)
            rounds += used
            added = grown.size - above.size
            if added == 0:
                break
            fresh = grown.priced & ~grown.among(arcs.key, arcs.n_mentors)
            arcs = arcs.with_pairs(grown.take(fresh))
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
