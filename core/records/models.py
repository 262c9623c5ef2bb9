"""Typed table mappings. Every column here is on the record whitelist (DO_NO_HARM.md §2.6)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware time, stored in UTC and read back timezone-aware on every database
    (SQLite keeps no time zone, so its times would otherwise come back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Store the time in UTC."""
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Read the time back as UTC, with its time zone."""
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    """Base class of Saphan's tables."""


class Conversation(Base):
    """A conversation, known only by its pseudonymous id, with the language it is held in."""

    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the person blocked or left the chat (LINE's unfollow): nothing more is sent.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The trainer who opened this conversation as a training chat (None: a real person).
    training_by: Mapped[int | None] = mapped_column(Integer, index=True)
    # The person's Burmese has been clearly Zawgyi: their short messages are converted too.
    zawgyi: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ChannelEvent(Base):
    """A platform event already accepted, so a redelivery is processed once.

    Only a hash of the platform's event id is kept, with the time it arrived.
    """

    __tablename__ = "channel_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class InboxEvent(Base):
    """An accepted event not yet answered (`core.inbox`), deleted once its answers are sent.

    `event` is the whole event, sealed: it holds what the person wrote and their channel address.
    `conversation` is the pseudonymous id; `message_hash` a hash of the platform's message id
    (for a correction of a message still waiting).
    """

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64), index=True)
    event: Mapped[str] = mapped_column(Text)
    message_hash: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How many times a process started on it: an event that keeps failing is given up.
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ConversationLease(Base):
    """Which app process handles a conversation's events right now, and until when at most."""

    __tablename__ = "conversation_leases"

    conversation: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column(UTCDateTime)


class HealthProbe(Base):
    """One row the health check rewrites, to prove the database still takes writes."""

    __tablename__ = "health_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsentDecision(Base):
    """One yes or no to one kind of consent, with the exact question shown (key, version, language)."""

    __tablename__ = "consent_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    text_key: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The hotline team that receives what was agreed to (None: no one yet, or not a sharing).
    recipient: Mapped[str | None] = mapped_column(String(32))


class Operator(Base):
    """A console account: who signs in, with which role, for which hotline teams.

    Only an Argon2id hash of the password is kept; failed sign-ins count towards a lock-out.
    """

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleSession(Base):
    """A signed-in console session: only a hash of its cookie's token is kept."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The states of a case (`core.handoff` moves cases between them).
QUEUED, ACTIVE, RETURNED, CLOSED = "queued", "active", "returned", "closed"
OPEN_STATES = (QUEUED, ACTIVE)
ENDED_STATES = (RETURNED, CLOSED)


class Handoff(Base):
    """One case handed to a person at a hotline, from the request to its end.

    `address` (the channel's user id, to write to the person) and `triage` are encrypted at
    rest. When the case is forgotten or past retention, they and its messages are deleted and
    the row stays as statistics only: times, risk, families, language, country, channel.
    """

    __tablename__ = "handoffs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    child: Mapped[bool] = mapped_column(Boolean, default=False)
    risk: Mapped[str] = mapped_column(String(8))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    families: Mapped[list[str]] = mapped_column(JSON, default=list)
    triage: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))
    team: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    person_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A case of a training chat: only trainers see it, and it is deleted with the chat.
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandoffMessage(Base):
    """A message of a case while it is with the hotline: the person's or an operator's.

    The text is encrypted at rest; `message_ref` finds it again when the person unsends it.
    """

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    message_ref: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One view of a case or one action in the console: who, what, which case, when. No content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    handoff_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(64))
