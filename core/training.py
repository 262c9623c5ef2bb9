"""Training chats: a trainer talks to the real assistant in a web chat that is marked as training.

A trainer gets a ticket in the console (signed with the app's secret key, valid for an hour);
the web chat page presents it when it opens, and the conversation is marked as that trainer's
training chat before its first answer. Its cases go to the training queue, which only trainers
see and take; they never alert operators or groups, never count in the dashboard, and never
become a record or statistics. When the trainer ends the training (or signs out), their
training chats are forgotten as "forget me" forgets a person (`core.data_rights`): cases,
messages, consent answers, location and the bot's transcript, and the audit entries of their
cases go too; the purge does the same to any left idle for `IDLE_HOURS`.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from core.data_rights import PersonalData
from core.records.db import Database
from core.records.models import AuditEntry, Conversation, Handoff, utcnow

TICKET_MINUTES = 60
IDLE_HOURS = 12


class TrainingChats:
    """Issues training tickets, marks training chats and deletes them."""

    def __init__(self, database: Database, personal_data: PersonalData, secret_key: str) -> None:
        self._database = database
        self._personal_data = personal_data
        self._key = hashlib.sha256(b"saphan training tickets\x00" + secret_key.encode()).digest()

    def ticket(self, trainer: int, now: datetime | None = None) -> str:
        """A ticket that opens one training chat for `trainer`, valid for `TICKET_MINUTES`."""
        expires = int(((now or utcnow()) + timedelta(minutes=TICKET_MINUTES)).timestamp())
        body = f"{trainer}.{expires}.{secrets.token_hex(8)}"
        return f"{body}.{self._sign(body)}"

    def trainer_of(self, ticket: object, now: datetime | None = None) -> int | None:
        """The trainer a valid, unexpired ticket was issued to; None for anything else."""
        if not isinstance(ticket, str) or len(ticket) > 200:
            return None
        body, _, signature = ticket.rpartition(".")
        parts = body.split(".")
        if len(parts) != 3 or not hmac.compare_digest(signature, self._sign(body)):
            return None
        trainer, expires, _ = parts
        if not (trainer.isdigit() and expires.isdigit()) or int(expires) < (now or utcnow()).timestamp():
            return None
        return int(trainer)

    def mark(self, conversation: str, channel: str, trainer: int) -> None:
        """Make `conversation` a training chat of `trainer` (before anything else is kept of it)."""
        with self._database.session() as session:
            row = session.get(Conversation, conversation)
            if row is None:
                session.add(Conversation(id=conversation, channel=channel, language_chosen=False, training_by=trainer))
            else:
                row.training_by = trainer
            session.commit()

    def is_training(self, conversation: str) -> bool:
        """True for a training chat."""
        with self._database.session() as session:
            row = session.get(Conversation, conversation)
            return row is not None and row.training_by is not None

    def end(self, trainer: int) -> int:
        """Delete every training chat of `trainer`; return how many."""
        return self._delete(Conversation.training_by == trainer)

    def end_idle(self, now: datetime | None = None) -> int:
        """Delete the training chats idle for `IDLE_HOURS`; return how many."""
        cutoff = (now or utcnow()) - timedelta(hours=IDLE_HOURS)
        return self._delete(Conversation.training_by.is_not(None), Conversation.last_active_at < cutoff)

    def _delete(self, *conditions) -> int:
        """Forget the chats that meet `conditions`, and the audit entries of their cases."""
        with self._database.session() as session:
            chats = session.scalars(select(Conversation.id).where(*conditions)).all()
            cases = session.scalars(select(Handoff.id).where(Handoff.conversation_id.in_(chats))).all()
        for chat in chats:
            self._personal_data.forget(chat)
        if cases:
            with self._database.session() as session:
                session.execute(delete(AuditEntry).where(AuditEntry.handoff_id.in_(cases)))
                session.commit()
        return len(chats)

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]
