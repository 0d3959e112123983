"""Who sent each kept update: a worker holding a user's turn settles that user's earlier
updates another worker kept, or began and never finished (it died), before the new one.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("sender", sa.String(64), nullable=True))
        batch.create_index("ix_inbox_sender", ["platform", "sender", "done_at"])


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index("ix_inbox_sender")
        batch.drop_column("sender")
