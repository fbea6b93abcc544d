"""pairs and unmatched mentees keep their evidence as data, so explanations are rendered
in each reader's language

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("run_pairs", "run_unmatched"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("run_pairs", "run_unmatched"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("evidence")
