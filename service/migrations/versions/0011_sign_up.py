"""sign-up forms: form links per programme and side (hashed tokens), and on each
participant whether a coordinator approved her and her own link (the token's hash and
the nonce that derives it); every existing participant is approved

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from service.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "participants",
        sa.Column("status", sa.String(10), nullable=False, server_default=sa.text("'approved'")),
    )
    op.add_column("participants", sa.Column("link_nonce", sa.String(32), nullable=True))
    op.add_column("participants", sa.Column("link_sha256", sa.String(64), nullable=True))
    op.create_index("ix_participants_status", "participants", ["status"])
    op.create_index("ix_participants_link_sha256", "participants", ["link_sha256"], unique=True)
    op.create_table(
        "sign_up_forms",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "programme_id",
            sa.String(40),
            sa.ForeignKey("programmes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("submissions", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_sign_up_forms_programme_id", "sign_up_forms", ["programme_id"])


def downgrade() -> None:
    op.drop_table("sign_up_forms")
    op.drop_index("ix_participants_link_sha256", "participants")
    op.drop_index("ix_participants_status", "participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("link_sha256")
        batch.drop_column("link_nonce")
        batch.drop_column("status")
