"""What follows publishing: each programme's follow-up settings, the messages sent to
participants (introductions, check-in links), the check-ins and their answers, and the
configurations proposed from outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow

MESSAGE_KINDS = ("introduction", "checkin")
MESSAGE_STATUSES = ("pending", "sent", "failed")


class FollowUp(Base):
    """A programme's follow-up settings (absent row: the defaults)."""

    __tablename__ = "follow_up_settings"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    checkin_weeks: Mapped[int] = mapped_column(default=6)
    """Weeks after publishing when each person's check-in is due."""
    link_days: Mapped[int] = mapped_column(default=28)
    """Days a check-in link works after it is issued."""


class Message(Base):
    """One message to one person about one pair: an introduction or a check-in link.

    Holds ids, language, state and a reason code; never the address or the text (both
    are read from the participant when the message is sent, so an erasure leaves none)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("programme_id", "kind", "side", "mentee_id", "mentor_id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    side: Mapped[str] = mapped_column(String(10))
    """Who receives it: the pair's ``mentee`` or its ``mentor``."""
    mentee_id: Mapped[str] = mapped_column(String(200))
    mentor_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(String(40))
    """Why the last attempt failed (``no_address``, ``connection_failed`` ...)."""
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(Base):
    """One person's check-in on one pair: when it is due, its link (the SHA-256 of the
    token only), and her answer."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("programme_id", "side", "mentee_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    side: Mapped[str] = mapped_column(String(10))
    mentee_id: Mapped[str] = mapped_column(String(200))
    mentor_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting: Mapped[bool | None]
    rating: Mapped[int | None]
    continuing: Mapped[bool | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)


class Proposal(Base):
    """A configuration proposed from outcomes: adopted by a coordinator, never by itself."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    based_on: Mapped[int]
    """The configuration version whose weights it changes."""
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    """AUCs with their intervals, weights, pair counts."""
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    adopted_by: Mapped[str | None] = mapped_column(String(40))
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_version: Mapped[int | None]
