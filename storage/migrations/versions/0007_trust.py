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


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("status")
