"""Long-term memory items per (user, persona) and each persona's shared knowledge.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memory_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("importance", sa.Float, nullable=False, server_default="0.5"),
        sa.Column("strength", sa.Float, nullable=False, server_default="1.0"),
        sa.Column("tier", sa.String(16), nullable=False, server_default="hot"),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("superseded_by", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_recalled_at", sa.DateTime, nullable=True),
        sa.Column("recall_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "source_turn_id",
            sa.Integer,
            sa.ForeignKey("turns.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_index("ix_memory_owner", "memory_items", ["user_id", "persona_id", "status"])
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("knowledge", sa.Text, nullable=False, server_default=""))
    # Background fact extraction: done when extracted_at is set; retried a few times otherwise.
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("extracted_at", sa.DateTime, nullable=True))
        batch.add_column(
            sa.Column("extract_attempts", sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("extract_attempts")
        batch.drop_column("extracted_at")
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("knowledge")
    op.drop_index("ix_memory_owner", "memory_items")
    op.drop_table("memory_items")
