"""An imported character card's own fields, kept with the persona; persona versions.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("card", sa.JSON, nullable=False, server_default="{}"))
    op.create_table(
        "persona_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("persona_id", sa.Integer, sa.ForeignKey("personas.id", ondelete="CASCADE")),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("summary", sa.String(300), nullable=False, server_default=""),
        sa.Column(
            "by_user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("persona_id", "n"),
    )


def downgrade() -> None:
    op.drop_table("persona_versions")
    with op.batch_alter_table("personas") as batch:
        batch.drop_column("card")
