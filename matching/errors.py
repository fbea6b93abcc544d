"""The engine's exceptions: one root, structured fields, no personal data in messages.

Exception tree::

    MatchingError                   root of everything the engine raises on purpose
    ├── ConfigError                 a programme configuration is invalid (names the key)
    ├── InputError                  participant / score data is invalid (names file, row, column)
    │   └── InputErrors             several InputError at once (a whole file's report)
    │       └── StrictInputError    a strict run refused because the input drew warnings
    ├── RuleError                   rules contradict each other (e.g. a locked pair is forbidden)
    ├── SolverError                 the solver failed or returned an inconsistent solution
    └── ClusterError                the Dask cluster asked for is unreachable or failed

An unmatched mentee is data (``MatchResult.unmatched``), never an exception; so is an
:class:`InputWarning` (``MatchResult.warnings``) unless the run is strict. Messages name
fields, rows and reasons; they never quote a participant's submitted values, so they can be
logged and returned in HTTP error bodies as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ClusterError",
    "ConfigError",
    "InputError",
    "InputErrors",
    "InputWarning",
    "MatchingError",
    "Problem",
    "QuotaError",
    "RuleError",
    "SolverError",
    "StrictInputError",
]


class MatchingError(Exception):
    """Root of every exception the engine raises on purpose."""


class ConfigError(MatchingError):
    """A programme configuration is invalid.

    Parameters
    ----------
    key
        Dotted path of the offending key, e.g. ``criteria.2.weight``.
    reason
        What is wrong, in words a coordinator understands.
    source
        The file the configuration came from, when there is one.
    """

    def __init__(self, key: str, reason: str, source: str | None = None) -> None:
        self.key = key
        self.reason = reason
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{key}: {reason}")


@dataclass(frozen=True)
class Problem:
    """One located problem in input data: where it is and why it is refused."""

    file: str | None
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        parts = [p for p in (self.file, _row(self.row), self.column) if p]
        return f"{', '.join(parts)}: {self.reason}" if parts else self.reason


def _row(row: int | None) -> str | None:
    """Format a 1-based data row number (header is row 1 in a CSV file)."""
    return None if row is None else f"row {row}"


class InputError(MatchingError):
    """Participant or score data is invalid.

    ``row`` is the line number a person sees in a spreadsheet (the header is row 1), or the
    0-based position in a JSON list when the data did not come from a file.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = Problem(file=file, row=row, column=column, reason=reason)
        super().__init__(str(self.problem))

    @property
    def file(self) -> str | None:
        return self.problem.file

    @property
    def row(self) -> int | None:
        return self.problem.row

    @property
    def column(self) -> str | None:
        return self.problem.column

    @property
    def reason(self) -> str:
        return self.problem.reason


class InputErrors(InputError):  # noqa: N818  (several InputError at once)
    """Several input problems found in one pass, so a user can fix them all at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("InputErrors needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0]
        super().__init__(first.reason, file=first.file, row=first.row, column=first.column)
        more = len(self.problems) - 1
        self.args = (str(first) + (f" (and {more} more problems)" if more else ""),)


class RuleError(MatchingError):
    """Rules or decisions contradict each other (e.g. a locked pair is also forbidden)."""


class QuotaError(RuleError):
    """Hard quotas that no matching can meet (the message says which and why)."""


class SolverError(MatchingError):
    """The solver failed, or returned a solution the validator refuses."""


@dataclass(frozen=True, slots=True)
class InputWarning:
    """Something in the input the run does not use as the files might suggest: a column
    nobody reads, an absent count column, an optional rule switched off. ``message`` names
    side, file and column, never a cell's content."""

    code: str
    """``unread_column``, ``demand_absent``, ``capacity_absent``, ``min_load_absent`` or
    ``rule_off``."""
    side: Literal["mentee", "mentor"] | None
    column: str | None
    message: str
    rule: str | None = None
    """The rule a ``rule_off`` warning is about."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "side": self.side,
            "column": self.column,
            "message": self.message,
        }


class StrictInputError(InputErrors):
    """A strict run refused: every warning is listed as a problem."""

    def __init__(self, warnings: Sequence[InputWarning]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(
            [Problem(None, None, w.column, f"strict: {w.message}") for w in self.warnings]
        )


class ClusterError(MatchingError):
    """The Dask cluster a match was asked to run on cannot be reached or failed (the
    message names the scheduler's address and the reason)."""
