"""Coordinator decisions on a run's pairs and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DecisionIn", "DecisionOut", "PublishOut"]

Action = Literal["approve", "reject", "lock", "swap"]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    mentee_id: str = Field(min_length=1, max_length=200)
    mentor_id: str = Field(min_length=1, max_length=200, description="The pair's mentor")
    new_mentor_id: str | None = Field(
        default=None, max_length=200, description="For swap: one of the mentee's alternatives"
    )
    reason: str = Field(default="", max_length=2000)


class DecisionOut(BaseModel):
    id: int
    run_id: str
    action: Action
    mentee_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    key_id: str
    created_at: datetime


class PublishOut(BaseModel):
    run_id: str
    active_pairs: int
    published_at: datetime
