"""The console's audit log: every view of a case and every action, with who and when.

An entry names an action and a case, never what the case holds; supervisors read the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.records.db import Database
from core.records.models import AuditEntry, Operator


@dataclass(frozen=True)
class Entry:
    """One audited view or action."""

    at: datetime
    operator: str | None
    action: str
    case: str | None
    detail: str | None


class AuditLog:
    """Writes and reads the audit log."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def write(self, operator: int | None, action: str, case: str | None = None, detail: str | None = None) -> None:
        """Record that `operator` did `action` (on `case`); `detail` is a code, never content."""
        with self._database.session() as session:
            session.add(AuditEntry(operator_id=operator, action=action, handoff_id=case, detail=detail))
            session.commit()

    def latest(self, limit: int) -> list[Entry]:
        """The newest `limit` entries, newest first."""
        with self._database.session() as session:
            rows = session.execute(
                select(AuditEntry, Operator.username)
                .outerjoin(Operator, AuditEntry.operator_id == Operator.id)
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            ).all()
            return [Entry(row.at, name, row.action, row.handoff_id, row.detail) for row, name in rows]
