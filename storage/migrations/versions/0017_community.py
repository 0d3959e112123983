"""Running it for a community: access rules, persona reports and moderation, linked accounts.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_rules",
        sa.Column("scope", sa.String(64), primary_key=True),  # space:<id> | global:<platform>
        sa.Column("kind", sa.String(16), primary_key=True),  # user | role | channel
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("mode", sa.String(8), nullable=False),  # allow | block
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "persona_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "reporter_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "space_id", sa.Integer, sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # open | acted | dismissed
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    # Plain ADD COLUMN: a batch copy of these tables would cascade-delete what references them.
    op.add_column(
        "personas", sa.Column("moderated", sa.String(16), nullable=False, server_default="")
    )
    op.add_column(
        "personas", sa.Column("moderation_reason", sa.Text, nullable=False, server_default="")
    )
    op.add_column("users", sa.Column("linked_to", sa.Integer, nullable=True))
    op.create_index("ix_users_linked_to", "users", ["linked_to"])
    op.create_table(
        "link_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_codes")
    op.drop_index("ix_users_linked_to", "users")
    op.drop_column("users", "linked_to")  # SQLite 3.35+ drops a column in place
    op.drop_column("personas", "moderation_reason")
    op.drop_column("personas", "moderated")
    op.drop_table("persona_reports")
    op.drop_table("access_rules")
