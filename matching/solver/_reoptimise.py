r"""Re-optimising a solved flow after arcs are added, by reduced-cost fixing.

A pricing round adds a few arcs to a network already solved to optimality. Solving the
whole network again costs as much as the first solve, whatever the number of new arcs;
this module solves only the part that can change.

**Why it is exact.** Let ``x`` be the optimal flow of the previous network and ``d``
node potentials proving it (every residual arc has reduced cost
``rc = cost + d(tail) - d(head) >= 0``), so complementary slackness holds on every old
arc: ``rc > 0 => x = 0`` and ``rc < 0 => x = cap``. For any flow ``y`` with the same
supplies on the new network, ``cost(y) - cost(x) = sum_a rc_a (y_a - x_a)``. Each old
arc's term is ``>= 0`` and, for integral flows, ``>= |rc_a|`` when ``y_a != x_a``; a new
arc (``x_a = 0``) with ``rc_a >= 0`` likewise adds ``rc_a y_a >= 0``; only new arcs with
``rc_a < 0`` can lower the cost, by at most their *gain* ``G`` (below). An optimal ``y``
costs no more than ``x``, so its non-negative terms sum to at most ``G``: **every arc
with** ``|rc_a| > G`` **keeps its flow in every integral optimum**. Fixing those arcs and
solving the rest (costs ``rc``, the same objective up to a constant) therefore gives an
optimum of the whole new network.

``G`` is the smaller of two sums of the new arcs' gains ``-rc_a``: per mentee, her
``demand`` largest, and per mentor, his ``capacity`` largest (a flow can use no more).
A new arc gaining more than ``G`` on its own cannot carry flow (a mentor without a
seat, say) and is fixed empty.

**What is solved.** ``G`` is a worst case; an improving cycle through one new arc uses
only arcs of reduced cost below that arc's gain, so the free part starts as the arcs
with ``|rc|`` at most the largest gain. After solving it, the potentials of its residual
graph (added to ``d``) are checked on the fixed arcs: where they support every fixed
flow, the whole flow is optimal and those potentials prove it; otherwise the failing
arcs are freed and the part solved again. Later rounds typically free a small share of
the arcs (``benchmarks/README.md``).
"""

from __future__ import annotations

import numpy as np

from matching._arrays import sum_of_largest
from matching.solver._network import (
    INT64_HEADROOM,
    FlowNetwork,
    residual_distances,
    solve_min_cost_flow,
)
from matching.solver._problem import BoolArray, IntArray

MAX_FREE_SHARE = 0.75
"""Above this share of free arcs, the full network is solved instead (as fast, simpler)."""

MAX_WIDENINGS = 8
"""Free sets tried before giving up on re-optimising (each adds the arcs that failed)."""


