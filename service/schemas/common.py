"""Shapes shared by every resource: error bodies, pages, participant field values."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.ops.paging import Slice

__all__ = [
    "BODY",
    "READ",
    "WRITE",
    "ErrorItem",
    "FieldValue",
    "JsonInt",
    "Message",
    "Page",
    "ValidationErrorOut",
    "error_responses",
    "page_of",
    "upload_body",
]

FieldValue = str | int | float | bool | list[str] | None
"""What a participant's field may hold in JSON: text, a number, a flag or a list of tags."""

T = TypeVar("T")


def _not_bool_or_text(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("must be a whole number")
    return value


JsonInt = Annotated[int, BeforeValidator(_not_bool_or_text)]
"""A whole number as JSON Schema's ``integer`` means it: ``3`` and ``3.0``, not ``true``
or ``"3"`` (pydantic's strict int refuses ``3.0``, its lax int takes the other two)."""


class Message(BaseModel):
    """An error answer with a sentence (400, 401, 403, 404, 409, 413, 429)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "missing or invalid API key"}]}
    )

    detail: str


class ErrorItem(BaseModel):
    """One refused value: where it is and why — never the value itself."""

    loc: list[str | int]
    msg: str
    type: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    message: str | None = Field(
        default=None,
        description="The reason in the `Accept-Language` asked for (en, fr or ar; English "
        "without the header); `msg` stays English",
    )


class ValidationErrorOut(BaseModel):
    """A 422 answer: every problem found, by location and reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": [
                        {
                            "loc": ["body", "name"],
                            "msg": "String should have at least 1 character",
                            "type": "string_too_short",
                        }
                    ]
                }
            ]
        }
    )

    detail: list[ErrorItem]


_ERRORS: dict[int, tuple[str, Any]] = {
    400: ("The body cannot be read: JSON that is not UTF-8, or broken multipart.", Message),
    401: ("Missing or invalid API key (checked before the body is read).", Message),
    403: ("The key's role may not do this (a read-only key writing, a non-admin).", Message),
    404: ("Not found, or outside the key's programme.", Message),
    409: ("The stored state refuses the request now.", Message),
    413: ("The body or a batch is larger than the server accepts.", Message),
    422: (
        "The request is invalid: every problem by location and reason, or a sentence for "
        "a rule the request breaks whatever the stored state.",
        ValidationErrorOut | Message,
    ),
    429: ("Too many failed authentications: retry after `Retry-After` seconds.", Message),
}

READ = (401, 404, 422, 429)
"""What any operation on a resource can answer besides success."""
WRITE = (*READ, 403)
"""What an operation that changes a resource adds (a read-only key gets 403)."""
BODY = (400, 413)
"""What an operation that reads a body adds."""


def error_responses(*groups: tuple[int, ...] | int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: each status it can answer, with its error
    model and why (groups of statuses such as :data:`WRITE` and single statuses)."""
    codes = sorted(
        {code for group in groups for code in (group if isinstance(group, tuple) else (group,))}
    )
    return {code: {"model": _ERRORS[code][1], "description": _ERRORS[code][0]} for code in codes}


def upload_body(suffixes: tuple[str, ...]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route taking one ``file`` part: its name must end with
    one of ``suffixes`` (any case), which the document states on the part's
    ``Content-Disposition`` (refused with 422 otherwise: the name says how to read it)."""
    either_case = "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in suffix[1:])
        for suffix in suffixes
    )
    rule = f"a file name ending {', '.join(suffixes)} (any case)"
    disposition = {
        "description": f"The part's file name: {rule}.",
        "required": True,
        "schema": {"type": "string", "pattern": f'filename="[^"]*\\.({either_case})"'},
    }
    return {
        "requestBody": {
            "description": f"One `file` part with {rule}; its content is read as the name says.",
            "content": {
                "multipart/form-data": {
                    "encoding": {"file": {"headers": {"Content-Disposition": disposition}}}
                }
            },
        }
    }


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)


def page_of(rows: Slice[Any], items: list[T]) -> Page[T]:
    """The answer for one window of a listing: ``items`` are ``rows.items`` as shown."""
    return Page(items=items, total=rows.total, offset=rows.offset, limit=rows.limit)
