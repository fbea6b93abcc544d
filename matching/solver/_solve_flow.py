"""Every objective on the min-cost flow: ``total`` and ``coverage`` by :mod:`._min_cost_flow`,
``fair`` by :mod:`._fair`, quotas on groups that share no mentee in the network
(:mod:`._quota_flow`). Locked pairs are assigned first (:mod:`._prepare`) and added back
by :mod:`._solution`.
"""

from __future__ import annotations

import dataclasses

from matching.errors import SolverError
from matching.solver._arcs import WorkArcs
from matching.solver._fair import solve_fair
from matching.solver._min_cost_flow import solve_with_pricing
from matching.solver._prepare import Residual, prepare
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    IntArray,
    SolverConfig,
)
from matching.solver._quota_flow import quota_groups, shortfall_error
from matching.solver._solution import build_solution


def solve_flow(
    problem: AssignmentProblem,
    config: SolverConfig,
    pricer: ArcPricer | None,
    *,
    with_quotas: bool = False,
) -> AssignmentSolution:
    """Min-cost flow for every objective, with the pricing loop when ``pricer`` is given.

    ``with_quotas``: the network enforces the problem's quotas (:mod:`._quota_flow`:
    groups sharing no mentee; soft ones by their penalty); otherwise quotas are ignored.

    Raises
    ------
    RuleError
        With quotas: they cannot all be met over every allowed pair (over the candidates
        when ``certify`` is off).
    """
    residual = prepare(problem)
    if with_quotas:
        residual = dataclasses.replace(residual, groups=quota_groups(problem, residual))
    arcs = WorkArcs.from_problem(problem, residual)
    locked_keys = _locked_keys(problem, residual)
    complete = pricer is None  # the arcs are every allowed pair
    if not config.certify:
        pricer = None
    if config.objective == "fair":
        locked_scores = problem.arcs.score[residual.locked]
        outcome = solve_fair(
            arcs,
            residual,
            pricer=pricer,
            max_rounds=config.max_rounds,
            locked_scores=locked_scores,
            locked_keys=locked_keys,
        )
    else:
        outcome = solve_with_pricing(
            arcs,
            residual,
            coverage=config.objective == "coverage",
            pricer=pricer,
            max_rounds=config.max_rounds,
            known_extra=locked_keys,
        )
    if residual.groups is not None and outcome.shortfall.any():
        if not (complete or config.certify):
            over = "with the candidate pairs (certify is off)"
            raise shortfall_error(residual.groups, outcome.shortfall, over)
        if outcome.certified:
            raise shortfall_error(residual.groups, outcome.shortfall, "with the allowed pairs")
        raise SolverError(
            f"quotas still missed after {outcome.rounds} pricing rounds (max_rounds): "
            "raise max_rounds to decide whether they can be met"
        )
    free_value = float(outcome.arcs.score[outcome.chosen].sum()) - outcome.penalty
    return build_solution(
        problem,
        residual,
        config,
        outcome.arcs,
        outcome.chosen,
        bound_excess=outcome.upper_bound - free_value,
        certified=outcome.certified,
        soft_quotas=with_quotas,
        method="min_cost_flow",
        rounds=outcome.rounds,
        stats=outcome.stats,
    )


def _locked_keys(problem: AssignmentProblem, residual: Residual) -> IntArray:
    """Keys (mentee x n_mentors + mentor) of the locked pairs."""
    return problem.arcs.take(residual.locked).keys(problem.n_mentors)
