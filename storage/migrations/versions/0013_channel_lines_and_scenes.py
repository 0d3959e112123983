"""Group chats: the lines said in public channels (channel context, reply chains), scenes with
several personas, and which replies heard other people's lines.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_lines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("space_id", sa.Integer, sa.ForeignKey("spaces.id", ondelete="CASCADE")),
        sa.Column("channel_ref", sa.String(64), nullable=False),
        sa.Column("message_ref", sa.String(64), nullable=False, server_default=""),
        sa.Column("reply_to_ref", sa.String(64), nullable=False, server_default=""),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "turn_id", sa.Integer, sa.ForeignKey("turns.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_channel_lines_where", "channel_lines", ["space_id", "channel_ref", "id"])
    op.create_index("ix_channel_lines_ref", "channel_lines", ["space_id", "message_ref"])
    op.create_table(
        "scenes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("space_id", sa.Integer, sa.ForeignKey("spaces.id", ondelete="CASCADE")),
        sa.Column("channel_ref", sa.String(64), nullable=False),
        sa.Column(
            "starter_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("persona_ids", sa.JSON, nullable=False),
        sa.Column("next_index", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("space_id", "channel_ref"),
    )
    with op.batch_alter_table("turns") as batch:
        batch.add_column(
            sa.Column("heard_others", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("heard_others")
    op.drop_table("scenes")
    op.drop_index("ix_channel_lines_ref", "channel_lines")
    op.drop_index("ix_channel_lines_where", "channel_lines")
    op.drop_table("channel_lines")
