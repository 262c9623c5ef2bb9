"""Human handoff and the operator console: accounts, sessions, cases, their messages, audit log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("teams", sa.JSON, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("on_duty", sa.Boolean, nullable=False),
        sa.Column("failed_sign_ins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_console_sessions_operator_id", "console_sessions", ["operator_id"])
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("conversation_id", sa.String(64), sa.ForeignKey("conversations.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("child", sa.Boolean, nullable=False),
        sa.Column("risk", sa.String(8), nullable=False),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("families", sa.JSON, nullable=False),
        sa.Column("triage", sa.Text),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("team", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id", ondelete="SET NULL")),
        sa.Column("outcome", sa.String(32)),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("alerted_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("first_reply_at", sa.DateTime(timezone=True)),
        sa.Column("person_told_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_team", "handoffs", ["team"])
    op.create_index("ix_handoffs_state", "handoffs", ["state"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.String(32), sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("message_ref", sa.String(64)),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_messages_handoff_id", "handoff_messages", ["handoff_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_id", sa.Integer, sa.ForeignKey("operators.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("handoff_id", sa.String(32)),
        sa.Column("detail", sa.String(64)),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("handoff_messages")
    op.drop_table("handoffs")
    op.drop_table("console_sessions")
    op.drop_table("operators")
