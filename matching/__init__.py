"""Marraine: mentor–mentee matching for mentoring programmes.

>>> import matching
>>> result = matching.match(mentees, mentors, matching.default_programme())  # doctest: +SKIP
"""

from matching._pipeline import ProgressCallback, match
from matching._version import VERSION
from matching.defaults import default_programme
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

__version__ = VERSION


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
    "default_programme",
    "match",
]
