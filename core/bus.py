"""Live notices for the operator console: publish and subscribe, across app processes.

A notice names what changed (a new case, the queue, one case), never its content; the console
fetches what it may see through its authorised routes. Each subscriber has a bounded queue: a
subscriber that falls behind gets a `lagging` notice and reloads, and never slows the others.
With a Redis link (`core.redis_link`) every notice also reaches the consoles connected to the
other app processes; without one, or while Redis is down, only this process's.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from core.redis_link import RedisLink

SUBSCRIBER_QUEUE = 256
TOPIC = "notices"


@dataclass(frozen=True)
class Notice:
    """One live notice: its kind (alert, queue, case, lagging) and what it is about."""

    kind: str
    data: dict = field(default_factory=dict)


class Bus:
    """Fans each published notice out to every subscriber, here and (with a link) in the other
    app processes."""

    def __init__(self, link: RedisLink | None = None) -> None:
        self._subscribers: set[asyncio.Queue[Notice]] = set()
        self._link = link
        self._sending: set[asyncio.Task] = set()
        if link is not None:
            link.on(TOPIC, self._heard)

    def publish(self, kind: str, **data: object) -> None:
        """Send a notice to every subscriber now (never waits)."""
        notice = Notice(kind, data)
        self._fan_out(notice)
        if self._link is not None:
            sending = asyncio.get_running_loop().create_task(self._link.publish(TOPIC, {"kind": kind, "data": data}))
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)

    async def _heard(self, body: dict) -> None:
        self._fan_out(Notice(str(body["kind"]), dict(body["data"])))

    def _fan_out(self, notice: Notice) -> None:
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
