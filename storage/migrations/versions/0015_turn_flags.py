"""Turn flags: what a message set off (e.g. "safety": it held a crisis phrase).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("flags", sa.String(32), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("flags")
