"""The stateless ``POST /v1/match`` request and answer (DESIGN §5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from matching.model import MAX_SCORE, Objective, Programme, Proposing
from service.schemas.common import FieldValue, JsonInt
from service.schemas.outcomes import GroupOut, InputWarningOut, QuotaOut

__all__ = [
    "AlternativeOut",
    "GapOut",
    "MatchIn",
    "MatchOut",
    "PairOut",
    "ParticipantIn",
    "RankIn",
    "ScoreIn",
    "UnmatchedOut",
]


class ParticipantIn(BaseModel):
    """A participant: her id plus the fields the programme's criteria and rules read, in
    the programme's own column names (its `fields` say which one is the id: `id` by
    default, `identifiant` ...)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    __pydantic_extra__: dict[str, FieldValue]

    id: StrictStr | StrictInt | None = None
    """Text or a whole number (never ``true``); spaces around it are dropped. Absent when
    the programme names another id column."""

    def record(self) -> dict[str, Any]:
        """The participant as a flat record (lists joined with ``|``; ``id`` as text)."""
        fields = {
            name: "|".join(value) if isinstance(value, list) else value
            for name, value in (self.__pydantic_extra__ or {}).items()
        }
        if self.id is None:
            return fields
        return {"id": str(self.id).strip(" "), **fields}


class ScoreIn(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")

    mentee_id: StrictStr | StrictInt
    mentor_id: StrictStr | StrictInt
    score: float = Field(strict=True, ge=0.0, le=MAX_SCORE)


class RankIn(BaseModel):
    """One ranked choice: ``rank`` 1 is the first choice; equal ranks are ties."""

    model_config = ConfigDict(extra="forbid")

    mentee_id: StrictStr | StrictInt
    mentor_id: StrictStr | StrictInt
    rank: JsonInt = Field(ge=1, le=10**9)


class MatchIn(BaseModel):
    """Participants and either a programme configuration or precomputed scores."""

    model_config = ConfigDict(extra="forbid")

    mentees: list[ParticipantIn] = Field(min_length=1)
    mentors: list[ParticipantIn] = Field(min_length=1)
    programme: Programme | None = Field(
        default=None,
        description="A programme configuration (the model `marraine config schema` prints); "
        "default: the digital-business one",
    )
    scores: list[ScoreIn] | None = Field(
        default=None, description="Precomputed pair scores, replacing the criteria"
    )
    objective: Objective | None = None
    proposing: Proposing | None = Field(
        default=None,
        description="For the stable objective: `mentees` (the mentee-optimal stable "
        "matching) or `mentors` (the mentor-optimal one); overrides the programme's "
        "`[stable] proposing`, so a score table or ranks need no programme",
    )
    mentee_ranks: list[RankIn] | None = Field(
        default=None,
        description="The mentees' ranked choices, for the stable objective (implied when "
        "no objective is given); an unranked pair is not acceptable to the mentee",
    )
    mentor_ranks: list[RankIn] | None = Field(
        default=None, description="The mentors' ranked choices, likewise"
    )


class PairOut(BaseModel):
    mentee_id: str
    mentor_id: str
    score: float
    contributions: dict[str, float]
    why: str
    evidence: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Each criterion's evidence as data (kind, criterion, values): `why` "
        "is its rendering in the Accept-Language asked for",
    )


class UnmatchedOut(BaseModel):
    mentee_id: str
    reason: str
    detail: str


class AlternativeOut(BaseModel):
    mentor_id: str
    score: float
    spare_capacity: int


class GapOut(BaseModel):
    need: str
    language: str
    mentees: int
    group: dict[str, str] = Field(
        default_factory=dict,
        description="The group the gap concerns (group column -> value, as the "
        "programme's `fields` name them); empty: every mentee. With a group, `mentees` "
        "counts its unmatched mentees and `sharing` those of them who share the need "
        "and language (`*`: not known)",
    )
    sharing: int = Field(default=0, ge=0)


class MatchOut(BaseModel):
    pairs: list[PairOut]
    unmatched: list[UnmatchedOut]
    warnings: list[InputWarningOut] = Field(
        default_factory=list, description="What the run did not use as configured"
    )
    quotas: list[QuotaOut] = Field(
        default_factory=list, description="Each quota, met or short by how many"
    )
    groups: list[GroupOut] = Field(
        default_factory=list, description="Match rate and mean score per group value"
    )
    alternatives: dict[str, list[AlternativeOut]]
    gaps: list[GapOut]
    summary: dict[str, Any]
