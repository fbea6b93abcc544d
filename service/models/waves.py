"""Intakes in waves and mentees' choices: each programme's wave settings, its waves, and
the rounds of choices offered after a run (the short lists, each person's link — the
SHA-256 of its token only — and what she answered)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from service.models.base import Base, UTCDateTime, utcnow

PRIORITIES = ("bonus", "first")
"""How mentees carried over from an earlier wave are favoured."""
WAVE_STATUSES = ("open", "closed")


class WaveSettings(Base):
    """A programme's settings for waves and choices (absent row: the defaults)."""

    __tablename__ = "wave_settings"

    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    priority: Mapped[str] = mapped_column(String(10), default="bonus")
    """``bonus``: a carried-over mentee's pairs count ``bonus`` more; ``first``: as many
    carried-over mentees are matched as can be, before anyone else."""
    bonus: Mapped[float] = mapped_column(default=0.1)
    choices: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Whether mentees rank a short list after a run (and mentors accept or decline)."""
    choices_k: Mapped[int] = mapped_column(default=3)
    """Alternatives offered beside the suggestion."""
    choice_days: Mapped[int] = mapped_column(default=7)
    """Days from the lists' sending to the deadline, when none is given."""


class Wave(Base):
    """One intake of a programme: its runs, the mentees it carried over from the wave
    before, and its report once a run of it is published."""

    __tablename__ = "waves"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    """1 for the first wave, then 2, 3 ... in order of creation."""
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChoiceRound(Base):
    """The short lists offered after one run, until a deadline; ``final_run_id`` is the
    stable run made from the answers."""

    __tablename__ = "choice_rounds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    programme_id: Mapped[str] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True, unique=True
    )
    """One round per run."""
    k: Mapped[int]
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    final_run_id: Mapped[str | None] = mapped_column(String(40))


class ChoiceOption(Base):
    """One mentor on one mentee's list: her suggestion or an alternative, the mentee's
    rank (None: not ranked, i.e. not wanted, or no answer) and the mentor's answer."""

    __tablename__ = "choice_options"
    __table_args__ = (UniqueConstraint("round_id", "mentee_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(
        ForeignKey("choice_rounds.id", ondelete="CASCADE"), index=True
    )
    mentee_id: Mapped[str] = mapped_column(String(200))
    mentor_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]
    suggested: Mapped[bool]
    seats: Mapped[str] = mapped_column(String(10))
    """``suggested`` (her own suggestion) or ``spare`` (the mentor has a seat left once
    every suggestion is made)."""
    rank: Mapped[int | None]
    mentor_answer: Mapped[str | None] = mapped_column(String(10))
    """``accept``, ``decline``, or None (no answer: acceptable)."""


class ChoiceLink(Base):
    """One person's link in a round: a mentee's list to rank, or a mentor's proposed
    mentees to accept or decline. The link works until the round's deadline."""

    __tablename__ = "choice_links"
    __table_args__ = (UniqueConstraint("round_id", "side", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(
        ForeignKey("choice_rounds.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
