"""Waves (intakes), their settings and reports; mentees' choices (rounds, links, the
public lists and answers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

__all__ = [
    "ChoiceAnswerIn",
    "ChoiceFormOut",
    "ChoiceLinkOut",
    "ChoiceOptionOut",
    "ChoiceRoundIn",
    "ChoiceRoundOut",
    "ChoicesSentOut",
    "MentorAnswerIn",
    "WaveIn",
    "WaveLineOut",
    "WaveOut",
    "WaveReportOut",
    "WaveSettingsIn",
    "WaveSettingsOut",
]

Priority = Literal["bonus", "first"]
PersonId = str


class WaveSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority = Field(
        default="bonus",
        description="How mentees carried over from the wave before are favoured: `bonus` "
        "(each of their pairs counts `bonus` more) or `first` (as many of them matched as "
        "can be, before anyone else)",
    )
    bonus: float = Field(default=0.1, gt=0.0, le=1000.0, description="The score bonus")
    choices: StrictBool = Field(
        default=False, description="Whether mentees rank a short list after a run"
    )
    choices_k: int = Field(
        default=3, ge=0, le=20, description="Alternatives offered beside the suggestion"
    )
    choice_days: int = Field(
        default=7, ge=1, le=90, description="Days to the deadline when a round gives none"
    )


class WaveSettingsOut(WaveSettingsIn):
    pass


class WaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)


class WaveOut(BaseModel):
    id: str
    programme_id: str
    number: int
    name: str
    status: Literal["open", "closed"]
    created_at: datetime
    closed_at: datetime | None
    carried_in: int = Field(
        description="Mentees the wave before's published run left unmatched (still "
        "participants): its runs favour them"
    )


class WaveLineOut(BaseModel):
    column: str | None = Field(description="The mentee group column (null: everyone)")
    value: str | None
    participants: int
    matched: int = Field(description="With an approved or locked pair in the published run")
    carried_in: int = Field(description="Carried over from the wave before")
    carried_over: int = Field(description="Left unmatched: carried over to the next wave")


class WaveReportOut(BaseModel):
    wave: WaveOut
    run_id: str = Field(description="The wave's run published last")
    lines: list[WaveLineOut]


class ChoiceRoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline: datetime | None = Field(
        default=None,
        description="When the lists close (without an offset: UTC; default: the "
        "settings' `choice_days` from now); after it, a mentee who did not answer keeps "
        "her suggestion",
    )

    @field_validator("deadline")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class ChoiceRoundOut(BaseModel):
    id: str
    run_id: str
    k: int
    deadline: datetime
    created_at: datetime
    final_run_id: str | None
    mentees: int = Field(description="Mentees offered a list")
    answered: int = Field(description="Mentees who ranked their list")
    mentors: int = Field(description="Mentors asked to accept or decline")
    declined: int = Field(description="Options a mentor declined")


class ChoiceLinkOut(BaseModel):
    side: Literal["mentee", "mentor"]
    person_id: PersonId
    link: str = Field(description="The person's page; shown once, only its hash is kept")


class ChoicesSentOut(BaseModel):
    round: ChoiceRoundOut
    links: list[ChoiceLinkOut]


class ChoiceOptionOut(BaseModel):
    id: PersonId = Field(description="The mentor (on a mentee's list) or the mentee")
    name: str
    score: float
    suggested: bool
    seats: Literal["suggested", "spare"] = Field(
        description="`suggested`: her suggestion; `spare`: the mentor has a seat left "
        "once every suggestion is made (allowed by the rules, never a previous pair)"
    )
    rank: int | None
    answer: Literal["accept", "decline"] | None


class ChoiceFormOut(BaseModel):
    programme: str
    side: Literal["mentee", "mentor"]
    name: str
    language: str
    deadline: datetime
    answered: bool
    options: list[ChoiceOptionOut]


class ChoiceAnswerIn(BaseModel):
    """A mentee's ranking: mentors of her list, best first; those left out are not
    wanted (at least one)."""

    model_config = ConfigDict(extra="forbid")

    ranking: list[str] = Field(min_length=1, max_length=21)


class MentorAnswerIn(BaseModel):
    """A mentor's answers: the mentees proposed to her she declines (the others are
    accepted)."""

    model_config = ConfigDict(extra="forbid")

    declined: list[str] = Field(default_factory=list, max_length=10_000)
