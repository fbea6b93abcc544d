"""Programmes and their configuration versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ActivePairOut", "ConfigIn", "ProgrammeIn", "ProgrammeOut", "VersionOut"]


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    config: dict[str, Any] | None = Field(
        default=None, description="Programme configuration; default: the digital-business one"
    )


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any]


class ProgrammeOut(BaseModel):
    id: str
    name: str
    version: int
    config_sha256: str
    config: dict[str, Any]
    created_at: datetime
    published_run_id: str | None


class VersionOut(BaseModel):
    version: int
    sha256: str
    config: dict[str, Any]
    created_at: datetime


class ActivePairOut(BaseModel):
    mentee_id: str
    mentor_id: str
    score: float
    run_id: str
    published_at: datetime
