"""Several chats per (user, persona), the chat chosen per space, rolling chat summaries.

Every existing conversation becomes its owner's first chat.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _owner_columns() -> list[sa.Column]:
    return [
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("persona_id", sa.Integer, sa.ForeignKey("personas.id", ondelete="CASCADE")),
    ]


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.Integer, primary_key=True),
        *_owner_columns(),
        sa.Column("title", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_chats_owner", "chats", ["user_id", "persona_id"])
    op.create_table(
        "chat_choices",
        sa.Column("id", sa.Integer, primary_key=True),
        *_owner_columns(),
        sa.Column("space_id", sa.Integer, sa.ForeignKey("spaces.id", ondelete="CASCADE")),
        sa.Column("chat_id", sa.Integer, sa.ForeignKey("chats.id", ondelete="CASCADE")),
        sa.UniqueConstraint("user_id", "persona_id", "space_id"),
    )
    op.create_table(
        "chat_summaries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.Integer, sa.ForeignKey("chats.id", ondelete="CASCADE")),
        sa.Column("space_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("text", sa.Text, nullable=False, server_default=""),
        sa.Column("through_turn_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("turns", sa.Integer, nullable=False, server_default="0"),
        sa.Column("memory_id", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("chat_id", "space_id"),
    )
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("chat_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_turns_chat", "chats", ["chat_id"], ["id"], ondelete="CASCADE")
    op.create_index("ix_turns_chat", "turns", ["chat_id", "id"])
    op.execute(
        "INSERT INTO chats (user_id, persona_id, title, created_at) "
        "SELECT user_id, persona_id, '', MIN(created_at) FROM turns "
        "GROUP BY user_id, persona_id"
    )
    op.execute(
        "UPDATE turns SET chat_id = (SELECT chats.id FROM chats WHERE chats.user_id = "
        "turns.user_id AND chats.persona_id = turns.persona_id)"
    )


def downgrade() -> None:
    op.drop_index("ix_turns_chat", "turns")
    with op.batch_alter_table("turns") as batch:
        batch.drop_constraint("fk_turns_chat", type_="foreignkey")
        batch.drop_column("chat_id")
    op.drop_table("chat_summaries")
    op.drop_table("chat_choices")
    op.drop_index("ix_chats_owner", "chats")
    op.drop_table("chats")
