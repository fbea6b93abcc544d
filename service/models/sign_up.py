"""Sign-up form links: a programme's secret link to its form for one side."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow


class SignUpForm(Base):
    """One form link: anyone holding its token may sign up on ``side``; only the token's
    SHA-256 is kept. It stops working when revoked or past ``expires_at``."""

    __tablename__ = "sign_up_forms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(10))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submissions: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """How many people signed up through it (a count, no link to them)."""
