"""The one place a solver's answer becomes an :class:`AssignmentSolution`: the locked pairs
added back to the chosen free arcs, in (mentee, mentor) order, with the total, the bound,
the gap and the status."""

from __future__ import annotations

from matching._pairs import ScoredPairs
from matching.solver._arcs import WorkArcs
from matching.solver._prepare import Residual
from matching.solver._problem import (
    AssignmentProblem,
    AssignmentSolution,
    IntArray,
    SolverConfig,
    soft_penalty,
)


def build_solution(
    problem: AssignmentProblem,
    residual: Residual,
    config: SolverConfig,
    arcs: WorkArcs,
    chosen: IntArray,
    *,
    bound_excess: float,
    certified: bool,
    method: str,
    rounds: int = 1,
    stats: dict[str, float] | None = None,
    soft_quotas: bool = False,
) -> AssignmentSolution:
    """The solution of the chosen arcs (indices into ``arcs``) plus the locked pairs.

    ``bound_excess``: how far the solver's upper bound lies above the chosen free arcs'
    value (their total, less the soft quotas' penalty when ``soft_quotas``: the solver
    optimised it); it is added to the exact value (no float drift), never below it. ``certified``:
    the bound is proven over all allowed pairs (status ``optimal``). Pairs a pricer added
    to ``arcs`` are reported as priced.
    """
    pairs = merge_pairs(problem, residual, arcs.take(chosen))
    mentee, mentor, score = pairs.arrays()
    total = float(score.sum())
    penalty = soft_penalty(problem.quotas, problem.n_mentees, mentee) if soft_quotas else 0.0
    upper = total - penalty + max(0.0, bound_excess)
    return AssignmentSolution(
        mentee_idx=mentee,
        mentor_idx=mentor,
        score=score,
        objective=config.objective,
        total_score=total,
        upper_bound=upper,
        gap=relative_gap(total - penalty, upper),
        status="optimal" if certified else "feasible",
        method=method,
        rounds=rounds,
        arcs_used=arcs.size,
        stats={} if stats is None else dict(stats),
        priced=arcs.take(arcs.priced),
        penalty=penalty,
    )


def merge_pairs(problem: AssignmentProblem, residual: Residual, chosen: ScoredPairs) -> ScoredPairs:
    """Locked pairs plus solver pairs, in (mentee, mentor) order."""
    return ScoredPairs.concat([problem.arcs.take(residual.locked), chosen]).in_order()


def relative_gap(total: float, upper: float) -> float:
    """``(upper - total) / max(1, |upper|)``, never negative."""
    return max(0.0, (upper - total) / max(1.0, abs(upper)))
