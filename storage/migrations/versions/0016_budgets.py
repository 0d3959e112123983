"""Budgets: message rate buckets, limit overrides, and usage indexed by time.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_table(
        "budget_overrides",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_index("ix_usage_user_at", "usage_log", ["user_id", "created_at"])
    op.create_index("ix_usage_space_at", "usage_log", ["space_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_usage_space_at", "usage_log")
    op.drop_index("ix_usage_user_at", "usage_log")
    op.drop_table("budget_overrides")
    op.drop_table("rate_buckets")
