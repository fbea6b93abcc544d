"""The check before a run (``POST /v1/programmes/{id}/check``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.schemas.outcomes import InputWarningOut

__all__ = ["CheckOut", "ProblemOut"]


class ProblemOut(BaseModel):
    """Something that would refuse a run (a column a criterion or rule needs is absent,
    a cell the engine cannot read): file, row and column, never the cell's content."""

    file: str | None
    row: int | None
    column: str | None
    reason: str
    message: str = Field(
        default="", description="The reason in the `Accept-Language` asked for (`reason`: English)"
    )


class CheckOut(BaseModel):
    """What a run of the programme's current configuration would read of its stored
    participants; nothing is matched."""

    ok: bool = Field(description="Whether a run would start (warnings aside)")
    roles: dict[str, list[dict[str, Any]]] = Field(
        description="Per side, each role (id, name, counts, groups, region, ignored "
        "columns): its column and whether the participants have it"
    )
    criteria: list[dict[str, Any]] = Field(
        description="Per criterion and side: its column, whether found, distinct values, "
        "empty cells, values its labels do not know; for tags and categories, the values "
        "the other side never has (`unshared`, `unshared_values`: a typo, a need no mentor "
        "offers)"
    )
    rules: list[dict[str, Any]] = Field(
        description="Per rule: its columns, `status` (on, off, refused) and the pairs it excludes"
    )
    unread: list[dict[str, Any]] = Field(description="Columns nobody reads (side, column)")
    quotas: list[dict[str, Any]] | None = Field(
        description="Per quota: required, members, how many can be matched at most, and "
        "what limits it (null: not reported)"
    )
    warnings: list[InputWarningOut]
    problems: list[ProblemOut]
