"""Marraine: mentor–mentee matching for mentoring programmes.

>>> import matching
>>> result = matching.match(mentees, mentors, matching.default_programme())  # doctest: +SKIP

``match`` and ``ProgressCallback`` load the engine (scikit-learn, SciPy, OR-Tools,
networkx: about two seconds) on first use, so that ``marraine --help``, the service's
start-up and code that only reads programmes or results do not pay for it.
"""

from typing import TYPE_CHECKING, Any

from matching._runtime import process_settings
from matching._version import VERSION
from matching.defaults import default_programme
from matching.errors import (
    ClusterError,
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

if TYPE_CHECKING:
    from matching._pipeline import ProgressCallback, match

__version__ = VERSION

_ENGINE = frozenset({"ProgressCallback", "match"})


def __getattr__(name: str) -> Any:
    """Load the engine's names on first access (PEP 562)."""
    if name in _ENGINE:
        from matching import _pipeline

        value = getattr(_pipeline, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matching' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ENGINE)


__all__ = [
    "Alternative",
    "ClusterError",
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
    "process_settings",
]
