"""runs: a stored JSON 'null' in ``error`` or ``summary`` becomes SQL NULL

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in ("error", "summary"):
        op.execute(f"UPDATE runs SET {column} = NULL WHERE CAST({column} AS TEXT) = 'null'")


def downgrade() -> None:
    """Nothing to undo: SQL NULL reads as None like the JSON 'null' did."""
