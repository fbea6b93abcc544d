"""Programmes and their configuration versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matching.model import Programme as ProgrammeConfig

__all__ = ["ActivePairOut", "ConfigIn", "ProgrammeIn", "ProgrammeOut", "VersionOut"]


EXAMPLE_CONFIG: dict[str, Any] = {
    "name": "digital-business",
    "criteria": [
        {
            "kind": "needs",
            "name": "needs",
            "mentee_field": "needs",
            "mentor_field": "expertise",
            "weight": 3.0,
        },
        {
            "kind": "overlap",
            "name": "languages",
            "mentee_field": "languages",
            "mentor_field": "languages",
            "mode": "any",
            "required": True,
        },
    ],
    "rules": [
        {"kind": "exclude_same", "mentee_field": "organisation", "mentor_field": "organisation"}
    ],
    "quotas": [{"field": "cooperative", "value": "yes", "min_share": 0.4}],
    "objective": "coverage",
}
"""A programme configuration as an integrator writes it (also the spec's example)."""

_CONFIG_DESCRIPTION = (
    "The programme configuration: criteria by `kind`, rules, objective, quotas, solver "
    "options, the columns playing each role (`fields`); the same model `marraine match "
    "--config` reads from TOML and `marraine config schema` prints. Rules across fields "
    "(unique criterion names, a weight above 0, quotas with a method that honours them) "
    "are checked too and refused with 422. Sent as `application/toml`, the body is this "
    "configuration alone, as in a TOML file."
)


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Cohort 2027", "config": EXAMPLE_CONFIG}]},
    )

    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The programme's name; default: its configuration's `name`",
    )
    config: ProgrammeConfig | None = Field(
        default=None, description=_CONFIG_DESCRIPTION + " Default: the digital-business one."
    )

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.name is None and self.config is None:
            raise ValueError("give the programme a name, or a configuration with one")
        return self

    @property
    def title(self) -> str:
        """The name given, else the configuration's."""
        if self.name is not None:
            return self.name
        assert self.config is not None  # checked by _named
        return self.config.name


class ConfigIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"config": EXAMPLE_CONFIG}]}
    )

    config: ProgrammeConfig = Field(description=_CONFIG_DESCRIPTION)


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
