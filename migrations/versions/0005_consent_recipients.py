"""Consents name who receives what was agreed to; a case remembers when its consent questions were asked.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent_decisions") as batch:
        batch.add_column(sa.Column("recipient", sa.String(32)))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("consent_asked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("consent_asked_at")
    with op.batch_alter_table("consent_decisions") as batch:
        batch.drop_column("recipient")
