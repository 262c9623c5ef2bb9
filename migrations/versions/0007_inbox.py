"""The inbox of accepted events, the conversation leases of app processes, the health probe.

Revision ID: 0007
Revises: 0006
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("message_hash", sa.String(64)),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_inbox_events_conversation", "inbox_events", ["conversation"])
    op.create_table(
        "conversation_leases",
        sa.Column("conversation", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    probe = op.create_table(
        "health_probe",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(probe, [{"id": 1, "written_at": datetime.now(timezone.utc)}])


def downgrade() -> None:
    op.drop_table("health_probe")
    op.drop_table("conversation_leases")
    op.drop_index("ix_inbox_events_conversation", "inbox_events")
    op.drop_table("inbox_events")
