"""Locations people shared, held for a handoff to the hotline team, never in the database.

A location is held in memory: this process's, or Redis's when several app processes share one
(`core.redis_link`, sealed, expiring with the retention period). One that arrives before the
person agreed to share it is held as *pending* until they answer: yes keeps it for the hotline
team, no (or no answer) drops it. While a consented share is active, a live location's later
updates replace the kept fix; otherwise its first fix is used (DNH-15: only what the person
agreed to send).

Must not import any web framework or channel SDK.
"""

from __future__ import annotations

from datetime import datetime, timezone

from core.messages import LocationContent
from core.redis_link import SharedValues

# How long a location is held at most in one process's memory (with Redis: the retention period).
HELD_FOR_SECONDS = 7 * 24 * 3600


class SharedLocations:
    """The locations of conversations, by pseudonymous conversation id."""

    def __init__(self, values: SharedValues | None = None) -> None:
        self._values = values or SharedValues(None, HELD_FOR_SECONDS)

    def _state(self, conversation: str) -> dict:
        return self._values.get(f"location:{conversation}") or {"fix": None, "consented": False, "at": None}

    def _keep(self, conversation: str, state: dict) -> None:
        self._values.put(f"location:{conversation}", state)

    def receive(self, conversation: str, fix: LocationContent) -> None:
        """Take a location the person sent.

        A location the person sends replaces the one held. A live location's later updates
        replace it only while the person has agreed to share it; before that the first fix is kept.
        """
        state = self._state(conversation)
        if fix.live and not state["consented"] and state["fix"] is not None:
            return
        state["fix"] = {"latitude": fix.latitude, "longitude": fix.longitude, "live": fix.live}
        state["at"] = datetime.now(timezone.utc).isoformat()
        self._keep(conversation, state)

    def is_pending(self, conversation: str) -> bool:
        """True when a location arrived and the person has not yet agreed to share it."""
        state = self._state(conversation)
        return state["fix"] is not None and not state["consented"]

    def consent(self, conversation: str) -> None:
        """The person agreed: keep their location (held now or sent next) for the hotline team."""
        state = self._state(conversation)
        state["consented"] = True
        self._keep(conversation, state)

    def has_consent(self, conversation: str) -> bool:
        """True when the person agreed to share their location in this conversation."""
        return self._state(conversation)["consented"]

    def withdraw(self, conversation: str) -> None:
        """The person declined or withdrew: drop their location and their consent."""
        self._values.delete(f"location:{conversation}")

    def shared_at(self, conversation: str) -> datetime | None:
        """When the location given to the hotline team arrived, or None."""
        state = self._state(conversation)
        return datetime.fromisoformat(state["at"]) if state["fix"] is not None and state["consented"] else None

    def for_hotline(self, conversation: str) -> LocationContent | None:
        """The location the person agreed to give the hotline team, or None."""
        state = self._state(conversation)
        return LocationContent(**state["fix"]) if state["fix"] is not None and state["consented"] else None
