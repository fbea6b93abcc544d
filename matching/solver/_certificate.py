r"""The optimality certificate of a flow: a bound on the score over *all* allowed pairs.

**Duals.** From Bellman–Ford distances ``d`` on the optimal residual graph (integer,
exact) we read, in integer value units, ``u_i = d_i - d_T`` (mentee) and ``w_j = d_T - d_j``
(mentor): every unused arc has ``value_ij <= u_i + w_j``. For any ``u >= 0``, any ``w``
and any feasible ``x`` over *all* allowed pairs (weak duality, each pair of capacity 1)::

    value(x) <= sum_i demand_i u_i
                + sum_j [min_load_j (w_j + C)^+ + (capacity_j - min_load_j) w_j^+]
                + sum_i (sum of the demand_i largest positive margins of mentee i)

where a pair's margin is ``value_ij - u_i - w_j``. We use ``u^+`` and raise ``w_j`` to 0
(or ``-C`` for a mentor with a minimum load), which keeps the mentor terms and only
tightens the prices. With quota groups, a group is priced like a mentor without minimum
load (``w_G = d_T - d_G``, term ``allowance_g w_G^+``) and a member keeps her price ``u_i``
even when negative (her first unit has no free bypass); her other ways out enter her
margins like pairs: the group arc (value 0), the shortfall arc (value ``-P`` for a hard
quota, minus the scaled penalty for a soft one) and her ``demand - 1`` bypass units
(value 0). At an optimal flow with no violating pair the
bound equals the optimum (strong duality of the flow LP, whose matrix is totally
unimodular). The bound on *score* at the solution's levels subtracts ``B x matched + C x
min-load units`` and adds ``P x shortfall units`` (hard quotas): any solution with the
same levels is bounded by it. Soft quotas' penalties stay in: the bound is on the score
less them, the objective's score level.
"""

from __future__ import annotations

import numpy as np

from matching._arrays import sum_of_largest
from matching.solver._arcs import WorkArcs
from matching.solver._levels import Duals, Levels
from matching.solver._prepare import Residual
from matching.solver._problem import IntArray


def upper_bound_int(
    arcs: WorkArcs,
    residual: Residual,
    levels: Levels,
    duals: Duals,
    reached: tuple[int, int, IntArray],
    leftover: tuple[IntArray, IntArray],
) -> int:
    """Lagrangian bound on the free arcs' integer score at the solution's levels
    ``reached``: (matched units, min-load units, shortfall per quota group)."""
    matched, min_load_units, shortfall = reached
    u = np.where(residual.demand > 0, duals.mentee, 0)
    w = np.where(residual.capacity > 0, duals.mentor, 0)
    c, ml = residual.capacity, residual.min_load
    # Exact integer arithmetic (Python ints): the bonus terms are large.
    value = _dot(residual.demand, u) + _dot(ml, np.maximum(w + levels.min_load_bonus, 0))
    value += _dot(c - ml, np.maximum(w, 0))
    value -= levels.bonus * matched + levels.min_load_bonus * min_load_units
    value += levels.shortfall_cost * int(shortfall.sum())
    # Each pair has capacity 1: a pair adds its positive margin value - u - w, and a
    # mentee at most her ``demand`` largest ones (present arcs and leftover violators).
    margin = levels.values(arcs.score) - u[arcs.mentee] - w[arcs.mentor]
    mentee = np.concatenate([arcs.mentee, leftover[0]])
    margin = np.concatenate([margin, leftover[1]])
    if residual.groups is not None:
        value += _dot(residual.groups.allowance, np.maximum(duals.group, 0))
        extra_mentee, extra_margin = _member_margins(residual, levels, duals.group, u)
        mentee = np.concatenate([mentee, extra_mentee])
        margin = np.concatenate([margin, extra_margin])
    positive = margin > 0
    return value + sum_of_largest(mentee[positive], margin[positive], residual.demand)


def _member_margins(
    residual: Residual, levels: Levels, group_price: IntArray, u: IntArray
) -> tuple[IntArray, IntArray]:
    """The margins of quota members' other ways out, one entry per unit of capacity: the
    group's allowance (value 0, price ``w_G``), the shortfall (value minus the group's
    shortfall cost) and each of the ``demand - 1`` bypass units (value 0). A member's price may be
    negative (:func:`duals_of`), and then these may be positive."""
    assert residual.groups is not None
    members = residual.groups.members
    own = u[members]
    bypass = residual.demand[members] - 1
    mentee = np.concatenate([members, members, np.repeat(members, bypass)])
    margin = np.concatenate(
        [
            -own - group_price[residual.groups.member_group[members]],
            -levels.shortfall_costs(residual.groups)[residual.groups.member_group[members]] - own,
            np.repeat(-own, bypass),
        ]
    )
    return mentee, margin


def _dot(a: IntArray, b: IntArray) -> int:
    """Exact integer dot product (no int64 overflow)."""
    return sum(x * y for x, y in zip(a.tolist(), b.tolist(), strict=True) if x and y)
