"""Live notices for the operator console: in-process publish and subscribe.

A notice names what changed (a new case, the queue, one case), never its content; the console
fetches what it may see through its authorised routes. Each subscriber has a bounded queue: a
subscriber that falls behind gets a `lagging` notice and reloads, and never slows the others.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

SUBSCRIBER_QUEUE = 256


@dataclass(frozen=True)
class Notice:
    """One live notice: its kind (alert, queue, case, lagging) and what it is about."""

    kind: str
    data: dict = field(default_factory=dict)


class Bus:
    """Fans each published notice out to every subscriber of this process."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[Notice]] = set()

    def publish(self, kind: str, **data: object) -> None:
        """Send a notice to every subscriber now (never waits)."""
        notice = Notice(kind, data)
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
                queue.put_nowait(Notice("lagging"))
                continue
            queue.put_nowait(notice)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Notice]]:
        """A queue receiving every notice published while the context is open."""
        queue: asyncio.Queue[Notice] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
