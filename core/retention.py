"""Retention: conversations and the bot's transcripts are deleted after a number of days.

A conversation untouched for `retention_days` is forgotten exactly as "forget me" does it
(`core.data_rights`): its row, consent decisions, held location and transcript. Transcripts in
Rasa's tracker store whose newest event is that old are deleted too, with or without a row in
the app (the bot also keeps conversations the app never recorded, such as `./saphan triage`
runs). Redelivery ids older than a week go as well, and ended cases are kept only as their
person agreed (`core.case_records`). `./saphan purge` runs it once; the app runs
it every `purge_interval_hours`.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from core.case_records import RECORD_ANSWER_HOURS, CaseRecords
from core.data_rights import PersonalData
from core.inbox import Inbox
from core.records.db import Database
from core.records.models import Conversation, utcnow
from core.records.transcripts import Transcripts
from core.training import TrainingChats


@dataclass(frozen=True)
class Purged:
    """How much one purge deleted: conversations (each with its transcript), transcripts the
    app never recorded, redelivery ids, and ended cases reduced to statistics."""

    conversations: int
    transcripts: int
    event_ids: int
    cases: int = 0  # ended cases made statistics because no record was agreed to
    training_chats: int = 0  # training chats left idle, deleted


class Retention:
    """Deletes what is older than the retention period."""

    def __init__(
        self,
        database: Database,
        transcripts: Transcripts,
        personal_data: PersonalData,
        inbox: Inbox,
        case_records: CaseRecords,
        training: TrainingChats,
    ) -> None:
        self._database = database
        self._training = training
        self._case_records = case_records
        self._transcripts = transcripts
        self._personal_data = personal_data
        self._inbox = inbox

    def purge(self, days: int, now: datetime | None = None) -> Purged:
        """Delete conversations and transcripts untouched for `days` days.

        Raises:
            ValueError: `days` is below 1 (a purge would delete today's conversations).
        """
        if days < 1:
            raise ValueError("the retention period must be at least one day")
        now = now or utcnow()
        training_chats = self._training.end_idle(now)
        cutoff = now - timedelta(days=days)
        with self._database.session() as session:
            stale = session.scalars(select(Conversation.id).where(Conversation.last_active_at < cutoff)).all()
        for conversation in stale:
            self._personal_data.forget(conversation)
        transcripts = self._transcripts.erase_older_than(cutoff.timestamp())
        cases = self._case_records.minimise(unanswered_ended_before=now - timedelta(hours=RECORD_ANSWER_HOURS))
        return Purged(len(stale), transcripts, self._inbox.forget_old_event_ids(), cases, training_chats)
