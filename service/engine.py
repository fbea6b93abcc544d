"""The one door to the matching engine: :func:`match` resolves ``matching.match`` at call
time, so the service imports quickly and tests can substitute a slow engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import pandas as pd

import matching
from matching.model import Objective, Programme, Proposing
from matching.result import MatchResult

__all__ = ["match"]


def match(
    mentees: pd.DataFrame,
    mentors: pd.DataFrame,
    programme: Programme | None,
    *,
    scores: pd.DataFrame | None = None,
    objective: Objective | None = None,
    proposing: Proposing | None = None,
    locked: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
    incumbent: Iterable[tuple[str, str]] = (),
    mentee_ranks: pd.DataFrame | None = None,
    mentor_ranks: pd.DataFrame | None = None,
    progress: Callable[[str, float], None] | None = None,
    strict: bool = False,
) -> MatchResult:
    """Call :func:`matching.match` (see there for the parameters)."""
    engine = cast(Callable[..., MatchResult], matching.match)
    kwargs: dict[str, Any] = {
        "scores": scores,
        "objective": objective,
        "locked": tuple(locked),
        "forbidden": tuple(forbidden),
        "incumbent": tuple(incumbent),
        "progress": progress,
        "strict": strict,
    }
    if proposing is not None:  # given for stable runs only
        kwargs["proposing"] = proposing
    if mentee_ranks is not None or mentor_ranks is not None:  # stable runs only
        kwargs |= {"mentee_ranks": mentee_ranks, "mentor_ranks": mentor_ranks}
    return engine(mentees, mentors, programme, **kwargs)
