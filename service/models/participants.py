"""Participants of a programme: one row a person and side, fields as JSON, and whether
a coordinator has approved her (people who signed up through a form wait as
``pending``; runs read ``approved`` people only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("programme_id", "side", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Every field but ``id`` (counts included), as submitted after normalisation."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(
        String(10), default="approved", server_default=text("'approved'"), index=True
    )
    """``approved`` (uploads, and sign-ups a coordinator approved) or ``pending``."""
    link_nonce: Mapped[str | None] = mapped_column(String(32))
    """Set for people who signed up through a form: with the instance secret it derives
    her own link's token (so the mail outbox can send it); only the token's SHA-256 is
    stored, in ``link_sha256``."""
    link_sha256: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)


PARTICIPANT_STATUSES = ("approved", "pending")
