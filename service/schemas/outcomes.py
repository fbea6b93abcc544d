"""What a run reports beside its pairs: input warnings, the quota report and the match
rate per group (the engine's ``warnings``, ``quotas`` and ``groups``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["GroupOut", "InputWarningOut", "QuotaOut"]


class InputWarningOut(BaseModel):
    """Something in the participants the run did not use as the configuration says
    (never a cell's content)."""

    code: str = Field(description="e.g. `unread_column`, `rule_off`, `absent_count`")
    side: Literal["mentee", "mentor"] | None
    column: str | None
    message: str


class QuotaOut(BaseModel):
    """A quota and how the run met it."""

    name: str = Field(description="`field=value`")
    field: str
    value: str
    hard: bool
    required: int = Field(ge=0, description="Members to be matched")
    members: int = Field(ge=0, description="Mentees in the group")
    matched: int = Field(ge=0)
    met: bool
    short: int = Field(ge=0, description="Members missing (0 when met)")
    penalty: float = Field(
        ge=0.0, description="Score given up to this soft quota (short x its penalty); 0 if hard"
    )


class GroupOut(BaseModel):
    """Match rate and mean score of one value of a mentee group column."""

    column: str
    value: str
    mentees: int = Field(ge=0)
    matched: int = Field(ge=0)
    match_rate: float = Field(ge=0.0, le=1.0)
    mean_score: float | None
