"""Typed table mappings. Every column here is on the record whitelist (DO_NO_HARM.md §2.6)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, TypeDecorator
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


class ChannelEvent(Base):
    """A platform event already accepted, so a redelivery is processed once.

    Only a hash of the platform's event id is kept, with the time it arrived.
    """

    __tablename__ = "channel_events"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


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
