"""Trust fixes: cut replies marked, memories remember where they were formed, an inbox of
platform updates kept before they are confirmed.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        # "cut": the model's stream ended without saying it was finished.
        batch.add_column(sa.Column("status", sa.String(8), nullable=False, server_default="done"))
    with op.batch_alter_table("memory_items") as batch:
        # Where the memory was formed: recall in a group draws only on that group's memories
        # unless the user opts in (unknown, for older items: never surfaced in a group).
        batch.add_column(sa.Column("space_id", sa.Integer, nullable=True))
    op.create_table(
        "memory_scopes",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("everywhere", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )

    # Platform updates kept before the platform is told they arrived (Telegram confirms a batch
    # with its next getUpdates): a crash loses none; a restart replays or explains each.
    op.create_table(
        "inbox",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("taken_at", sa.DateTime, nullable=True),
        sa.Column("done_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_inbox_open", "inbox", ["platform", "done_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_open", "inbox")
    op.drop_table("inbox")
    op.drop_table("memory_scopes")
    with op.batch_alter_table("memory_items") as batch:
        batch.drop_column("space_id")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("status")
