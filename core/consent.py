"""Consent decisions: separate, explicit, and logged with the exact text the person saw.

Each decision (a yes or a no to one kind of consent) is stored with its time, the locale key of
the question, the question's version (a hash of the text shown, so a reworded question is a new
version) and the language it was shown in. Only an explicit yes is a yes (DNH-4): the latest
decision of a kind counts, and no decision at all is a no. Withdrawing records a no for every
kind that was a yes.

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
QUESTIONS: dict[str, str] = {"location": "location.ask"}


@dataclass(frozen=True)
class Decision:
    """One consent decision as the person made it."""

    kind: str
    granted: bool
    decided_at: datetime
    text_version: str
    language: str


def text_version(catalog: Catalog, key: str, language: str) -> str:
    """The version of a consent question: a short hash of the text shown in `language`."""
    return hashlib.sha256(catalog.text(language, key).encode()).hexdigest()[:12]


class ConsentLog:
    """The consent decisions of every conversation."""

    def __init__(self, database: Database, catalog: Catalog) -> None:
        self._database = database
        self._catalog = catalog

    def record(self, conversation: str, kind: str, granted: bool, language: str) -> Decision:
        """Log a decision on the question of `kind`, shown in `language`.

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

    def withdraw_all(self, conversation: str, language: str) -> list[Decision]:
        """Record a no for every kind that is a yes now; return the consents withdrawn."""
        granted = [d for d in self.current(conversation).values() if d.granted]
        for decision in granted:
            self.record(conversation, decision.kind, False, language)
        return granted


def _decision(row: ConsentDecision) -> Decision:
    return Decision(row.kind, row.granted, row.decided_at, row.text_version, row.language)
