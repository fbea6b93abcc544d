"""Signed-in sessions of the review page, held server-side so signing out ends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow


class SignedInSession(Base):
    """One signed-in session: the SHA-256 of the token its cookie carries (never the
    token), the API key it signed in with, and when it expires.

    Deleted when its coordinator signs out and when its key is revoked or deleted."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
