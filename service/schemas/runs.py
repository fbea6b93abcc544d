"""Match runs: creation (incl. rematch), status, results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from matching.model import Objective
from service.schemas.match import AlternativeOut, RankIn
from service.schemas.outcomes import GroupOut, InputWarningOut, QuotaOut

__all__ = [
    "GroupOut",
    "InputWarningOut",
    "QuotaOut",
    "RunIn",
    "RunOut",
    "RunPairOut",
    "RunStatus",
    "RunUnmatchedOut",
]

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
Decided = Literal["suggested", "approved", "rejected", "locked"]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objective: Objective | None = None
    rematch_of: str | None = Field(
        default=None,
        max_length=40,
        description="A succeeded run whose decisions the new run honours: approved and "
        "locked pairs kept, rejected pairs never proposed, other pairs changed as little "
        "as the objective allows",
    )
    mentee_ranks: list[RankIn] | None = Field(
        default=None,
        max_length=1_000_000,
        description="The mentees' ranked choices for a stable run (implied when no "
        "objective is given); a rematch without ranks keeps those of the run it redoes; "
        "otherwise a run whose objective is stable or not given takes the programme's stored "
        "ranks (PUT /v1/programmes/{id}/ranks/{side})",
    )
    mentor_ranks: list[RankIn] | None = Field(
        default=None, max_length=1_000_000, description="The mentors' ranked choices"
    )
    wave_id: str | None = Field(
        default=None,
        max_length=40,
        description="The open wave (intake) the run belongs to: pairs published by "
        "runs outside it are never proposed, and the mentees the wave before left "
        "unmatched are favoured as the programme's wave settings say (not in a stable "
        "run); a rematch stays in its parent's wave",
    )
    strict: bool = Field(
        default=False,
        strict=True,
        description="Refuse the run on any input warning (a column nobody reads, an "
        "optional rule switched off, an absent count column): the run fails and its "
        "`error` names every warning",
    )


class RunOut(BaseModel):
    id: str
    programme_id: str
    status: RunStatus
    progress: float = Field(ge=0.0, le=1.0)
    step: str | None
    version: int
    config_sha256: str
    objective: Objective = Field(
        description="The objective the run optimises: the one it was created with, else "
        "its programme's (``stable`` when ranked choices imply it); never null"
    )
    objective_given: bool = Field(
        description="Whether the run was created with its own objective (false: the programme's)"
    )
    rematch_of: str | None
    wave_id: str | None
    priority: dict[str, Any] | None = Field(
        description="How the run favours mentees carried over from the wave before: "
        "`mode` (`bonus`: each of their pairs counts `bonus` more, as a soft quota whose "
        "penalty is the bonus; `first`: as many of them matched as can be before anyone "
        "else, as a hard quota), `bonus`, `carried` (how many); null: nobody is"
    )
    strict: bool
    error: dict[str, Any] | None = Field(
        description="Why a failed run failed: `type` and `reason`; a strict run refused "
        "on warnings lists them under `warnings`"
    )
    summary: dict[str, Any] | None
    warnings: list[InputWarningOut] = Field(
        description="What the run did not use as configured (empty until it has run)"
    )
    quotas: list[QuotaOut] = Field(description="Each quota, met or short by how many")
    groups: list[GroupOut] = Field(
        description="Match rate and mean score per value of each mentee group column"
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    published_at: datetime | None


class RunPairOut(BaseModel):
    mentee_id: str
    mentor_id: str
    score: float
    contributions: dict[str, float]
    why: str
    decision: Decided
    alternatives: list[AlternativeOut]


class RunUnmatchedOut(BaseModel):
    mentee_id: str
    reason: str
    detail: str
    alternatives: list[AlternativeOut]
