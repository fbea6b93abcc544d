"""Marraine: mentor–mentee matching for mentoring programmes.

>>> import matching
>>> result = matching.match(mentees, mentors, matching.default_programme())  # doctest: +SKIP
"""

from matching.errors import (
    ConfigError,
    InputError,
    InputErrors,
    MatchingError,
    RuleError,
    SolverError,
)
from matching.model import Mentee, Mentor, Objective, Programme
from matching.result import (
    Alternative,
    MatchResult,
    Pair,
    RecruitmentGap,
    Summary,
    Unmatched,
)

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # Transitional: the pipeline's parts land one by one; import it on first use.
    if name in ("match", "ProgressCallback"):
        from matching import _pipeline

        return getattr(_pipeline, name)
    raise AttributeError(name)


__all__ = [
    "Alternative",
    "ConfigError",
    "InputError",
    "InputErrors",
    "MatchResult",
    "MatchingError",
    "Mentee",
    "Mentor",
    "Objective",
    "Pair",
    "Programme",
    "ProgressCallback",
    "RecruitmentGap",
    "RuleError",
    "SolverError",
    "Summary",
    "Unmatched",
    "__version__",
    "match",
]
