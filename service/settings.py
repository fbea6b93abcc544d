"""The service's configuration: the one place the environment is read.

Every variable is prefixed ``MARRAINE_`` except ``DATABASE_URL``, which keeps its
conventional name (``MARRAINE_DATABASE_URL`` works too).
"""

from __future__ import annotations

from functools import cache

from limits import parse
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Service settings; construct one explicitly in tests, or read the environment."""

    model_config = SettingsConfigDict(
        env_prefix="MARRAINE_", extra="ignore", populate_by_name=True, frozen=True
    )

    database_url: str = Field(
        default="sqlite:///./marraine.db",
        validation_alias=AliasChoices("DATABASE_URL", "MARRAINE_DATABASE_URL", "database_url"),
    )
    secret_key: SecretStr | None = None
    """Keys the pseudonyms (HMAC-SHA256 of ids). When unset, one is generated on first
    start and kept in the database, so pseudonyms stay stable across restarts."""
    max_body_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_batch_mentees: int = Field(default=5000, gt=0)
    """Most mentees in one stateless ``POST /v1/match`` or one JSON upsert."""
    max_batch_mentors: int = Field(default=2000, gt=0)
    max_page_size: int = Field(default=500, gt=0)
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed to call the API from a browser; none by default."""
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    """How often a worker writes progress and its heartbeat while a run is going."""
    stale_after_seconds: float = Field(default=60.0, gt=0)
    """A running run whose heartbeat is older than this is declared failed."""
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    log_level: str = "INFO"
    auth_failures_per_address: str = "20/minute"
    """Failed API keys and sign-ins one client address may make in a moving window
    before every attempt from it answers 429 (``limits`` notation: ``N/second``,
    ``N/minute``, ``N/hour``). Counted in the server process's memory."""
    auth_failures_per_key: str = "10/minute"
    """Failed attempts on one key id (wrong secret) before that key id answers 429."""

    @field_validator("auth_failures_per_address", "auth_failures_per_key")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse(value)  # raises ValueError on a malformed rate
        return value


@cache
def get_settings() -> Settings:
    """The settings read from the environment, once per process."""
    return Settings()
