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

Every error carries its words as data: ``message`` is a :class:`~matching.messages.Message`
(the catalogue's English template and the values it names), so ``str(error)`` is English
for logs while :meth:`MatchingError.render` says it in French or Arabic (plural forms
included); ``file``, ``row``, ``column`` and ``key`` stay as they are, for programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matching.messages import Message, plural_message, render_message

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


def _message(reason: str | Message, fallback: Message) -> Message:
    """``reason`` as a message: English text from outside the catalogues says
    ``fallback`` in the other languages."""
    return reason if isinstance(reason, Message) else Message.verbatim(reason, fallback)


class MatchingError(Exception):
    """Root of every exception the engine raises on purpose.

    ``message`` is what is wrong, as data; ``str(error)`` says it in English and
    :meth:`render` in any language of :mod:`matching.messages`."""

    fallback = Message("the matching failed")
    """What an error raised with plain English text says in the other languages."""

    def __init__(self, message: str | Message) -> None:
        self.message = _message(message, self.fallback)
        super().__init__(str(self.message))

    def render(self, language: str = "en") -> str:
        """The whole error in ``language`` (``str(error)`` in English)."""
        return render_message(self.message, language)

    def __reduce__(self) -> tuple[Any, ...]:
        # Whole, with its fields and message, across processes (a Dask worker's error).
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(kind: type[MatchingError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


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

    fallback = Message("this setting is invalid")

    def __init__(self, key: str, reason: str | Message, source: str | None = None) -> None:
        self.key = key
        self.source = source
        self.reason_message = _message(reason, self.fallback)
        self.reason = str(self.reason_message)
        named = _PLACES.get(key, key)
        super().__init__(
            Message(
                "{source}: {key}: {reason}", source=source, key=named, reason=self.reason_message
            )
            if source
            else Message("{key}: {reason}", key=named, reason=self.reason_message)
        )


_PLACES: dict[str, str | Message] = {
    "(file)": Message("(file)"),
    "(syntax)": Message("(syntax)"),
    "(top level)": Message("(top level)"),
}
"""The keys of errors about a whole configuration file, said in the reader's language
(``ConfigError.key`` keeps them as they are)."""


@dataclass(frozen=True)
class Problem:
    """One located problem in input data: where it is and why it is refused
    (``message``; ``reason`` is its English text)."""

    file: str | None
    row: int | None
    column: str | None
    message: Message

    @property
    def reason(self) -> str:
        return str(self.message)

    def __str__(self) -> str:
        return self.render("en")

    def render(self, language: str = "en") -> str:
        """Where and why in ``language``: ``file, row 3, column: reason``."""
        return render_message(self.located(), language)

    def located(self) -> Message:
        """The problem with its place, as one message."""
        if self.row is not None:
            where: tuple[str | Message | None, ...] = (
                self.file,
                Message("row {row}", row=self.row),
                self.column,
            )
        else:
            where = (self.file, self.column)
        parts = tuple(p for p in where if p)
        if not parts:
            return self.message
        place = parts[0]
        for part in parts[1:]:
            place = Message("{place}, {part}", place=place, part=part)
        return Message("{place}: {reason}", place=place, reason=self.message)


class InputError(MatchingError):
    """Participant or score data is invalid.

    ``row`` is the line number a person sees in a spreadsheet (the header is row 1), or the
    0-based position in a JSON list when the data did not come from a file.
    """

    fallback = Message("this value is refused")

    def __init__(
        self,
        reason: str | Message,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.problem = Problem(file, row, column, _message(reason, self.fallback))
        super().__init__(self.problem.located())

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
        super().__init__(first.message, file=first.file, row=first.row, column=first.column)
        more = len(self.problems) - 1
        if more:
            self.message = plural_message(
                "{problem} (and {count} more problem)",
                "{problem} (and {count} more problems)",
                more,
                problem=first.located(),
            )
            self.args = (str(self.message),)


class RuleError(MatchingError):
    """Rules or decisions contradict each other (e.g. a locked pair is forbidden)."""

    fallback = Message("the rules and decisions contradict each other")


class QuotaError(RuleError):
    """Hard quotas that no matching can meet (the message says which and why)."""

    fallback = Message("the hard quotas cannot all be met")


class SolverError(MatchingError):
    """The solver failed, or returned a solution the validator refuses."""

    fallback = Message("the solver failed (the log has the details)")


@dataclass(frozen=True, slots=True)
class InputWarning:
    """Something in the input the run does not use as the files might suggest: a column
    nobody reads, an absent count column, an optional rule switched off. ``message`` names
    side, file and column, never a cell's content."""

    code: str
    """``unread_column``, ``demand_absent``, ``capacity_absent``, ``min_load_absent``,
    ``rule_off``, ``rule_column_empty`` or ``role_absent``."""
    side: Literal["mentee", "mentor"] | None
    column: str | None
    message: Message
    """The warning in words (``str()``: English; :meth:`render`: any language)."""
    rule: str | None = None
    """The rule a ``rule_off`` warning is about."""

    def render(self, language: str = "en", file: str | None = None) -> str:
        """The warning in ``language``; ``file`` names the side's file when the message
        could only say "the mentee table"."""
        message = self.message
        if file and "file" in message.values:
            message = message.replacing(file=file)
        return render_message(message, language)

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        return {
            "code": self.code,
            "side": self.side,
            "column": self.column,
            "message": self.render(language),
        }


class StrictInputError(InputErrors):
    """A strict run refused: every warning is listed as a problem."""

    def __init__(self, warnings: Sequence[InputWarning]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(
            [
                Problem(None, None, w.column, Message("strict: {warning}", warning=w.message))
                for w in self.warnings
            ]
        )


class ClusterError(MatchingError):
    """The Dask cluster a match was asked to run on cannot be reached or failed (the
    message names the scheduler's address and the reason)."""

    fallback = Message("the Dask cluster cannot be reached or failed (the log has the details)")
