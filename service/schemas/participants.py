"""Participants: bulk upsert, lists, export of one person, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas.common import FieldValue
from service.schemas.match import ParticipantIn

__all__ = [
    "ErasureOut",
    "ExportOut",
    "ParticipantOut",
    "ParticipantsIn",
    "Side",
    "UpsertOut",
]

Side = Literal["mentees", "mentors"]


class ParticipantsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participants: list[ParticipantIn]


class UpsertOut(BaseModel):
    created: int
    updated: int


class ParticipantOut(BaseModel):
    """A participant; for researchers ``id`` is a pseudonym and free text is withheld."""

    id: str
    fields: dict[str, FieldValue]
    updated_at: datetime


class ExportOut(BaseModel):
    """Everything held about one person (right of access)."""

    programme_id: str
    side: Side
    id: str
    fields: dict[str, FieldValue]
    status: Literal["approved", "pending"] = Field(
        description="pending: signed up through a form, not yet approved"
    )
    updated_at: datetime
    suggested_pairs: list[dict[str, Any]]
    active_pairs: list[dict[str, Any]]
    decisions: list[dict[str, Any]]


class ErasureOut(BaseModel):
    erased: bool
    pseudonym: str
    removed: dict[str, int]
