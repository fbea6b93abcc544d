"""Shapes shared by every resource: error bodies, pages, participant field values."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from service.ops.paging import Slice

__all__ = ["ErrorItem", "FieldValue", "Message", "Page", "ValidationErrorOut", "page_of"]

FieldValue = str | int | float | bool | list[str] | None
"""What a participant's field may hold in JSON: text, a number, a flag or a list of tags."""

T = TypeVar("T")


class Message(BaseModel):
    """An error answer with a sentence (401, 403, 404, 409, 413)."""

    detail: str


class ErrorItem(BaseModel):
    """One refused value: where it is and why — never the value itself."""

    loc: list[str | int]
    msg: str
    type: str
    file: str | None = None
    row: int | None = None
    column: str | None = None


class ValidationErrorOut(BaseModel):
    """A 422 answer: every problem found, by location and reason."""

    detail: list[ErrorItem]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)


def page_of(rows: Slice[Any], items: list[T]) -> Page[T]:
    """The answer for one window of a listing: ``items`` are ``rows.items`` as shown."""
    return Page(items=items, total=rows.total, offset=rows.offset, limit=rows.limit)
