"""Token usage log (survives wipes) and per-space model overrides.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("persona_name", sa.String(100), nullable=False, server_default=""),
        sa.Column(
            "space_id", sa.Integer, sa.ForeignKey("spaces.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("model", sa.String(200), nullable=False, server_default=""),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_usage_user", "usage_log", ["user_id", "persona_id"])
    # Backfill from the turn log so /usage covers conversations held before this revision.
    op.execute(
        "INSERT INTO usage_log (user_id, persona_id, persona_name, space_id, model,"
        " prompt_tokens, completion_tokens, created_at)"
        " SELECT t.user_id, t.persona_id, p.name, t.space_id, t.model, t.prompt_tokens,"
        " t.completion_tokens, t.created_at FROM turns t JOIN personas p ON p.id = t.persona_id"
        " WHERE t.role = 'assistant'"
    )
    op.create_table(
        "space_settings",
        sa.Column(
            "space_id",
            sa.Integer,
            sa.ForeignKey("spaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("model", sa.String(200), nullable=False, server_default=""),
        sa.Column("temperature", sa.Float, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("space_settings")
    op.drop_index("ix_usage_user", "usage_log")
    op.drop_table("usage_log")
