"""``match()``: the data flow of DESIGN §3 from participant tables to a :class:`MatchResult`.

participants -> features + scoring -> candidates -> solver (+ certificate) -> explanations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from matching.model import Mentee, Mentor, Objective, Programme
from matching.result import MatchResult

__all__ = ["ProgressCallback", "match"]

ProgressCallback = Callable[[str, float], None]
"""Called with a step name (``encode``, ``score``, ``solve``, ``certify``, ``explain``) and
the share of the whole match done so far, in [0, 1]."""


def match(
    mentees: Sequence[Mentee] | pd.DataFrame,
    mentors: Sequence[Mentor] | pd.DataFrame,
    programme: Programme | None = None,
    *,
    scores: pd.DataFrame | None = None,
    objective: Objective | None = None,
    locked: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
    previous: Iterable[tuple[str, str]] = (),
    incumbent: Iterable[tuple[str, str]] = (),
    progress: ProgressCallback | None = None,
) -> MatchResult:
    """Match a cohort of mentees with mentors.

    Parameters
    ----------
    mentees, mentors
        Participants as model objects or DataFrames (one row a person, ``id`` column).
    programme
        Criteria, rules, objective and solver options. Default: the digital-business
        example's configuration (:func:`matching.default_programme`).
    scores
        Precomputed pair scores, long format ``mentee_id, mentor_id, score``; replaces the
        programme's criteria. A pair absent from it is not allowed.
    objective
        Overrides ``programme.objective``: ``coverage``, ``total`` or ``fair``.
    locked
        (mentee_id, mentor_id) pairs that must be in the result.
    forbidden
        Pairs that must not be in the result.
    previous
        Earlier pairs, not proposed again unless ``programme.allow_repeat_pairs``.
    incumbent
        Pairs of an earlier suggestion; among optimal results the one keeping most of them
        is returned, so a rematch changes as few pairs as the objective allows.
    progress
        Called as the work advances (see :data:`ProgressCallback`).

    Returns
    -------
    MatchResult
        Pairs with per-criterion contributions and evidence, unmatched mentees with
        reasons, alternatives, recruitment gaps, and a summary with the optimality gap.
    """
    raise NotImplementedError("match() is being written")
