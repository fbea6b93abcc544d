"""intakes in waves and mentees' choices: wave settings per programme, waves, a run's
wave and carry-over priority, rounds of choices with their options and hashed links

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _programme(primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "programme_id",
        sa.String(40),
        sa.ForeignKey("programmes.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _round() -> sa.Column[str]:
    return sa.Column(
        "round_id",
        sa.String(40),
        sa.ForeignKey("choice_rounds.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "wave_settings",
        _programme(primary_key=True),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("bonus", sa.Float(), nullable=False),
        sa.Column("choices", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("choices_k", sa.Integer(), nullable=False),
        sa.Column("choice_days", sa.Integer(), nullable=False),
    )
    op.create_table(
        "waves",
        sa.Column("id", sa.String(40), primary_key=True),
        _programme(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("programme_id", "number"),
    )
    op.create_index("ix_waves_programme_id", "waves", ["programme_id"])
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("wave_id", sa.String(40), nullable=True))
        batch.add_column(sa.Column("priority", sa.JSON(none_as_null=True), nullable=True))
        batch.create_foreign_key(
            "fk_runs_wave_id", "waves", ["wave_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_runs_wave_id", ["wave_id"])
    op.create_table(
        "choice_rounds",
        sa.Column("id", sa.String(40), primary_key=True),
        _programme(),
        sa.Column(
            "run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("deadline", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("final_run_id", sa.String(40), nullable=True),
    )
    op.create_index("ix_choice_rounds_programme_id", "choice_rounds", ["programme_id"])
    op.create_index("ix_choice_rounds_run_id", "choice_rounds", ["run_id"], unique=True)
    op.create_table(
        "choice_options",
        sa.Column("id", sa.Integer(), primary_key=True),
        _round(),
        sa.Column("mentee_id", sa.String(200), nullable=False),
        sa.Column("mentor_id", sa.String(200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("suggested", sa.Boolean(), nullable=False),
        sa.Column("seats", sa.String(10), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("mentor_answer", sa.String(10), nullable=True),
        sa.UniqueConstraint("round_id", "mentee_id", "mentor_id"),
    )
    op.create_index("ix_choice_options_round_id", "choice_options", ["round_id"])
    op.create_table(
        "choice_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        _round(),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("person_id", sa.String(200), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("round_id", "side", "person_id"),
    )
    op.create_index("ix_choice_links_round_id", "choice_links", ["round_id"])


def downgrade() -> None:
    for table in ("choice_links", "choice_options", "choice_rounds"):
        op.drop_table(table)
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_wave_id")
        batch.drop_constraint("fk_runs_wave_id", type_="foreignkey")
        batch.drop_column("priority")
        batch.drop_column("wave_id")
    for table in ("waves", "wave_settings"):
        op.drop_table(table)
