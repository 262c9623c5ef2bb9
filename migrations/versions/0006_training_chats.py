"""Training chats: a conversation opened by a trainer, and its cases, are marked as training.

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
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("training_by", sa.Integer(), index=True))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("training", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("training")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("training_by")
