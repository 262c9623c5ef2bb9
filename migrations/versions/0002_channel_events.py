"""Channel events seen (for redeliveries) and conversations closed by the person.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversations", sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "channel_events",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("event_hash", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_channel_events_received_at", "channel_events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_channel_events_received_at", "channel_events")
    op.drop_table("channel_events")
    op.drop_column("conversations", "closed_at")
