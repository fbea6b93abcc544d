"""Programmes, every version of their configuration, and their published pairs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    """The current configuration version."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_run_id: Mapped[str | None] = mapped_column(String(40))
    follow_up_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Whether the introductions and check-ins of the pairs last published are still to
    be queued (:func:`service.ops.introductions.queue_follow_up`)."""


class ProgrammeVersion(Base):
    __tablename__ = "programme_versions"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(40))


class ActivePair(Base):
    """A pair in effect for a programme: the approved pairs of its last published run."""

    __tablename__ = "active_pairs"
    __table_args__ = (UniqueConstraint("programme_id", "mentee_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    mentee_id: Mapped[str] = mapped_column(String(200))
    mentor_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]
    run_id: Mapped[str] = mapped_column(String(40))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeRanks(Base):
    """One side's ranked preferences uploaded for a programme (``mentee_id, mentor_id,
    rank`` rows): stable runs that bring no ranks of their own take a copy."""

    __tablename__ = "programme_ranks"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(10), primary_key=True)
    """``mentee`` (the mentees' choices) or ``mentor`` (the mentors')."""
    rows: Mapped[list[list[Any]]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    """Of the rows as stored, so a coordinator can tell which file a run used."""
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str | None] = mapped_column(String(40))
