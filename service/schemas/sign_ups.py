"""Sign-up forms: the coordinators' form links and pending sign-ups, the public form and
each person's own link."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from service.schemas.common import FieldValue

__all__ = [
    "ChoiceOut",
    "FormFieldOut",
    "PendingOut",
    "PersonOut",
    "Side",
    "SignUpDecisionIn",
    "SignUpDecisionOut",
    "SignUpFormIn",
    "SignUpFormOut",
    "SignUpOut",
    "SubmissionIn",
    "SubmittedOut",
]

Side = Literal["mentees", "mentors"]


class SignUpFormIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    side: Side
    days: int | None = Field(
        default=None, ge=1, le=365, description="Days the link works (none: until revoked)"
    )


class SignUpFormOut(BaseModel):
    """A form link; ``link`` only in the answer that opened it (only its hash is kept)."""

    id: str
    side: Side
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    submissions: int
    link: str | None = None


class PendingOut(BaseModel):
    """A sign-up waiting for a coordinator: her id and fields as submitted."""

    id: str
    side: Side
    fields: dict[str, FieldValue]
    submitted_at: datetime


class SignUpDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    side: Side
    ids: list[str] = Field(min_length=1, max_length=500)


class SignUpDecisionOut(BaseModel):
    approved: int = 0
    rejected: int = 0


class ChoiceOut(BaseModel):
    value: str
    label: str


class FormFieldOut(BaseModel):
    """One question: the programme's column it fills and how it is asked."""

    column: str
    kind: Literal[
        "text",
        "email",
        "language",
        "number",
        "choice",
        "tags",
        "levels",
        "availability",
        "long_text",
    ]
    title: str
    required: bool
    choices: list[ChoiceOut]
    minimum: float | None
    maximum: float | None


class SignUpOut(BaseModel):
    """A form as its link opens it, in the language asked for."""

    programme: str
    side: Side
    fields: list[FormFieldOut]
    guardian_consent: bool = Field(description="Whether a guardian's consent is asked")
    retention_notice: str


class SubmissionIn(BaseModel):
    """A person's answers as cells of one row of the programme's file: tags joined by
    ``|``, levels as ``tag:3``, slots as ``mon 18-20``."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[str, FieldValue]
    consent: StrictBool
    guardian_consent: StrictBool = False


class SubmittedOut(BaseModel):
    """A sign-up received: pending until a coordinator approves it; ``link`` is her own
    (to see, correct or withdraw her data), shown this once here."""

    status: Literal["pending", "approved"]
    link: str


class PersonOut(BaseModel):
    """What a person's own link shows her."""

    programme: str
    side: Side
    status: Literal["pending", "approved"]
    fields: dict[str, FieldValue]
