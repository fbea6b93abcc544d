"""Group quotas: enforced by the flow when it can, else Lagrangian flows or CP-SAT.

Quotas on groups that share no mentee, under every flow objective (``total``,
``coverage``, ``fair``), are enforced by the min-cost flow itself (:mod:`._quota_flow`):
certified pricing, exact over every allowed pair at 30,000 mentees and more, and an
unmeetable quota is proven so.

When one quota overlaps the others (which share no mentee), :mod:`._lagrangian` relaxes
it by a bonus on its group's pairs and lets the flow enforce the others; its result is
kept when proven optimal, or when the cohort is too large for CP-SAT.

The rest (groups overlapping in more ways, minimum loads or ``fair`` beside overlapping
quotas) go first to the flow without them: adding constraints never raises an optimum,
so when the optimum without quotas (certified over every allowed pair) already meets
them, it is the optimum with them — every level of the objective included, the bound and
the gap unchanged. That is the common case (quotas protect a group that is matched
anyway) and it takes a flow's time instead of a CP-SAT search. Otherwise (or when
``method="cp_sat"`` is asked for) CP-SAT decides, and
its proof covers the arcs it is given. With a pricer (candidates pruned from the allowed
pairs) it is therefore given *every* allowed pair — the pricer returns them all at
prices no score is below — as long as the cohort has at most :data:`CP_SAT_MAX_ARCS`
mentee x mentor pairs (checked before asking, so memory stays bounded). Beyond that,
CP-SAT gets the candidates and the pairs the flow priced in; its result is then only
``feasible``, and its bound is replaced by one that holds over every allowed pair: the
highest total score of any assignment, quotas and minimum loads aside (a certified
``total`` flow). On the candidates alone, its proof, its bound and an "impossible
quota" error would hold for the candidates only.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from matching._pairs import ScoredPairs, is_in
from matching.errors import RuleError
from matching.solver import _lagrangian as lagrangian
from matching.solver._arcs import new_pairs
from matching.solver._cp_sat import solve_cp_sat
from matching.solver._prepare import prepare
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    SolverConfig,
)
from matching.solver._quota_flow import flow_enforces_quotas, overlapping_quotas
from matching.solver._solution import relative_gap
from matching.solver._solve_flow import solve_flow

CP_SAT_MAX_ARCS = 50_000
"""Most pairs handed to CP-SAT (one Boolean each); past this, building the model alone
takes seconds and the search rarely proves anything within the time limit."""

ANY_PAIR = -1e30
"""A price every score exceeds (finite: pricers do arithmetic on prices, in float32 too)."""


def solve_with_quotas(
    problem: AssignmentProblem, config: SolverConfig, pricer: ArcPricer | None
) -> AssignmentSolution:
    """Solve ``problem`` with its quotas (see module docstring); ``method`` is ``auto``
    or ``min_cost_flow`` (which refuses what the flow cannot enforce).

    Raises
    ------
    RuleError
        The quotas cannot all be met; or ``min_cost_flow`` was asked for quotas it cannot
        enforce.
    """
    if flow_enforces_quotas(problem, config):
        solution = solve_flow(problem, config, pricer, with_quotas=True)
        solution.stats["quota_groups"] = float(len(problem.quotas))
        return solution
    if config.method == "min_cost_flow":
        raise RuleError(_why_not_the_flow(problem))
    small = problem.n_mentees * problem.n_mentors <= CP_SAT_MAX_ARCS
    relaxable = lagrangian.split(problem, config)
    if relaxable is not None:
        found = lagrangian.solve_with_bonus(problem, config, pricer, *relaxable)
        if found is not None and (found.status == "optimal" or not small):
            return found
    relaxed = solve_flow(problem, config, pricer)
    if quotas_met(problem, relaxed):
        relaxed.stats["quotas_met_without_them"] = 1.0
        return relaxed
    return solve_cp_sat_over_all_pairs(problem, config, pricer, relaxed.priced)


def solve_cp_sat_over_all_pairs(
    problem: AssignmentProblem,
    config: SolverConfig,
    pricer: ArcPricer | None,
    known: ScoredPairs | None = None,
) -> AssignmentSolution:
    """CP-SAT whose proof covers every allowed pair, not only the problem's arcs (see
    module docstring); ``known``: allowed pairs found already, used past the size limit."""
    if pricer is None or not config.certify:
        return solve_cp_sat(problem, config)  # every allowed pair, or no proof asked
    if problem.n_mentees * problem.n_mentors <= CP_SAT_MAX_ARCS:
        extra = _missing_pairs(problem, pricer)
        return _priced(solve_cp_sat(problem.with_free_arcs(extra), config), extra)
    known = ScoredPairs.empty() if known is None else known
    solution = _priced(solve_cp_sat(problem.with_free_arcs(known), config), known)
    loose = dataclasses.replace(problem, quotas=(), min_load=np.zeros_like(problem.min_load))
    bound = solve_flow(loose, dataclasses.replace(config, objective="total"), pricer)
    upper = max(solution.value, bound.upper_bound)  # penalties only lower the optimum
    return dataclasses.replace(
        solution,
        status="feasible",
        upper_bound=upper,
        gap=relative_gap(solution.value, upper),
    )


def _why_not_the_flow(problem: AssignmentProblem) -> str:
    """Why the min-cost flow cannot enforce these quotas (for ``method="min_cost_flow"``):
    every flow objective takes quota groups, so two of them share mentees."""
    shared = overlapping_quotas(problem)
    which = "two quotas" if shared is None else f"quotas {shared[0]!r} and {shared[1]!r}"
    return (
        f"min_cost_flow cannot enforce these quotas ({which} share mentees); "
        "use method 'auto' (CP-SAT decides them) or 'cp_sat'"
    )


def quotas_met(problem: AssignmentProblem, solution: AssignmentSolution) -> bool:
    """Whether every quota, hard or soft, has its ``min_matched`` mentees with at least
    one pair (then no soft quota costs anything, and the optimum without quotas is the
    optimum with them)."""
    matched = np.bincount(solution.mentee_idx, minlength=problem.n_mentees) > 0
    return all(
        int(matched[np.asarray(q.mentees, np.int64)].sum()) >= q.min_matched for q in problem.quotas
    )


def _missing_pairs(problem: AssignmentProblem, pricer: ArcPricer) -> ScoredPairs:
    """Every usable allowed pair not among the problem's arcs, in (mentee, mentor) order.

    At prices every score beats, each pricing returns up to its per-mentee cap of the
    pairs not yet known; asking again with those known returns the next ones, until
    none is left (a few calls: the problem has at most ``CP_SAT_MAX_ARCS`` pairs)."""
    m = problem.n_mentors
    everyone = np.full(problem.n_mentees, ANY_PAIR), np.full(m, ANY_PAIR)
    arcs = problem.arcs.keys(m)
    known, found = arcs, []
    while True:
        pairs = ScoredPairs.of(*pricer.price(*everyone, 0.0, known))
        if pairs.size == 0:
            break
        found.append(pairs)
        keys = pairs.keys(m)
        if is_in(keys, known).all():
            break  # a pricer ignoring ``known``: it has returned all it has
        known = np.concatenate([known, keys])
    return new_pairs(ScoredPairs.concat(found), arcs, prepare(problem), m).in_order()


def _priced(solution: AssignmentSolution, added: ScoredPairs) -> AssignmentSolution:
    """``solution`` reporting the added arcs as priced in (they were not candidates)."""
    return dataclasses.replace(solution, priced=added)
