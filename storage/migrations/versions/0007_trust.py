"""Trust fixes: cut replies marked, memories remember where they were formed, an inbox of
platform updates persisted before they are confirmed.

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


def downgrade() -> None:
    op.drop_table("memory_scopes")
    with op.batch_alter_table("memory_items") as batch:
        batch.drop_column("space_id")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("status")
