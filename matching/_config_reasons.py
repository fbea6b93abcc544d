"""Why a configuration is refused, as a :class:`~matching.messages.Message`: pydantic's
validation errors by their ``type`` and context (its own words are English only), and the
syntax errors of the TOML and JSON readers by the line and column they name."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import ErrorDetails

from matching.messages import Message, plural_message

__all__ = ["config_reason", "syntax_reason"]

_QUOTED = re.compile(r"'([^']*)'")
_AT_LINE = re.compile(r"line (\d+), column (\d+)")


def _expected(context: Mapping[str, Any]) -> tuple[str, ...]:
    """The quoted values of pydantic's ``expected`` (``'a', 'b' or 'c'``) as names."""
    return tuple(_QUOTED.findall(str(context.get("expected", ""))))


_BY_TYPE: dict[str, Callable[[Mapping[str, Any]], Message]] = {
    "missing": lambda c: Message("this setting is required"),
    "extra_forbidden": lambda c: Message("unknown setting (check its spelling)"),
    "greater_than": lambda c: Message("must be above {limit}", limit=c["gt"]),
    "greater_than_equal": lambda c: Message("must be {limit} or more", limit=c["ge"]),
    "less_than": lambda c: Message("must be below {limit}", limit=c["lt"]),
    "less_than_equal": lambda c: Message("must be {limit} or less", limit=c["le"]),
    "finite_number": lambda c: Message("must be a finite number"),
    "int_parsing": lambda c: Message("must be a whole number"),
    "int_type": lambda c: Message("must be a whole number"),
    "int_from_float": lambda c: Message("must be a whole number"),
    "float_parsing": lambda c: Message("must be a number"),
    "float_type": lambda c: Message("must be a number"),
    "bool_parsing": lambda c: Message("must be true or false"),
    "bool_type": lambda c: Message("must be true or false"),
    "string_type": lambda c: Message("must be a text"),
    "string_too_short": lambda c: Message("must not be empty"),
    "too_short": lambda c: plural_message(
        "needs at least {count} item", "needs at least {count} items", c["min_length"]
    ),
    "too_long": lambda c: plural_message(
        "takes at most {count} item", "takes at most {count} items", c["max_length"]
    ),
    "list_type": lambda c: Message("must be a list"),
    "tuple_type": lambda c: Message("must be a list"),
    "dict_type": lambda c: Message("must be a table / object"),
    "model_type": lambda c: Message("must be a table / object"),
    "literal_error": lambda c: Message("must be one of {values}", values=_expected(c)),
    "enum": lambda c: Message("must be one of {values}", values=_expected(c)),
    "union_tag_invalid": lambda c: Message(
        "unknown {field} (use one of {values})", field=c["discriminator"], values=_expected(c)
    ),
    "union_tag_not_found": lambda c: Message(
        "needs a {field} setting", field=str(c["discriminator"]).strip("'")
    ),
}


def config_reason(error: ErrorDetails) -> Message:
    """One pydantic error in words of the catalogues: a validator's own :class:`Message`
    (raised as ``ValueError(Message(...))``), else the words for its type, else pydantic's
    English (which other languages replace by a general sentence)."""
    context: Mapping[str, Any] = error.get("ctx") or {}
    raised = context.get("error")
    if isinstance(raised, Exception) and raised.args and isinstance(raised.args[0], Message):
        return raised.args[0]
    words = _BY_TYPE.get(error["type"])
    if words is not None:
        try:
            return words(context)
        except KeyError:
            pass
    return Message.verbatim(str(error["msg"]), Message("this setting is invalid"))


def syntax_reason(error: ValueError) -> Message:
    """A TOML or JSON syntax error: where it is (the parser's own words are English)."""
    if isinstance(error, json.JSONDecodeError):
        line, column = error.lineno, error.colno
    else:
        found = _AT_LINE.search(str(error))
        if found is None:
            return Message("not valid TOML or JSON")
        line, column = int(found[1]), int(found[2])
    return Message("syntax error at line {line}, column {column}", line=line, column=column)
