"""Marraine: mentor–mentee matching for mentoring programmes.

>>> import matching
>>> result = matching.match(mentees, mentors, matching.default_programme())  # doctest: +SKIP

``match``, ``ProgressCallback``, ``check_inputs`` and ``InputReport`` load the engine
(scikit-learn, SciPy, OR-Tools, networkx: about two seconds) on first use, so that
``marraine --help``, the service's start-up and code that only reads programmes or
results do not pay for it.
"""

from typing import TYPE_CHECKING, Any

from matching._runtime import process_settings
from matching._version import VERSION
from matching.defaults import default_programme
from matching.errors import (
    ConfigError,
    InputError,
    InputErrors,
    InputWarning,
    MatchingError,
    QuotaError,
    RuleError,
    SolverError,
    StrictInputError,
)
from matching.inputs import apply_field_map, prepare_participants
from matching.model import Mentee, Mentor, Objective, Programme
from matching.result import (
    Alternative,
    GroupOutcome,
    MatchResult,
    Pair,
    QuotaOutcome,
    RecruitmentGap,
    Summary,
    Unmatched,
)

if TYPE_CHECKING:
    from matching._pipeline import ProgressCallback, QuotaOutlook, match, quota_outlook
    from matching.check import InputReport, check_inputs

__version__ = VERSION

_ENGINE = frozenset({"ProgressCallback", "QuotaOutlook", "match", "quota_outlook"})
_CHECK = frozenset({"InputReport", "check_inputs"})


def __getattr__(name: str) -> Any:
    """Load the engine's names on first access (PEP 562)."""
    if name in _ENGINE | _CHECK:
        from matching import _pipeline, check

        value = getattr(_pipeline if name in _ENGINE else check, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matching' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _ENGINE | _CHECK)


__all__ = [
    "Alternative",
    "ConfigError",
    "GroupOutcome",
    "InputError",
    "InputErrors",
    "InputReport",
    "InputWarning",
    "MatchResult",
    "MatchingError",
    "Mentee",
    "Mentor",
    "Objective",
    "Pair",
    "Programme",
    "ProgressCallback",
    "QuotaError",
    "QuotaOutcome",
    "QuotaOutlook",
    "RecruitmentGap",
    "RuleError",
    "SolverError",
    "StrictInputError",
    "Summary",
    "Unmatched",
    "__version__",
    "apply_field_map",
    "check_inputs",
    "default_programme",
    "match",
    "prepare_participants",
    "process_settings",
    "quota_outlook",
]
