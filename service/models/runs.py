"""Match runs (the job table the workers claim from), the workers' heartbeats, and the
runs' stored results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow

RUN_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("programme_id", "idempotency_key"),
        Index("ix_runs_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    config_sha256: Mapped[str] = mapped_column(String(64))
    objective: Mapped[str | None] = mapped_column(String(20))
    rematch_of: Mapped[str | None] = mapped_column(String(40))
    locked: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    forbidden: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    incumbent: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    ranks: Mapped[dict[str, list[list[Any]]] | None] = mapped_column(JSON)
    """Ranked choices of a stable run: ``mentee`` / ``mentor`` lists of
    ``[mentee_id, mentor_id, rank]`` (a side absent: none given)."""
    wave_id: Mapped[str | None] = mapped_column(
        ForeignKey("waves.id", ondelete="SET NULL"), index=True
    )
    """The wave (intake) the run belongs to, if any."""
    priority: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    """How the run favours mentees carried over from the wave before: ``mode``
    (``bonus`` or ``first``), ``bonus`` and the ``carried`` mentee ids; None: nobody is."""
    strict: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Whether any input warning (an unread column, an optional rule switched off ...)
    refuses the run."""
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    step: Mapped[str | None] = mapped_column(String(20))
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # ``none_as_null``: a Python None is SQL NULL, as for a column never written, never
    # the JSON text 'null' (one "no error" whichever path wrote the row).
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    worker_id: Mapped[str | None] = mapped_column(String(40))
    """The :class:`RunWorker` that holds the run while it is ``running``."""
    worker_pid: Mapped[int | None]
    worker_host: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The last progress report of the run (its worker's liveness is in ``workers``)."""
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """How many times a worker claimed the run (a run whose worker was lost is queued
    again until ``max_run_attempts`` is reached)."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunWorker(Base):
    """A live run worker, on any host: it refreshes ``heartbeat_at`` every
    ``heartbeat_seconds`` and deletes its row when it stops. A worker whose heartbeat is
    older than ``worker_timeout_seconds`` (by the database's clock) is lost."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RunPair(Base):
    """A suggested pair and the coordinators' current decision on it."""

    __tablename__ = "run_pairs"
    __table_args__ = (UniqueConstraint("run_id", "mentee_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    mentee_id: Mapped[str] = mapped_column(String(200))
    mentor_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]
    contributions: Mapped[dict[str, float]] = mapped_column(JSON)
    why: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """Each criterion's evidence as data (:class:`matching.messages.Evidence`), so ``why``
    is rendered in each reader's language; NULL in runs made before 0.3 (``why`` is kept)."""
    decision: Mapped[str] = mapped_column(String(20), default="suggested")


class RunUnmatched(Base):
    __tablename__ = "run_unmatched"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The detail as data, as :attr:`RunPair.evidence`."""


class RunAlternative(Base):
    __tablename__ = "run_alternatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int]
    mentor_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]
    spare_capacity: Mapped[int]
    contributions: Mapped[dict[str, float] | None] = mapped_column(JSON)
    """Each criterion's contribution (empty for score tables; NULL in runs made before 0.2)."""


class RunGap(Base):
    __tablename__ = "run_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    need: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(200))
    mentees: Mapped[int]
    group: Mapped[dict[str, str] | None] = mapped_column(JSON)
    """The group the gap concerns (group column -> value); None or empty: everyone."""
    sharing: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """With a group: its unmatched mentees who share the need and language."""
