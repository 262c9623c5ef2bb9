"""What Saphan keeps about a person, and deleting all of it ("forget me").

A conversation's personal data is: its row (pseudonymous id, channel kind, language), its
consent decisions, a location held in memory, its messages in Rasa's tracker store, and its
cases with the hotline (channel address, triage, messages; `core.case_records` says how long
each part of an ended case is kept). `summary` says which of these exist
now; `forget` deletes every one of them. A forgotten case stays only as statistics (times,
risk, indicator families, language, channel), no longer linked to any conversation; one still
open is closed.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from core.case_records import make_statistics
from core.consent import ConsentLog
from core.locations import SharedLocations
from core.records.db import Database
from core.records.models import CLOSED, OPEN_STATES, ConsentDecision, Conversation, Handoff, utcnow
from core.records.transcripts import Transcripts


@dataclass(frozen=True)
class KeptData:
    """What is kept about one conversation right now."""

    language: str | None
    has_transcript: bool
    consents: tuple[str, ...]  # the kinds the person answered (yes or no)
    location_for_hotline: bool
    has_case: bool  # a case with a hotline team, open or kept as a record
    may_write_later: bool  # the follow-up consent is a yes


class PersonalData:
    """Reads and deletes everything kept about a conversation."""

    def __init__(
        self, database: Database, transcripts: Transcripts, locations: SharedLocations, consents: ConsentLog
    ) -> None:
        self._database = database
        self._transcripts = transcripts
        self._locations = locations
        self._consents = consents

    def summary(self, conversation: str) -> KeptData:
        """What is kept about `conversation` now."""
        with self._database.session() as session:
            record = session.get(Conversation, conversation)
            language = record.language if record else None
            has_case = session.scalar(select(Handoff.id).where(Handoff.conversation_id == conversation).limit(1))
        return KeptData(
            language=language,
            has_transcript=self._transcripts.has_events(conversation),
            consents=tuple(self._consents.current(conversation)),
            location_for_hotline=self._locations.for_hotline(conversation) is not None,
            has_case=has_case is not None,
            may_write_later=self._consents.granted(conversation, "follow_up") is not None,
        )

    def forget(self, conversation: str) -> None:
        """Delete the conversation's location, consent decisions, row and messages in the bot's
        tracker store. Run it after the bot has saved its last turn, or the bot writes it back."""
        self._locations.withdraw(conversation)
        cases = Handoff.conversation_id == conversation
        with self._database.session() as session:
            session.execute(
                update(Handoff)
                .where(cases, Handoff.state.in_(OPEN_STATES))
                .values(state=CLOSED, outcome="person_left", ended_at=utcnow())
            )
            make_statistics(session, cases)
            session.execute(delete(ConsentDecision).where(ConsentDecision.conversation_id == conversation))
            session.execute(delete(Conversation).where(Conversation.id == conversation))
            session.commit()
        self._transcripts.erase(conversation)
