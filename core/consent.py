"""Consent decisions: separate, explicit, and logged with the exact text the person saw.

The kinds (DNH-6): `location` (the hotline team may see where the person is), `handover` (a case
summary is passed to the named hotline team), `transcript` (that team may read what the person
wrote to the assistant before a person joined), `follow_up` (the team may write to them later)
and `record` (a record of the case is kept after it ends). Each decision (a yes or a no) is
stored with its time, the locale key of the question, the question's version (a hash of the text
shown, so a reworded question is a new version), the language it was shown in and, for a
sharing, the team that receives it. Only an explicit yes is a yes (DNH-4): the latest decision of
a kind counts, and no decision at all is a no. Withdrawing records a no for every kind that was a
yes.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.locales import Catalog
from core.records.db import Database
from core.records.models import ConsentDecision, utcnow

# Each kind of consent and the locale key of the question that asks for it.
QUESTIONS: dict[str, str] = {
    "location": "location.ask",
    "handover": "consent.handover.ask",
    "transcript": "consent.transcript.ask",
    "follow_up": "consent.follow_up.ask",
    "record": "consent.record.ask",
}


@dataclass(frozen=True)
class Decision:
    """One consent decision as the person made it."""

    kind: str
    granted: bool
    decided_at: datetime
    text_version: str
    language: str
    recipient: str | None = None


def text_version(catalog: Catalog, key: str, language: str) -> str:
    """The version of a consent question: a short hash of the text shown in `language`."""
    return hashlib.sha256(catalog.text(language, key).encode()).hexdigest()[:12]


class ConsentLog:
    """The consent decisions of every conversation."""

    def __init__(self, database: Database, catalog: Catalog) -> None:
        self._database = database
        self._catalog = catalog

    def record(
        self, conversation: str, kind: str, granted: bool, language: str, recipient: str | None = None
    ) -> Decision:
        """Log a decision on the question of `kind`, shown in `language`; `recipient` is the team
        that receives what was agreed to.

        Raises:
            KeyError: `kind` is not a kind of consent Saphan asks for.
        """
        key = QUESTIONS[kind]
        row = ConsentDecision(
            conversation_id=conversation,
            kind=kind,
            granted=granted,
            text_key=key,
            text_version=text_version(self._catalog, key, language),
            language=language,
            decided_at=utcnow(),
            recipient=recipient,
        )
        with self._database.session() as session:
            session.add(row)
            session.commit()
        return _decision(row)

    def history(self, conversation: str) -> list[Decision]:
        """Every decision of a conversation, oldest first."""
        with self._database.session() as session:
            rows = session.scalars(
                select(ConsentDecision)
                .where(ConsentDecision.conversation_id == conversation)
                .order_by(ConsentDecision.decided_at, ConsentDecision.id)
            ).all()
            return [_decision(row) for row in rows]

    def current(self, conversation: str) -> dict[str, Decision]:
        """The decision that counts for each kind the person was asked about."""
        return {decision.kind: decision for decision in self.history(conversation)}

    def granted(self, conversation: str, kind: str, since: datetime | None = None) -> Decision | None:
        """The yes that counts now for `kind` (given at or after `since`), or None: no is the default."""
        decision = self.current(conversation).get(kind)
        if decision is None or not decision.granted or (since is not None and decision.decided_at < since):
            return None
        return decision

    def withdraw_all(self, conversation: str, language: str) -> list[Decision]:
        """Record a no for every kind that is a yes now; return the consents withdrawn."""
        granted = [d for d in self.current(conversation).values() if d.granted]
        for decision in granted:
            self.record(conversation, decision.kind, False, language, decision.recipient)
        return granted


def _decision(row: ConsentDecision) -> Decision:
    return Decision(row.kind, row.granted, row.decided_at, row.text_version, row.language, row.recipient)
