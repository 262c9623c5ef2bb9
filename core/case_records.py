"""What is kept of a case with a hotline team once it has ended.

With the person's `record` consent the case stays as it was (summary, triage, messages) until the
retention period deletes the conversation. After a no, or when no answer came within
`RECORD_ANSWER_HOURS` of the end, the case becomes statistics only: times, team, risk, indicator
families, language, channel and outcome, with no link to the conversation, no channel address,
no triage evidence and no messages. The channel address goes at the end of every case unless
the person agreed that the team may write to them later (`follow_up`). "Forget me" makes every
case of the conversation statistics at once, open ones included (`core.data_rights`).

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from core.consent import ConsentLog
from core.records.db import Database
from core.records.models import ENDED_STATES, Handoff, HandoffMessage

# How long the person has to answer the record question before silence counts as a no.
RECORD_ANSWER_HOURS = 24


def make_statistics(session: Session, condition: ColumnElement[bool]) -> None:
    """Strip the cases that meet `condition` to statistics (the caller commits); a training
    chat's case is deleted instead, since it never counts."""
    cases = select(Handoff.id).where(condition)
    session.execute(delete(HandoffMessage).where(HandoffMessage.handoff_id.in_(cases)))
    session.execute(delete(Handoff).where(condition, Handoff.training.is_(True)))
    session.execute(update(Handoff).where(condition).values(address=None, triage=None, conversation_id=None))


class CaseRecords:
    """Keeps of ended cases exactly what their person agreed to."""

    def __init__(self, database: Database, consents: ConsentLog) -> None:
        self._database = database
        self._consents = consents

    def minimise(self, conversation: str | None = None, unanswered_ended_before: datetime | None = None) -> int:
        """Apply the person's answers to the ended cases of `conversation` (None: every one);
        cases whose record question is unanswered become statistics if they ended before
        `unanswered_ended_before`. Returns how many cases became statistics."""
        condition = [Handoff.state.in_(ENDED_STATES), Handoff.conversation_id.is_not(None)]
        if conversation is not None:
            condition.append(Handoff.conversation_id == conversation)
        with self._database.session() as session:
            owners = set(session.scalars(select(Handoff.conversation_id).where(*condition)).all())
        made = 0
        for owner in owners:
            made += self._apply(owner, unanswered_ended_before)
        return made

    def _apply(self, conversation: str, unanswered_ended_before: datetime | None) -> int:
        decisions = self._consents.current(conversation)
        record, follow_up = decisions.get("record"), decisions.get("follow_up")
        ended = (Handoff.conversation_id == conversation) & Handoff.state.in_(ENDED_STATES)
        if record is None:  # unanswered: only cases past the answer period
            ended = (ended & (Handoff.ended_at < unanswered_ended_before)) if unanswered_ended_before else None
        elif record.granted:
            ended = None
        count = 0
        with self._database.session() as session:
            if not (follow_up and follow_up.granted):
                session.execute(
                    update(Handoff)
                    .where(Handoff.conversation_id == conversation, Handoff.state.in_(ENDED_STATES))
                    .values(address=None)
                )
            if ended is not None:
                count = len(session.scalars(select(Handoff.id).where(ended)).all())
                make_statistics(session, ended)
            session.commit()
        return count
