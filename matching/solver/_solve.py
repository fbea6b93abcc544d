"""``solve()``: the one entry point, which dispatches a problem to a strategy.

``method="auto"`` solves a problem with quotas by :mod:`._quotas` (the flow enforces
quotas on groups that share no mentee; Lagrangian flows or CP-SAT the others) and any
other by min-cost flow (:mod:`._solve_flow`); ``cp_sat`` and ``stable`` name their
strategy. Every strategy works on the residual problem (locked pairs assigned first,
:mod:`._prepare`) and hands back its solution through :mod:`._solution`.
"""

from __future__ import annotations

from matching.errors import RuleError
from matching.solver._problem import ArcPricer, AssignmentProblem, AssignmentSolution, SolverConfig
from matching.solver._quotas import solve_cp_sat_over_all_pairs, solve_with_quotas
from matching.solver._solve_flow import solve_flow
from matching.solver._stable import solve_stable


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
        return solve_with_quotas(problem, config, pricer)
    if method == "cp_sat":
        return solve_cp_sat_over_all_pairs(problem, config, pricer)
    if method == "stable" or config.objective == "stable":
        if problem.quotas:
            raise RuleError("the stable method cannot honour quotas: use method 'auto'")
        return solve_stable(problem, config)
    return solve_flow(problem, config, pricer)
