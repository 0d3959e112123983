"""Voice: cloned voice per persona, spoken replies on/off per user and space, speech usage.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("personas") as batch:
        batch.add_column(
            sa.Column("custom_voice_id", sa.String(100), nullable=False, server_default="")
        )
    with op.batch_alter_table("usage_log") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="chat"))
        batch.add_column(sa.Column("characters", sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "voice_prefs",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "space_id",
            sa.Integer,
            sa.ForeignKey("spaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("voice_prefs")
    with op.batch_alter_table("usage_log") as batch:
        batch.drop_column("characters")
        batch.drop_column("kind")
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("custom_voice_id")
