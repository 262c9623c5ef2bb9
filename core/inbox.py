"""Accepted events, kept in the database until they are answered, so none is lost with a process.

A channel's webhook stores each event here before it answers the platform; any app process may
then handle it. A redelivered event (the same platform event id within a week) is stored once:
its id is recorded, hashed, in the same transaction as the event. One conversation's events are
handled in the order they arrived, by one process at a time: the process holding the
conversation's lease. A lease runs out by itself, so the events of a process that died are
taken over by another (or by the same one restarted). An event is deleted once it has been
answered. The event is sealed: it holds the person's words and their address on the channel.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.crypto import Sealer
from core.messages import (
    ClosedContent,
    Inbound,
    LocationContent,
    OpenedContent,
    PostbackContent,
    TextContent,
    UnsentContent,
    UnsupportedContent,
)
from core.records.db import Database
from core.records.models import ChannelEvent, ConversationLease, InboxEvent, utcnow

# A process holds a conversation for at most this long without renewing (it renews before each
# event), so the conversations of a process that died are handled again after this.
LEASE = timedelta(seconds=45)
REMEMBER_EVENT_IDS_FOR = timedelta(days=7)
CONTENT_TYPES = {
    cls.__name__: cls
    for cls in (
        TextContent,
        PostbackContent,
        LocationContent,
        UnsupportedContent,
        OpenedContent,
        ClosedContent,
        UnsentContent,
    )
}


@dataclass(frozen=True)
class Waiting:
    """An event in the inbox: its row id, how many times a process started on it, and the event."""

    id: int
    attempts: int
    inbound: Inbound


def message_hash(message_id: str) -> str:
    """The hash a platform's message id or event id is kept as."""
    return hashlib.sha256(message_id.encode()).hexdigest()


def to_json(inbound: Inbound) -> str:
    """`inbound` as JSON (its content tagged with its type)."""
    fields = {field.name: getattr(inbound, field.name) for field in dataclasses.fields(inbound)}
    fields["content"] = {"type": type(inbound.content).__name__, **dataclasses.asdict(inbound.content)}
    fields["received_at"] = inbound.received_at.isoformat()
    return json.dumps(fields, ensure_ascii=False)


def from_json(text: str) -> Inbound:
    """The `Inbound` that `to_json` wrote."""
    fields = json.loads(text)
    content = dict(fields.pop("content"))
    content_type = CONTENT_TYPES[content.pop("type")]
    fields["received_at"] = datetime.fromisoformat(fields["received_at"])
    return Inbound(content=content_type(**content), **fields)


class Inbox:
    """The events waiting to be answered, and the leases of the processes answering them."""

    def __init__(self, database: Database, sealer: Sealer, owner: str) -> None:
        self._database = database
        self._sealer = sealer
        self.owner = owner

    def store(self, conversation: str, inbound: Inbound) -> bool:
        """Keep `inbound` until it is answered; False (and nothing kept) for a redelivery."""
        with self._database.session() as session:
            if inbound.event_id:
                session.add(ChannelEvent(channel=inbound.channel, event_hash=message_hash(inbound.event_id)))
            session.add(
                InboxEvent(
                    conversation=conversation,
                    event=self._sealer.seal(to_json(inbound)),
                    message_hash=message_hash(inbound.message_id) if inbound.message_id else None,
                    received_at=inbound.received_at,
                    attempts=0,
                )
            )
            try:
                session.commit()
            except IntegrityError:
                return False
            return True

    def waits(self, conversation: str, message_id: str) -> bool:
        """True while the message `message_id` of `conversation` waits to be answered."""
        with self._database.session() as session:
            found = session.scalar(
                select(InboxEvent.id).where(
                    InboxEvent.conversation == conversation, InboxEvent.message_hash == message_hash(message_id)
                )
            )
            return found is not None

    def claim(self, conversation: str, now: datetime | None = None) -> bool:
        """Take or renew the lease of `conversation`; False while another process holds it."""
        now = now or utcnow()
        with self._database.session() as session:
            renewed = session.execute(
                update(ConversationLease)
                .where(
                    ConversationLease.conversation == conversation,
                    (ConversationLease.owner == self.owner) | (ConversationLease.until < now),
                )
                .values(owner=self.owner, until=now + LEASE)
            )
            if renewed.rowcount:
                session.commit()
                return True
            session.add(ConversationLease(conversation=conversation, owner=self.owner, until=now + LEASE))
            try:
                session.commit()
            except IntegrityError:
                return False
            return True

    def release(self, conversation: str) -> None:
        """Give up the lease of `conversation` (if this process holds it)."""
        with self._database.session() as session:
            session.execute(
                delete(ConversationLease).where(
                    ConversationLease.conversation == conversation, ConversationLease.owner == self.owner
                )
            )
            session.commit()

    def next_event(self, conversation: str) -> Waiting | None:
        """The oldest waiting event of `conversation`, counted as started once more; or None."""
        with self._database.session() as session:
            row = session.scalars(
                select(InboxEvent).where(InboxEvent.conversation == conversation).order_by(InboxEvent.id).limit(1)
            ).first()
            if row is None:
                return None
            row.attempts += 1
            session.commit()
            return Waiting(row.id, row.attempts, from_json(self._sealer.open(row.event)))

    def answered(self, event_id: int) -> None:
        """Delete an event: it was answered (or given up)."""
        with self._database.session() as session:
            session.execute(delete(InboxEvent).where(InboxEvent.id == event_id))
            session.commit()

    def waiting_conversations(self, limit: int = 200) -> list[str]:
        """Conversations with waiting events that no live lease of another process covers,
        those waiting longest first."""
        now = utcnow()
        with self._database.session() as session:
            held_elsewhere = select(ConversationLease.conversation).where(
                ConversationLease.owner != self.owner, ConversationLease.until >= now
            )
            rows = session.execute(
                select(InboxEvent.conversation, func.min(InboxEvent.id))
                .where(InboxEvent.conversation.not_in(held_elsewhere))
                .group_by(InboxEvent.conversation)
                .order_by(func.min(InboxEvent.id))
                .limit(limit)
            ).all()
            return [conversation for conversation, _ in rows]

    def has_waiting(self, conversation: str) -> bool:
        """True while `conversation` has an event waiting."""
        with self._database.session() as session:
            found = session.scalar(select(InboxEvent.id).where(InboxEvent.conversation == conversation).limit(1))
            return found is not None

    def forget_old_event_ids(self) -> int:
        """Drop the platform event ids older than a week; return how many were dropped."""
        with self._database.session() as session:
            result = session.execute(
                delete(ChannelEvent).where(ChannelEvent.received_at < utcnow() - REMEMBER_EVENT_IDS_FOR)
            )
            session.commit()
            return result.rowcount or 0
