"""Ranked preferences stored with a programme."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["RanksOut"]


class RanksOut(BaseModel):
    """One side's stored ranked choices (never the choices themselves: they name people)."""

    side: Literal["mentees", "mentors"]
    rows: int = Field(description="Ranked choices stored (one per row of the file)")
    people: int = Field(description="Mentees (or mentors) who ranked at least one person")
    sha256: str = Field(description="Hash of the stored choices; runs record the ranks they used")
    uploaded_at: datetime
