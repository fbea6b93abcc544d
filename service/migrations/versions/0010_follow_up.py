"""what follows publishing: follow-up settings per programme, the messages sent to
participants (introductions, check-in links) with their delivery state, check-ins with
hashed tokens and answers, and configurations proposed from outcomes

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _programme() -> sa.Column[str]:
    return sa.Column(
        "programme_id",
        sa.String(40),
        sa.ForeignKey("programmes.id", ondelete="CASCADE"),
        nullable=False,
    )


def _pair() -> list[sa.Column[str]]:
    return [
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("mentee_id", sa.String(200), nullable=False),
        sa.Column("mentor_id", sa.String(200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "follow_up_settings",
        sa.Column(
            "programme_id",
            sa.String(40),
            sa.ForeignKey("programmes.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("checkin_weeks", sa.Integer(), nullable=False),
        sa.Column("link_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        _programme(),
        sa.Column("kind", sa.String(20), nullable=False),
        *_pair(),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("programme_id", "kind", "side", "mentee_id", "mentor_id"),
    )
    op.create_index("ix_messages_programme_id", "messages", ["programme_id"])
    op.create_index("ix_messages_run_id", "messages", ["run_id"])
    op.create_index("ix_messages_status", "messages", ["status"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        _programme(),
        *_pair(),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=True, unique=True),
        sa.Column("issued_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("meeting", sa.Boolean(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("continuing", sa.Boolean(), nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.UniqueConstraint("programme_id", "side", "mentee_id", "mentor_id"),
    )
    op.create_index("ix_checkins_programme_id", "checkins", ["programme_id"])
    op.create_index("ix_checkins_run_id", "checkins", ["run_id"])
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(40), primary_key=True),
        _programme(),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("adopted_by", sa.String(40), nullable=True),
        sa.Column("adopted_at", UTCDateTime(), nullable=True),
        sa.Column("adopted_version", sa.Integer(), nullable=True),
    )
    op.create_index("ix_proposals_programme_id", "proposals", ["programme_id"])


def downgrade() -> None:
    for table in ("proposals", "checkins", "messages", "follow_up_settings"):
        op.drop_table(table)
