"""The one place a solver's answer becomes an :class:`AssignmentSolution`: the locked pairs
added back to the chosen free arcs, in (mentee, mentor) order, with the total, the bound,
the gap and the status."""

from __future__ import annotations

import numpy as np

from matching.solver._arcs import WorkArcs
from matching.solver._prepare import Residual
from matching.solver._problem import (
    AssignmentProblem,
    AssignmentSolution,
    FloatArray,
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
    mentee, mentor, score = merge_pairs(
        problem, residual, arcs.mentee[chosen], arcs.mentor[chosen], arcs.score[chosen]
    )
    total = float(score.sum())
    penalty = soft_penalty(problem.quotas, problem.n_mentees, mentee) if soft_quotas else 0.0
    upper = total - penalty + max(0.0, bound_excess)
    priced = arcs.priced
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
        priced_mentee=arcs.mentee[priced],
        priced_mentor=arcs.mentor[priced],
        priced_score=arcs.score[priced],
        penalty=penalty,
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
