"""The supervisors' dashboard: counts and times over a period, from the cases' statistics only.

Nothing here reads a case's address, triage evidence or messages: only the fields a forgotten
case keeps (risk, families, language, country, channel, and its times).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from core.records.db import Database
from core.records.models import Handoff, utcnow


def _times(seconds: list[float]) -> dict:
    """Count, median and 90th percentile of a list of durations (None when it is empty)."""
    if not seconds:
        return {"count": 0, "median_seconds": None, "p90_seconds": None}
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"count": len(ordered), "median_seconds": at(0.5), "p90_seconds": at(0.9)}


def _since(start: datetime, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None else None


def dashboard(database: Database, days: int, now: datetime | None = None) -> dict:
    """The dashboard's figures for the cases requested in the last `days` days."""
    start = (now or utcnow()) - timedelta(days=days)
    columns = (
        Handoff.risk,
        Handoff.families,
        Handoff.language,
        Handoff.country,
        Handoff.channel,
        Handoff.requested_at,
        Handoff.alerted_at,
        Handoff.claimed_at,
        Handoff.first_reply_at,
    )
    with database.session() as session:
        rows = session.execute(select(*columns).where(Handoff.requested_at >= start, Handoff.training.is_(False))).all()
    families: Counter[str] = Counter()
    for row in rows:
        families.update(set(row.families or []))
    durations = {
        name: [d for d in (_since(row.requested_at, getattr(row, column)) for row in rows) if d is not None]
        for name, column in (("alert", "alerted_at"), ("claim", "claimed_at"), ("first_message", "first_reply_at"))
    }
    return {
        "days": days,
        "total": len(rows),
        "by_risk": dict(Counter(row.risk for row in rows)),
        "by_family": dict(families),
        "by_language": dict(Counter(row.language for row in rows)),
        "by_country": dict(Counter(row.country or "unknown" for row in rows)),
        "by_channel": dict(Counter(row.channel for row in rows)),
        "times": {name: _times(values) for name, values in durations.items()},
    }
