"""One page of a listing and its total: the count-and-slice every listing shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

__all__ = ["Slice", "Window", "paginate"]

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """Which rows a listing returns: ``limit`` rows after the first ``offset``."""

    offset: int
    limit: int


@dataclass(frozen=True)
class Slice(Generic[T]):
    """The rows of one window, and how many rows the whole listing has."""

    items: list[T]
    total: int
    offset: int
    limit: int


def paginate(session: Session, query: Select[T], window: Window, *order: Any) -> Slice[T]:
    """The rows of ``query`` in ``window``, sorted by ``order`` (give a unique last key,
    so pages neither repeat nor skip rows), with the listing's total."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.order_by(*order).offset(window.offset).limit(window.limit))
    return Slice(items=list(rows), total=int(total or 0), offset=window.offset, limit=window.limit)
