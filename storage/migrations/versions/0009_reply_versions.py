"""Regenerated replies keep every version (swipes); the turn shows one.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("versions", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "reply_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("turn_id", sa.Integer, sa.ForeignKey("turns.id", ondelete="CASCADE")),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="done"),
        sa.Column("model", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_reply_versions_turn", "reply_versions", ["turn_id", "n"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_reply_versions_turn", "reply_versions")
    op.drop_table("reply_versions")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("versions")
        batch.drop_column("version")
