"""The bot's transcript in Rasa's tracker store, as far as the app must change it.

Rasa keeps every message's text in its tracker store (table `events`, one JSON `data` column
per event). When a person takes a message back (LINE's unsend), its text is blanked there:
the event stays, so the dialogue's history still makes sense, but its words are gone. The
message is found by the pseudonymous `message_ref` the app put in its metadata. When a person
asks to be forgotten, every event of their conversation is deleted.

Must not import any web framework or Rasa.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import create_engine, inspect, text

from core.records.db import with_postgresql_driver


@dataclass(frozen=True)
class TranscriptMessage:
    """One message of the bot's transcript: the person's text, or the bot's custom payload."""

    author: str  # "person" or "assistant"
    text: str
    custom: dict | None
    timestamp: float


class Transcripts:
    """Rasa's tracker store, reached with its own database URL."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(with_postgresql_driver(url, "psycopg"), pool_pre_ping=True)

    def blank(self, conversation: str, message_ref: str) -> int:
        """Blank the text of the person's message `message_ref` wherever the conversation's
        events hold it (the message itself, and any later event quoting it whole, such as the
        triage's evidence); return how many events changed."""
        select = text("SELECT id, type_name, data FROM events WHERE sender_id = :sender ORDER BY id")
        update = text("UPDATE events SET data = :data WHERE id = :id")
        with self._engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0  # the bot has kept nothing yet
            rows = [
                (row_id, kind, json.loads(raw))
                for row_id, kind, raw in connection.execute(select, {"sender": conversation})
            ]
            unsent = {
                data["text"]
                for _, kind, data in rows
                if kind == "user"
                and (data.get("metadata") or {}).get("message_ref") == message_ref
                and data.get("text")
            }
            changed = 0
            for row_id, _, data in rows:
                blanked = _without(data, unsent)
                if (blanked.get("metadata") or {}).get("message_ref") == message_ref:
                    blanked["parse_data"] = {**(blanked.get("parse_data") or {}), "entities": []}
                if blanked != data:
                    connection.execute(update, {"data": json.dumps(blanked), "id": row_id})
                    changed += 1
        return changed

    def messages(self, conversation: str) -> list[TranscriptMessage]:
        """The person's and the bot's messages of `conversation`, oldest first."""
        query = text(
            "SELECT type_name, data FROM events WHERE sender_id = :s AND type_name IN ('user', 'bot') ORDER BY id"
        )
        with self._engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return []
            rows = [(kind, json.loads(raw)) for kind, raw in connection.execute(query, {"s": conversation})]
        return [
            TranscriptMessage(
                "person" if kind == "user" else "assistant",
                data.get("text") or "",
                (data.get("data") or {}).get("custom") if kind == "bot" else None,
                float(data.get("timestamp") or 0),
            )
            for kind, data in rows
        ]

    def has_events(self, conversation: str) -> bool:
        """True when the tracker store holds any event of `conversation`."""
        with self._engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return False
            found = connection.execute(text("SELECT 1 FROM events WHERE sender_id = :s LIMIT 1"), {"s": conversation})
            return found.first() is not None

    def erase(self, conversation: str) -> int:
        """Delete every event of `conversation`; return how many were deleted."""
        with self._engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0
            return connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": conversation}).rowcount

    def erase_older_than(self, timestamp: float) -> int:
        """Delete the transcripts whose newest event is older than `timestamp` (seconds since
        the epoch, as Rasa stores it); return how many conversations were deleted."""
        stale = text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
        with self._engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0
            senders = [sender for (sender,) in connection.execute(stale, {"cutoff": timestamp})]
            for sender in senders:
                connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
        return len(senders)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()


def _without(value, texts: set[str]):
    """`value` with every string among `texts` replaced by "" (in lists and dicts too)."""
    if isinstance(value, str):
        return "" if value in texts else value
    if isinstance(value, list):
        return [_without(item, texts) for item in value]
    if isinstance(value, dict):
        return {key: _without(item, texts) for key, item in value.items()}
    return value
