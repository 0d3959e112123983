"""Scheduler: job runs, decay and retirement fields, moods, farewells.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memory_items") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("personas") as batch:
        batch.add_column(sa.Column("decay", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("retire_after_days", sa.Integer, nullable=True))
        batch.add_column(sa.Column("retire_on", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("farewell", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("retired_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime, nullable=True))
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job", sa.String(60), nullable=False),
        sa.Column("slot", sa.String(60), nullable=False),
        sa.Column("holder", sa.String(100), nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.UniqueConstraint("job", "slot", name="uq_job_runs_slot"),
    )
    op.create_table(
        "moods",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("emotion", sa.String(20), nullable=False),
        sa.Column("intensity", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "farewells",
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "persona_id",
            sa.Integer,
            sa.ForeignKey("personas.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("shown_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("farewells")
    op.drop_table("moods")
    op.drop_table("job_runs")
    with op.batch_alter_table("personas") as batch:
        for column in (
            "last_used_at",
            "retired_at",
            "farewell",
            "retire_on",
            "retire_after_days",
            "decay",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("memory_items") as batch:
        batch.drop_column("archived_at")
