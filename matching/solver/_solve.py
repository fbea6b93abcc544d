"""``solve()``: one entry point over the solvers, and the solution it hands back.

``method="auto"`` solves a problem with quotas by :mod:`._quotas` (the flow enforces
quotas on groups that share no mentee; Lagrangian flows or CP-SAT the others) and any
other by min-cost flow. Locked pairs are assigned first (:mod:`._prepare`); every solver
works on the residual problem and the locked pairs are added back here.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from matching.errors import RuleError, SolverError
from matching.solver._arcs import WorkArcs
from matching.solver._fair import solve_fair
from matching.solver._min_cost_flow import FlowOutcome, solve_with_pricing
from matching.solver._prepare import Residual, prepare
from matching.solver._problem import (
    ArcPricer,
    AssignmentProblem,
    AssignmentSolution,
    FloatArray,
    IntArray,
    SolverConfig,
)
from matching.solver._quota_flow import quota_groups, shortfall_error


def solve(
    problem: AssignmentProblem, config: SolverConfig, pricer: ArcPricer | None = None
) -> AssignmentSolution:
    """Solve an assignment problem for ``config.objective``.

    Parameters
    ----------
    problem
        Arcs (allowed pairs with scores), demands, capacities, minimum loads, locked and
        incumbent pairs, quotas.
    config
        Objective, method, certificate options, CP-SAT limits.
    pricer
        Finds allowed pairs missing from ``problem`` that could improve the result (the
        candidates were pruned). Without one, the arcs are taken as *all* allowed pairs.

    Returns
    -------
    AssignmentSolution
        Pairs in (mentee, mentor) order, total score, upper bound, gap and status
        (``optimal`` only when proven over all allowed pairs).

    Raises
    ------
    RuleError
        Locked pairs exceed a demand or a capacity, or quotas cannot be met.
    SolverError
        A solver failed (never for a feasible problem within int64 range).
    """
    method = config.method
    if method in ("auto", "min_cost_flow") and problem.quotas:
        from matching.solver._quotas import solve_with_quotas

        return solve_with_quotas(problem, config, pricer)
    if method == "cp_sat":
        from matching.solver._quotas import solve_cp_sat_over_all_pairs

        return solve_cp_sat_over_all_pairs(problem, config, pricer)
    if method == "stable" or config.objective == "stable":
        if problem.quotas:
            raise RuleError("the stable method cannot honour quotas: use method 'auto'")
        from matching.solver._stable import solve_stable

        return solve_stable(problem, config)
    return solve_flow(problem, config, pricer)


def solve_flow(
    problem: AssignmentProblem,
    config: SolverConfig,
    pricer: ArcPricer | None,
    *,
    with_quotas: bool = False,
) -> AssignmentSolution:
    """Min-cost flow for every objective, with the pricing loop when ``pricer`` is given.

    ``with_quotas``: the network enforces the problem's quotas (:mod:`._quota_flow`:
    groups sharing no mentee); otherwise quotas are ignored.

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
        locked_scores = np.asarray(problem.arc_score, dtype=np.float64)[residual.locked]
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
    return _solution(problem, residual, config, outcome)


def _locked_keys(problem: AssignmentProblem, residual: Residual) -> IntArray:
    """Keys (mentee x n_mentors + mentor) of the locked pairs."""
    mentee = np.asarray(problem.arc_mentee, dtype=np.int64)[residual.locked]
    mentor = np.asarray(problem.arc_mentor, dtype=np.int64)[residual.locked]
    return mentee * problem.n_mentors + mentor


def _solution(
    problem: AssignmentProblem, residual: Residual, config: SolverConfig, outcome: FlowOutcome
) -> AssignmentSolution:
    """Locked pairs plus the flow's pairs, with bound, gap and status."""
    arcs = outcome.arcs
    mentee, mentor, score = merge_pairs(
        problem,
        residual,
        arcs.mentee[outcome.chosen],
        arcs.mentor[outcome.chosen],
        arcs.score[outcome.chosen],
    )
    total = float(score.sum())
    free_total = float(arcs.score[outcome.chosen].sum())
    # The bound's excess over the free pairs, added to the exact total (no float drift).
    upper = total + max(0.0, outcome.upper_bound - free_total)
    priced = arcs.priced
    return AssignmentSolution(
        mentee_idx=mentee,
        mentor_idx=mentor,
        score=score,
        objective=config.objective,
        total_score=total,
        upper_bound=upper,
        gap=relative_gap(total, upper),
        status="optimal" if outcome.certified else "feasible",
        method="min_cost_flow",
        rounds=outcome.rounds,
        arcs_used=arcs.size,
        stats=dict(outcome.stats),
        priced_mentee=arcs.mentee[priced],
        priced_mentor=arcs.mentor[priced],
        priced_score=arcs.score[priced],
    )


def merge_pairs(
    problem: AssignmentProblem,
    residual: Residual,
    mentee: IntArray,
    mentor: IntArray,
    score: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Locked pairs plus solver pairs, in (mentee, mentor) order."""
    all_mentee = np.concatenate([np.asarray(problem.arc_mentee, np.int64)[residual.locked], mentee])
    all_mentor = np.concatenate([np.asarray(problem.arc_mentor, np.int64)[residual.locked], mentor])
    all_score = np.concatenate([np.asarray(problem.arc_score, np.float64)[residual.locked], score])
    order = np.lexsort((all_mentor, all_mentee))
    return all_mentee[order], all_mentor[order], all_score[order]


def relative_gap(total: float, upper: float) -> float:
    """``(upper - total) / max(1, |upper|)``, never negative."""
    return max(0.0, (upper - total) / max(1.0, abs(upper)))
