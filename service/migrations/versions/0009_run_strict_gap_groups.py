"""runs record whether they were strict (every input warning refuses them); recruitment
gaps record the group they concern (column -> value, empty without groups) and how many
of its unmatched mentees share the gap's need and language

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("strict", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("run_gaps") as batch:
        batch.add_column(sa.Column("group", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("sharing", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("run_gaps") as batch:
        batch.drop_column("sharing")
        batch.drop_column("group")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("strict")
