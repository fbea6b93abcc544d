"""The stable objective inside ``match()``: which preference lists, then deferred
acceptance over them (:func:`matching.solver._stable.solve_stable`).

- Criteria, no ranks: :class:`~matching._stable_lists.ScoredLists`, lists built part by
  part as the proposals need them, never the whole mentee x mentor table.
- A score table, or ranks: every acceptable pair is known, lists are built whole
  (:func:`~matching._preferences.ranked_lists`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from matching._pairs import ScoredPairs, is_member, split_keys
from matching._preferences import RankTable, ranked_lists
from matching._stable_lists import ScoredLists
from matching.errors import RuleError
from matching.messages import Message
from matching.model import Programme
from matching.scoring import PairScorer
from matching.solver import (
    ArcLists,
    AssignmentProblem,
    AssignmentSolution,
    PreferenceLists,
    SolverConfig,
    solve_stable,
)

__all__ = ["Pool", "StableInput", "StableRun", "solve_stable_stage"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

Pool = tuple[NDArray[np.int32], NDArray[np.float32], NDArray[np.float32]]
"""Each mentee's best mentors by block score, their scores and the best left out."""


@dataclass(frozen=True)
class StableInput:
    """What the stable solve needs from the pipeline."""

    problem: AssignmentProblem
    config: SolverConfig
    programme: Programme
    scorer: PairScorer | None
    """The fitted criteria scorer; None when the scores came from a table."""
    ranks: tuple[RankTable | None, RankTable | None]
    """(mentee ranks, mentor ranks)."""
    pool: Pool | None = None
    """The candidate scan's pools, for the first parts of the mentees' lists."""


@dataclass(frozen=True)
class StableRun:
    """The solution, the pairs the lists held (for alternatives) and, with explicit
    lists, each mentee's number of acceptable mentors (locked ones included)."""

    solution: AssignmentSolution
    arcs: ScoredPairs
    acceptable: IntArray | None


def solve_stable_stage(
    given: StableInput, excluded: IntArray, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> StableRun:
    """Deferred acceptance over the programme's preferences.

    ``excluded``: sorted keys (``mentee x n_mentors + mentor``) of the locked, forbidden
    and previous pairs, left out of every list. ``frames``: the mentees and mentors the
    scorer was fitted on (for the mentors' own scorer).
    """
    problem, programme = given.problem, given.programme
    if given.scorer is None and programme.stable.mentor_weights is not None:
        raise RuleError(
            Message(
                "stable.mentor_weights reweigh the criteria, which a score table replaces: "
                "give the mentors' ranks instead"
            )
        )
    proposing = programme.stable.proposing
    mentor_scorer = _mentor_scorer(programme, given.scorer, frames)
    lists: PreferenceLists
    if given.scorer is not None and all(table is None for table in given.ranks):
        lists = ScoredLists(
            given.scorer,
            excluded,
            mentor_scorer=mentor_scorer,
            proposing=proposing,
            first_part=programme.solver.top_k,
            pool=given.pool,
        )
        solution = solve_stable(problem, given.config, lists, proposing)
        return StableRun(solution, _with_locked(problem, solution.priced), None)
    pairs = _acceptable(given, excluded)
    mentor_value = (
        None if mentor_scorer is None else mentor_scorer.exact_pairs(pairs.mentee, pairs.mentor)[0]
    )
    arc_lists = ranked_lists(
        problem.n_mentees, problem.n_mentors, pairs, mentor_value, given.ranks, proposing
    )
    solution = solve_stable(problem, given.config, arc_lists, proposing)
    arcs = _with_locked(problem, _oriented(arc_lists, proposing))
    acceptable = np.bincount(arcs.mentee, minlength=problem.n_mentees).astype(np.int64)
    return StableRun(solution, arcs, acceptable)


def _mentor_scorer(
    programme: Programme, scorer: PairScorer | None, frames: tuple[pd.DataFrame, pd.DataFrame]
) -> PairScorer | None:
    """The mentors' own scorer (``stable.mentor_weights``), fitted like ``scorer``."""
    mentor_programme = programme.mentor_programme()
    if scorer is None or mentor_programme is None:
        return None
    return PairScorer(mentor_programme, dtype=scorer.dtype).fit(*frames)


def _acceptable(given: StableInput, excluded: IntArray) -> ScoredPairs:
    """Pairs the lists may hold: the problem's free arcs (a score table), or with criteria
    the ranked pairs the rules allow."""
    problem = given.problem
    if given.scorer is None:
        return problem.arcs.take(~np.asarray(problem.arc_locked, dtype=bool))
    tables = [t for t in given.ranks if t is not None]
    keys = tables[0].key
    for table in tables[1:]:
        keys = keys[is_member(keys, table.key)]
    keys = keys[~is_member(keys, excluded)]
    mentee, mentor = split_keys(keys, problem.n_mentors)
    score, ok = given.scorer.exact_pairs(mentee, mentor)
    return ScoredPairs(mentee[ok], mentor[ok], score[ok])


def _oriented(lists: ArcLists, proposing: str) -> ScoredPairs:
    """The lists' pairs as (mentee, mentor, score)."""
    proposer, receiver, score = lists.entries()
    if proposing == "mentees":
        return ScoredPairs(proposer, receiver, score)
    return ScoredPairs(receiver, proposer, score)


def _with_locked(problem: AssignmentProblem, pairs: ScoredPairs) -> ScoredPairs:
    """These pairs plus the problem's locked pairs (in no particular order: the
    alternatives sort what they keep)."""
    locked = problem.arcs.take(np.asarray(problem.arc_locked, dtype=bool))
    return ScoredPairs.concat([locked, pairs])
