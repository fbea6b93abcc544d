"""The service's configuration: the one place the environment is read.

Every variable is prefixed ``MARRAINE_`` except ``DATABASE_URL``, which keeps its
conventional name (``MARRAINE_DATABASE_URL`` works too).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from functools import cache
from typing import Literal

from limits import parse
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "unknown_variables", "warn_unknown_variables"]

log = logging.getLogger("service.settings")

# ``MARRAINE_`` variables that other parts of Marraine read, not the service's settings:
# the engine's Dask scheduler, and the notebooks' service address, key and programme.
OTHER_VARIABLES = frozenset(
    {"MARRAINE_DASK_SCHEDULER", "MARRAINE_URL", "MARRAINE_KEY", "MARRAINE_PROGRAMME"}
)


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
    """Largest JSON request body (parsed in memory)."""
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    """Largest file upload (participant and rank files, spooled to disk while received):
    a 100,000-mentee CSV is about 31 MB."""
    max_batch_mentees: int = Field(default=5000, gt=0)
    """Most mentees in one stateless ``POST /v1/match`` or one JSON upsert."""
    max_batch_mentors: int = Field(default=2000, gt=0)
    max_page_size: int = Field(default=500, gt=0)
    review_cache_runs: int = Field(default=8, ge=0)
    """How many runs' pairs and chart figures each server process keeps between views of
    the review page (checked against the run's decisions and participants at every
    view; 0 keeps none)."""
    cors_origins: list[str] = Field(default_factory=list)
    """Origins allowed to call the API from a browser; none by default."""
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    """How often a worker refreshes its heartbeat (and a run's progress), and how often
    ``serve`` checks on its workers."""
    worker_timeout_seconds: float = Field(default=10.0, gt=0)
    """A worker whose heartbeat is older than this (by the database's clock) is lost: its
    run is queued again for another worker, and ``serve`` kills and replaces it if it is
    one of its own (a stopped or frozen process)."""
    stale_after_seconds: float = Field(default=600.0, gt=0)
    """A worker whose run has reported no progress for this long is hung: it stops
    beating and exits, so its run is recovered. Must exceed the longest silent step of a
    run (the solver's ``time_limit_seconds`` plus building the model)."""
    worker_start_seconds: float = Field(default=60.0, gt=0)
    """How long ``serve`` gives a new worker process to start beating."""
    max_run_attempts: int = Field(default=3, ge=1)
    """A run whose worker was lost this many times is failed (``worker_lost``) rather
    than queued again: a run that kills its worker must not kill them all."""
    workers: int = Field(default=1, ge=0)
    """How many worker processes ``serve`` starts and supervises (``--workers``); 0 for
    an API-only process when workers run elsewhere (``marraine worker``)."""
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    """How often an idle worker looks for a queued run."""
    log_level: str = "INFO"
    auth_failures_per_address: str = "20/minute"
    """Failed API keys and sign-ins one client address may make in a moving window
    before every attempt from it answers 429 (``limits`` notation: ``N/second``,
    ``N/minute``, ``N/hour``). Counted in the server process's memory."""
    auth_failures_per_key: str = "10/minute"
    """Failed attempts on one key id (wrong secret) before that key id answers 429."""
    sign_ups_per_address: str = "30/hour"
    """Sign-up form submissions (and corrections through a person's own link) one client
    address may send in a moving window before it answers 429 (a school's network is one
    address: raise it for programmes that sign up a class at once)."""
    public_url: str = "http://127.0.0.1:8000"
    """The address participants reach the service at: the check-in links in e-mails and
    exports start with it (behind a proxy, the proxy's public address)."""
    smtp_host: str | None = None
    """The SMTP server introductions and check-in links are sent through; unset: nothing
    is sent, and programmes use the mail-merge exports."""
    smtp_port: int = Field(default=25, gt=0, lt=65536)
    smtp_from: str = "marraine@localhost"
    """The sender address of every message."""
    smtp_tls: Literal["off", "starttls"] = "off"
    """``starttls``: upgrade the connection before sending (and before credentials)."""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("auth_failures_per_address", "auth_failures_per_key", "sign_ups_per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse(value)  # raises ValueError on a malformed rate
        return value

    @model_validator(mode="after")
    def _heartbeat_fits_timeout(self) -> Settings:
        if self.worker_timeout_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("worker_timeout_seconds must be at least 2 x heartbeat_seconds")
        return self


@cache
def get_settings() -> Settings:
    """The settings read from the environment, once per process."""
    return Settings()


def _setting_variables() -> set[str]:
    """Every variable name a setting is read from (the prefix, or its aliases)."""
    names = {f"MARRAINE_{name.upper()}" for name in Settings.model_fields}
    for field in Settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(alias).upper() for alias in field.validation_alias.choices)
    return names


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """``MARRAINE_`` variables in ``environ`` that no setting reads, each with the
    setting it most resembles (a misspelling is otherwise silently unused)."""
    known = _setting_variables() | OTHER_VARIABLES
    unknown = sorted(
        n for n in environ if n.upper().startswith("MARRAINE_") and n.upper() not in known
    )
    return [
        (name, next(iter(difflib.get_close_matches(name.upper(), sorted(known), n=1)), None))
        for name in unknown
    ]


def warn_unknown_variables(environ: Mapping[str, str]) -> None:
    """Log a warning per unknown ``MARRAINE_`` variable (its name only, never its value)."""
    for name, closest in unknown_variables(environ):
        log.warning(
            "unknown setting variable: it is not read",
            extra={"fields": {"variable": name, "did_you_mean": closest}},
        )
