"""Shared assertions for the solver tests."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from matching.solver import AssignmentProblem, AssignmentSolution
from tests.solver.oracles import Levels, levels_of


def chosen_mask(problem: AssignmentProblem, solution: AssignmentSolution) -> NDArray[np.bool_]:
    """Which of the problem's arcs the solution uses."""
    key = problem.arc_mentee * problem.n_mentors + problem.arc_mentor
    return np.isin(key, solution.mentee_idx * problem.n_mentors + solution.mentor_idx)


def solution_levels(
    problem: AssignmentProblem, solution: AssignmentSolution, objective: str
) -> Levels:
    """The levels a solution reaches, as the oracles report them."""
    levels = levels_of(problem, chosen_mask(problem, solution), objective)
    if objective != "fair":
        levels = Levels(levels.min_load, levels.matched, None, levels.total)
    return levels


def assert_same_levels(got: Levels, want: Levels, rel: float = 1e-6) -> None:
    """Every level equal (scores to ``rel`` relative)."""
    assert got.min_load == want.min_load
    assert got.matched == want.matched
    if want.lowest is None or got.lowest is None:
        assert got.lowest == want.lowest
    else:
        assert np.isclose(got.lowest, want.lowest, rtol=rel, atol=1e-12)
    assert np.isclose(got.total, want.total, rtol=rel, atol=1e-9)
