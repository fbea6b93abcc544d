"""What follows publishing: follow-up settings, messages, check-ins and their public
form, outcomes, and configurations proposed from outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from service.schemas.common import JsonInt

__all__ = [
    "CheckInAnswerIn",
    "CheckInFormOut",
    "CheckInLinkOut",
    "CheckInOut",
    "EndReason",
    "FollowUpIn",
    "FollowUpOut",
    "FollowUpStatsOut",
    "LearnIn",
    "MessageOut",
    "OutcomeOut",
    "ProposalOut",
    "RetryOut",
]

EndReason = Literal["goal_reached", "no_time", "no_contact", "poor_fit", "moved_away", "other"]
Side = Literal["mentee", "mentor"]


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checkin_weeks: int = Field(default=6, ge=1, le=104, description="Weeks after publishing")
    link_days: int = Field(default=28, ge=1, le=365, description="Days a check-in link works")


class FollowUpOut(BaseModel):
    checkin_weeks: int
    link_days: int


class MessageOut(BaseModel):
    id: int
    run_id: str
    kind: Literal["introduction", "checkin", "sign_up"]
    side: Side
    mentee_id: str
    mentor_id: str
    status: Literal["pending", "sending", "sent", "failed"]
    reason: str | None = Field(
        description="Why the last attempt failed: no_address, no_recipient, "
        "connection_failed, tls_failed, auth_failed, recipient_refused, smtp_error"
    )
    attempts: int
    attempted_at: datetime | None
    sent_at: datetime | None


class RetryOut(BaseModel):
    queued: int = Field(description="Failed messages put back in the queue")


class CheckInOut(BaseModel):
    id: int
    run_id: str
    side: Side
    mentee_id: str
    mentor_id: str
    due_at: datetime
    issued_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    answered_at: datetime | None


class CheckInLinkOut(BaseModel):
    """A new link, shown once (only its hash is kept): for programmes that send the
    links from their own tools."""

    checkin_id: int
    side: Side
    mentee_id: str
    mentor_id: str
    link: str
    expires_at: datetime


class CheckInFormOut(BaseModel):
    """What a check-in link shows its person: her pair, and the form's choices."""

    programme: str
    side: Side
    name: str
    partner: str
    language: Literal["en", "fr", "ar"]
    expires_at: datetime
    answered: bool
    end_reasons: list[EndReason]


_REASON_WHEN_ENDED: dict[str, Any] = {
    "if": {"properties": {"continuing": {"const": False}}, "required": ["continuing"]},
    "then": {"required": ["end_reason"], "properties": {"end_reason": {"type": "string"}}},
}
"""The spec's words for :meth:`CheckInAnswerIn._reason_when_ended`."""


class CheckInAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_REASON_WHEN_ENDED)

    meeting: StrictBool = Field(description="Are you meeting?")
    rating: JsonInt = Field(ge=1, le=5, description="How it is going, 1 (badly) to 5 (very well)")
    continuing: StrictBool = Field(description="false: the pair ended early")
    end_reason: EndReason | None = Field(default=None, description="Required when ended")
    comment: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _reason_when_ended(self) -> CheckInAnswerIn:
        if not self.continuing and self.end_reason is None:
            raise ValueError("end_reason is required when the pair ended early")
        return self


class OutcomeOut(BaseModel):
    """A pair's answers summed up (researchers see pseudonyms for the ids)."""

    run_id: str
    mentee_id: str
    mentor_id: str
    answers: int
    meeting: bool
    mean_rating: float
    continuing: bool
    end_reasons: list[str]
    outcome: Literal["good", "poor", "ended_early"]


class FollowUpStatsOut(BaseModel):
    issued: int = Field(description="Check-in links issued")
    answered: int
    response_rate: float | None
    mean_rating: float | None
    group_column: str | None = Field(description="The mentee group the ratings are split by")
    rating_by_group: dict[str, float]
    at_risk: list[OutcomeOut] = Field(description="Not meeting, rated below 3, or ended early")


class LearnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, ge=0, le=2**31, description="Seed of the folds and bootstrap")
    n_bootstrap: int = Field(default=500, ge=50, le=5000)


class ProposalOut(BaseModel):
    id: str
    programme_id: str
    based_on: int = Field(description="The configuration version whose weights it changes")
    status: Literal["proposed", "adopted"]
    report: dict[str, Any] = Field(
        description="auc and auc_ci (learned, out of fold), current_auc and current_auc_ci, "
        "auc_gain and auc_gain_ci, uniform_auc, weights, current_weights, n_pairs, n_positive"
    )
    config: dict[str, Any]
    created_by: str
    created_at: datetime
    adopted_by: str | None
    adopted_at: datetime | None
    adopted_version: int | None
