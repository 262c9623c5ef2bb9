"""Locations people shared, held in memory only, for a handoff to the hotline team.

A location is never written to disk here. One that arrives before the person agreed to share
it is held as *pending* until they answer: yes keeps it for the hotline team, no (or no
answer) drops it. While a consented share is active, a live location's later updates replace
the kept fix; otherwise its first fix is used (DNH-15: only what the person agreed to send).

Must not import any web framework or channel SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from core.messages import LocationContent


@dataclass
class _Held:
    fix: LocationContent
    consented: bool = False
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


class SharedLocations:
    """The locations of conversations, by pseudonymous conversation id."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}
        self._consented: set[str] = set()

    def receive(self, conversation: str, fix: LocationContent) -> None:
        """Take a location the person sent.

        A location the person sends replaces the one held. A live location's later updates
        replace it only while the person has agreed to share it; before that the first fix is kept.
        """
        consented = conversation in self._consented
        if fix.live and not consented and conversation in self._held:
            return
        self._held[conversation] = _Held(fix, consented=consented)

    def is_pending(self, conversation: str) -> bool:
        """True when a location arrived and the person has not yet agreed to share it."""
        held = self._held.get(conversation)
        return held is not None and not held.consented

    def consent(self, conversation: str) -> None:
        """The person agreed: keep their location (held now or sent next) for the hotline team."""
        self._consented.add(conversation)
        held = self._held.get(conversation)
        if held is not None:
            held.consented = True

    def has_consent(self, conversation: str) -> bool:
        """True when the person agreed to share their location in this conversation."""
        return conversation in self._consented

    def withdraw(self, conversation: str) -> None:
        """The person declined or withdrew: drop their location and their consent."""
        self._held.pop(conversation, None)
        self._consented.discard(conversation)

    def shared_at(self, conversation: str) -> datetime | None:
        """When the location given to the hotline team arrived, or None."""
        held = self._held.get(conversation)
        return held.at if held is not None and held.consented else None

    def for_hotline(self, conversation: str) -> LocationContent | None:
        """The location the person agreed to give the hotline team, or None."""
        held = self._held.get(conversation)
        return held.fix if held is not None and held.consented else None
