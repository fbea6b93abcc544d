r"""Group quotas enforced by the min-cost flow itself, when no mentee is in two groups.

A quota "at least ``q`` of the mentees in ``g`` get a mentor" caps how many members may
get *none*. In the flow network (:mod:`._network`) a member's first unit cannot bypass
to the sink: it reaches a mentor, or passes through her group's node, whose arc to the
sink carries at most ``|g| - q`` units (the *allowance*), or pays the *shortfall* cost,
which outweighs every other level of the objective. A flow then meets every quota
whenever some assignment does, and the certificate of :mod:`._min_cost_flow` covers the
quotas as it covers capacities: the result is optimal over every allowed pair, quotas
included, in one pricing loop — where CP-SAT finds no solution past a few thousand
mentees. A shortfall left in a certified optimum proves the quotas cannot all be met.

This needs each member to be in one group (her first unit has one node to pass). Quotas
whose groups overlap are left to Lagrangian flows when one quota overlaps the others
(:mod:`._lagrangian`, which still has the flow enforce the others), else to CP-SAT
(:mod:`._quotas`). A member matched by a locked pair counts as matched and leaves the
group; ``q`` falls by one.

A soft quota has the same group node; its shortfall arcs cost its penalty at the score
level instead (:mod:`._levels`), so the flow leaves a member short only when that gains
more score than the penalty, and the certificate covers the penalised objective. Members
a soft quota asks for beyond those who can still be matched are a fixed penalty, not an
error.
"""

from __future__ import annotations

import numpy as np

from matching.errors import QuotaError
from matching.solver._network import QuotaGroups
from matching.solver._prepare import Residual
from matching.solver._problem import AssignmentProblem, IntArray, SolverConfig

FLOW_OBJECTIVES = ("total", "coverage", "fair")
"""Objectives whose flow takes quota groups (``fair``: its threshold search then probes
with min-cost flows on the quota network, :mod:`._fair`)."""


def flow_enforces_quotas(problem: AssignmentProblem, config: SolverConfig) -> bool:
    """Whether the flow can enforce ``problem``'s quotas: no mentee in two of them, and an
    objective whose flow takes quota groups."""
    if config.objective not in FLOW_OBJECTIVES:
        return False
    return overlapping_quotas(problem) is None


def overlapping_quotas(problem: AssignmentProblem) -> tuple[str, str] | None:
    """Names of two quotas sharing a mentee (the first such pair), or None."""
    owner = np.full(problem.n_mentees, -1, dtype=np.int64)
    for index, quota in enumerate(problem.quotas):
        members = np.unique(np.asarray(quota.mentees, dtype=np.int64))
        taken = owner[members]
        if (taken >= 0).any():
            other = int(taken[taken >= 0][0])
            return problem.quotas[other].name, quota.name
        owner[members] = index
    return None


def quota_groups(problem: AssignmentProblem, residual: Residual) -> QuotaGroups:
    """The quotas as the network's groups (see module docstring).

    Raises
    ------
    RuleError
        A quota needs more members matched than can be: members wanting no mentor at
        all, or too few of them (named in the message).
    """
    n = problem.n_mentees
    locked_mentees = problem.arcs.mentee[residual.locked]
    matched_already = np.zeros(n, dtype=bool)
    matched_already[locked_mentees] = True
    member_group = np.full(n, -1, dtype=np.int64)
    allowance: list[int] = []
    required: list[int] = []
    names: list[str] = []
    hard: list[bool] = []
    penalty: list[float] = []
    impossible: list[str] = []
    for quota in problem.quotas:
        members = np.unique(np.asarray(quota.mentees, dtype=np.int64))
        done = int(matched_already[members].sum())
        open_members = members[~matched_already[members] & (residual.demand[members] > 0)]
        needed = int(quota.min_matched) - done
        if needed <= 0:
            continue  # the locked pairs meet it already
        if needed > open_members.size:
            if quota.hard:
                impossible.append(quota.name)
                continue
            needed = int(open_members.size)  # the rest is short whatever the flow does
        member_group[open_members] = len(names)
        allowance.append(int(open_members.size) - needed)
        required.append(needed)
        names.append(quota.name)
        hard.append(quota.hard)
        penalty.append(0.0 if quota.hard else float(quota.penalty))
    if impossible:
        listed = ", ".join(repr(name) for name in impossible)
        raise QuotaError(
            f"quota(s) cannot be met: {listed} (more members must get a mentor than "
            "there are members still wanting one)"
        )
    return QuotaGroups(
        member_group=member_group,
        allowance=np.asarray(allowance, dtype=np.int64),
        required=np.asarray(required, dtype=np.int64),
        names=tuple(names),
        hard=np.asarray(hard, dtype=bool),
        penalty=np.asarray(penalty, dtype=np.float64),
    )


def shortfall_error(groups: QuotaGroups, shortfall: IntArray, over: str) -> QuotaError:
    """The error for quotas a proven optimum still misses (``shortfall`` per group: the
    fewest members short in all, shared out as that optimum does)."""
    missed = np.flatnonzero(shortfall > 0).tolist()
    listed = ", ".join(
        f"{groups.names[g]!r} (needs {int(groups.required[g])} more members matched, "
        f"{int(shortfall[g])} short)"
        for g in missed
    )
    cannot = "cannot all be met" if len(missed) > 1 else "cannot be met"
    return QuotaError(f"quota(s) {cannot} {over}: {listed}")
