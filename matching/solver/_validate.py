"""A solver-independent validator: checks a solution against its problem, nothing else."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from numpy.typing import NDArray

from matching._pairs import ScoredPairs, is_in, keys_of, pair_keys
from matching.errors import SolverError
from matching.solver._problem import AssignmentProblem, AssignmentSolution

_SCORE_TOL = 1e-9


def validate(
    problem: AssignmentProblem,
    solution: AssignmentSolution,
    *,
    forbidden: Collection[tuple[int, int]] = (),
    min_load_required: bool = False,
) -> None:
    """Check that ``solution`` is a feasible, consistent answer to ``problem``.

    Parameters
    ----------
    problem, solution
        The instance and a solver's answer to it.
    forbidden
        (mentee_idx, mentor_idx) pairs that must not appear.
    min_load_required
        Also require every mentor's minimum load (they are soft in the solvers: met
        whenever the rest of the problem allows).

    Raises
    ------
    SolverError
        Listing every violation found: a pair that is neither an arc nor priced in, a
        duplicate pair, a forbidden pair, a locked pair missing, demand or capacity
        exceeded, a minimum load or hard quota not met, scores, totals or the soft quotas'
        penalty inconsistent.
    """
    problems: list[str] = []
    n_mentors = max(problem.n_mentors, 1)
    mentee = np.asarray(solution.mentee_idx, dtype=np.int64)
    mentor = np.asarray(solution.mentor_idx, dtype=np.int64)
    score = np.asarray(solution.score, dtype=np.float64)
    if not (mentee.shape == mentor.shape == score.shape):
        raise SolverError("solution arrays differ in length")
    in_range = (
        (mentee >= 0) & (mentee < problem.n_mentees) & (mentor >= 0) & (mentor < problem.n_mentors)
    )
    if not in_range.all():
        raise SolverError(f"{int((~in_range).sum())} pair(s) refer to indices out of range")
    key = pair_keys(mentee, mentor, n_mentors)
    allowed = ScoredPairs.concat([problem.arcs, solution.priced])
    all_key, all_score = allowed.keys(n_mentors), allowed.score
    order = np.argsort(all_key, kind="stable")
    position = np.searchsorted(all_key[order], key)
    position = np.minimum(position, max(all_key.size - 1, 0))
    known = (all_key[order][position] == key) if all_key.size else np.zeros(key.size, bool)
    _count(problems, ~known, "pair(s) are not allowed arcs nor priced in")
    expected = all_score[order][position] if all_key.size else np.zeros(key.size)
    _count(
        problems,
        known & ~np.isclose(score, expected, rtol=0, atol=_SCORE_TOL),
        "pair score(s) differ from the arc's score",
    )
    _count(problems, None, "duplicate pair(s)", key.size - np.unique(key).size)
    if forbidden:
        bad = keys_of(forbidden, n_mentors)
        _count(problems, is_in(key, bad), "forbidden pair(s) chosen")
    locked = problem.arcs.take(np.asarray(problem.arc_locked, bool)).keys(n_mentors)
    _count(problems, ~is_in(locked, key), "locked pair(s) missing")
    per_mentee = np.bincount(mentee, minlength=problem.n_mentees)
    per_mentor = np.bincount(mentor, minlength=problem.n_mentors)
    _count(problems, per_mentee > problem.demand, "mentee(s) above their demand")
    _count(problems, per_mentor > problem.capacity, "mentor(s) above their capacity")
    if min_load_required:
        _count(problems, per_mentor < problem.min_load, "mentor(s) below their minimum load")
    _check_quotas_and_totals(problems, problem, solution, per_mentee, float(score.sum()))
    if problems:
        raise SolverError("invalid solution: " + "; ".join(problems))


def _check_quotas_and_totals(
    problems: list[str],
    problem: AssignmentProblem,
    solution: AssignmentSolution,
    per_mentee: NDArray[np.int64],
    total: float,
) -> None:
    """Hard quotas met; the total, the soft quotas' penalty, the bound and the gap
    consistent with the pairs."""
    penalty = 0.0
    for quota in problem.quotas:
        short = quota.short(per_mentee)
        if quota.hard and short:
            got = quota.min_matched - short
            problems.append(f"quota {quota.name!r}: {got} matched, {quota.min_matched} required")
        elif not quota.hard:
            penalty += quota.penalty * short
    if not np.isclose(solution.total_score, total, rtol=1e-9, atol=1e-9):
        problems.append("total_score is not the sum of the pair scores")
    if not np.isclose(solution.penalty, penalty, rtol=1e-9, atol=1e-9):
        problems.append("penalty is not the soft quotas' penalty for the pairs")
    value = total - solution.penalty
    if solution.upper_bound < value - 1e-9 * max(1.0, abs(total)):
        problems.append("upper_bound is below the value (total_score less penalty)")
    gap = (solution.upper_bound - value) / max(1.0, abs(solution.upper_bound))
    if not np.isclose(solution.gap, max(gap, 0.0), rtol=1e-6, atol=1e-12):
        problems.append("gap is inconsistent with the value and upper_bound")


def _count(
    problems: list[str], mask: NDArray[np.bool_] | None, what: str, count: int | None = None
) -> None:
    """Append ``what`` with its count when ``mask`` flags anything."""
    n = int(np.count_nonzero(mask)) if mask is not None else (count or 0)
    if n:
        problems.append(f"{n} {what}")
