"""Shapes shared by every resource: error bodies, pages, participant field values."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

__all__ = ["ErrorItem", "FieldValue", "Message", "Page", "ValidationErrorOut"]

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