def reoptimise(
    net: FlowNetwork,
    keys: IntArray,
    previous_keys: IntArray,
    previous_flows: IntArray,
    distance: IntArray,
    *,
    max_free_share: float = MAX_FREE_SHARE,
) -> tuple[IntArray, IntArray | None, int] | None:
    """An optimal flow of ``net``, from the optimum of the same network without some arcs.

    Starts with the arcs an improving cycle through one new arc could use (reduced cost
    at most the largest gain) and widens the free set while the sub-problem's potentials
    do not extend to the fixed arcs; never frees an arc the gain bound fixes.

    Parameters
    ----------
    net
        The new network: the previous one (same supplies, capacities and costs) plus
        real arcs whose keys are not in ``previous_keys``.
    keys
        Sorted keys of ``net``'s real arcs (its real arcs are in this order).
    previous_keys
        Sorted keys of the previous network's real arcs, all in ``keys``.
    previous_flows
        Optimal flows of the previous network, every arc (real arcs first, same layout).
    distance
        Potentials proving ``previous_flows`` optimal (:meth:`FlowNetwork.potentials`).
    max_free_share
        Give up (return None) when more than this share of the arcs would be free.

    Returns
    -------
    (flows, distance, free_arcs) or None
        Flows on every arc of ``net``, potentials proving them optimal (``None`` when
        those of the re-optimised part do not extend to the rest: compute them with
        :meth:`FlowNetwork.potentials`) and the number of arcs left free; ``None``
        when too few arcs can be fixed for this to pay (solve ``net`` instead).
    """
    n_real = net.n_real
    flows = np.zeros(net.costs.size, dtype=np.int64)
    where = np.searchsorted(keys, previous_keys)
    flows[where] = previous_flows[: previous_keys.size]
    flows[n_real:] = previous_flows[previous_keys.size :]
    is_new = np.ones(n_real, dtype=bool)
    is_new[where] = False
    reduced = net.reduced_costs(distance)
    new = np.flatnonzero(is_new)
    gaining = new[reduced[new] < 0]
    if gaining.size == 0:
        return flows, distance, 0  # no new arc improves: the old flow is still optimal
    gain = -reduced[gaining]
    bound = _gain_bound(net, gaining, gain)
    if (bound + 1) * (net.n_nodes + 1) >= INT64_HEADROOM:
        return None  # potentials of nodes nothing reached: no useful bound
    # A new arc gaining more than the bound cannot carry flow (its mentor has no seat, say).
    gaining = gaining[gain <= bound]
    magnitude = np.abs(reduced)
    may_change = magnitude <= bound
    may_change[gaining] = True
    largest_gain = -int(reduced[gaining].min(initial=0))
    free: BoolArray = magnitude <= largest_gain
    free[gaining] = True
    for _ in range(MAX_WIDENINGS):
        n_free = int(np.count_nonzero(free))
        if n_free > max_free_share * free.size:
            return None
        result = _solve_free(net, flows, reduced, free)
        shift, failed = _unsupported(net, result, reduced, free)
        if not failed.any():
            return result, distance + shift, n_free
        if not (failed & may_change).any():
            # Optimal (the arcs left keep their flow in every optimum), but these
            # potentials do not prove it: the caller computes potentials afresh.
            return result, None, n_free
        free |= failed & may_change
    return None


def _solve_free(net: FlowNetwork, flows: IntArray, reduced: IntArray, free: BoolArray) -> IntArray:
    """``flows`` with the arcs in ``free`` re-optimised (costs ``reduced``), the rest fixed."""
    fixed = np.where(free, 0, flows)
    size = net.n_nodes
    supplies = net.supplies.copy()
    # Fixed flows leave their tails and reach their heads: the free part moves the rest.
    supplies -= np.bincount(net.tails, weights=fixed, minlength=size).astype(np.int64)
    supplies += np.bincount(net.heads, weights=fixed, minlength=size).astype(np.int64)
    index = np.flatnonzero(free)
    fixed[index] = solve_min_cost_flow(
        net.tails[index], net.heads[index], net.caps[index], reduced[index], supplies
    )
    return fixed


def _unsupported(
    net: FlowNetwork, flows: IntArray, reduced: IntArray, free: BoolArray
) -> tuple[IntArray, BoolArray]:
    """Potentials of the free part and the fixed arcs whose flow they do not support
    (none: the flow is optimal and the old potentials plus these prove it).

    Potentials of the free part's optimal residual graph, added to the old ones, satisfy
    every free arc; where they also satisfy every fixed arc (an empty arc of reduced cost
    >= 0, a full one <= 0), the whole flow is optimal.
    """
    index = np.flatnonzero(free)
    shift = residual_distances(
        net.tails[index],
        net.heads[index],
        net.caps[index],
        reduced[index],
        flows[index],
        net.n_nodes,
    )
    after = reduced + shift[net.tails] - shift[net.heads]
    wrong = ((flows < net.caps) & (after < 0)) | ((flows > 0) & (after > 0))
    return shift, wrong & ~free


def _gain_bound(net: FlowNetwork, arcs: IntArray, gain: IntArray) -> int:
    """How much the new arcs ``arcs`` (real arcs with positive ``gain``) can lower the cost:
    the smaller of the sums of each mentee's ``demand`` and each mentor's ``capacity``
    largest gains."""
    if arcs.size == 0:
        return 0
    mentee = net.tails[arcs]
    mentor = net.heads[arcs] - net.n_mentees
    by_mentee = sum_of_largest(mentee, gain, net.supplies[: net.n_mentees])
    seats = net.mentor_capacity()
    by_mentor = sum_of_largest(mentor, gain, seats)
    return min(by_mentee, by_mentor)
