"""Marraine: mentor–mentee matching for mentoring programmes.

>>> import matching
>>> result = matching.match(mentees, mentors, matching.default_programme())  # doctest: +SKIP

Every public name is loaded on first use: ``import matching`` costs almost nothing, the
configuration and result types bring pandas and pydantic, and ``match``,
``check_inputs`` and ``quota_outlook`` the engine (scikit-learn, SciPy, OR-Tools). So
``marraine --help``, the service's start-up and code that only reads programmes or
results do not pay for what they do not use.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from matching._version import VERSION

if TYPE_CHECKING:
    from matching._pipeline import ProgressCallback, QuotaOutlook, match, quota_outlook
    from matching._runtime import process_settings
    from matching.check import InputReport, check_inputs
    from matching.defaults import default_programme
    from matching.errors import (
        ClusterError,
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

__version__ = VERSION

_HOMES = {
    "_pipeline": ("ProgressCallback", "QuotaOutlook", "match", "quota_outlook"),
    "_runtime": ("process_settings",),
    "check": ("InputReport", "check_inputs"),
    "defaults": ("default_programme",),
    "errors": (
        "ClusterError",
        "ConfigError",
        "InputError",
        "InputErrors",
        "InputWarning",
        "MatchingError",
        "QuotaError",
        "RuleError",
        "SolverError",
        "StrictInputError",
    ),
    "inputs": ("apply_field_map", "prepare_participants"),
    "model": ("Mentee", "Mentor", "Objective", "Programme"),
    "result": (
        "Alternative",
        "GroupOutcome",
        "MatchResult",
        "Pair",
        "QuotaOutcome",
        "RecruitmentGap",
        "Summary",
        "Unmatched",
    ),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Load a public name's module on first access (PEP 562)."""
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(import_module(f"matching.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME_OF))


__all__ = [
    "Alternative",
    "ClusterError",
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
