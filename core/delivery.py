"""Accepted events are processed once each, in order per person, in the background.

A channel's webhook verifies and parses a request, hands its events to `Delivery.accept` and
answers the platform at once (platforms retry a slow or failed webhook, which would duplicate
messages). Each event is then handled by the conversation router and its answers are given to
the channel's `send`, one event at a time per person, in the order they arrived. A redelivered
event (same platform event id) is accepted once. A failed attempt is retried after a pause; an
event is given up only after every attempt failed, and that is logged without its content.

Must not import any web framework or channel SDK.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from core.conversation import Conversations, InvalidPayload
from core.messages import Inbound, Replies
from core.records.db import Database
from core.records.models import ChannelEvent, utcnow

logger = logging.getLogger(__name__)

Send = Callable[[Inbound, Replies], Awaitable[None]]
RETRY_DELAYS_SECONDS = (0.5, 2.0, 5.0)
REMEMBER_EVENTS_FOR = timedelta(days=7)


class SeenEvents:
    """The platform event ids already accepted, kept (hashed) in the database for a week."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def first_time(self, channel: str, event_id: str) -> bool:
        """Record `event_id`; False when it was recorded before (a redelivery)."""
        event_hash = hashlib.sha256(event_id.encode()).hexdigest()
        with self._database.session() as session:
            session.add(ChannelEvent(channel=channel, event_hash=event_hash))
            try:
                session.commit()
            except IntegrityError:
                return False
        return True

    def forget_old(self) -> int:
        """Drop event ids older than a week; return how many were dropped."""
        with self._database.session() as session:
            result = session.execute(
                delete(ChannelEvent).where(ChannelEvent.received_at < utcnow() - REMEMBER_EVENTS_FOR)
            )
            session.commit()
            return result.rowcount or 0


class Delivery:
    """Background processing of accepted events, ordered per person."""

    def __init__(
        self, conversations: Conversations, seen: SeenEvents, retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS
    ) -> None:
        self._conversations = conversations
        self._seen = seen
        self._retry_delays = retry_delays
        self._queues: dict[tuple[str, str], deque[tuple[Inbound, Send]]] = {}
        self._workers: set[asyncio.Task] = set()

    async def accept(self, inbound: Inbound, send: Send) -> bool:
        """Queue one event for processing; False when nothing was queued.

        Nothing is queued for a redelivery, nor for the correction of a message already
        answered: an edit counts as a new message only while its original still waits in the
        queue (answering a correction of an answered message would repeat the conversation).
        """
        if inbound.event_id and not await asyncio.to_thread(self._seen.first_time, inbound.channel, inbound.event_id):
            logger.info("redelivered event ignored", extra={"channel": inbound.channel})
            return False
        person = (inbound.channel, inbound.channel_user)
        queue = self._queues.get(person)
        if inbound.edit_of is not None and not any(waiting.message_id == inbound.edit_of for waiting, _ in queue or ()):
            logger.info("edit of an answered message ignored", extra={"channel": inbound.channel})
            return False
        if queue is not None:
            queue.append((inbound, send))
            return True
        self._queues[person] = deque([(inbound, send)])
        worker = asyncio.create_task(self._work(person))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)
        return True

    async def _work(self, person: tuple[str, str]) -> None:
        queue = self._queues[person]
        try:
            while queue:
                inbound, send = queue[0]
                await self._process(inbound, send)
                queue.popleft()
        finally:
            del self._queues[person]

    async def _process(self, inbound: Inbound, send: Send) -> None:
        replies = await self._handle(inbound)
        if replies is None:
            return
        try:
            await send(inbound, replies)
        except Exception as error:  # the channel has retried already; other events go on
            logger.error("answer not delivered", extra={"channel": inbound.channel, "error": type(error).__name__})

    async def _handle(self, inbound: Inbound) -> Replies | None:
        """The router's answers to `inbound`, retried after a failure; None if there are none."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._conversations.handle(inbound)
            except InvalidPayload:
                logger.warning("postback refused: no menu offers it", extra={"channel": inbound.channel})
                return None
            except Exception as error:  # any failure of one event must not stop the others
                if attempt > len(self._retry_delays):
                    logger.error(
                        "event given up after every attempt failed",
                        extra={"channel": inbound.channel, "attempts": attempt, "error": type(error).__name__},
                    )
                    return None
                logger.warning(
                    "event processing failed; will retry",
                    extra={"channel": inbound.channel, "attempt": attempt, "error": type(error).__name__},
                )
                await asyncio.sleep(self._retry_delays[attempt - 1])

    async def drain(self) -> None:
        """Wait until every accepted event has been processed (at shutdown, and in tests)."""
        while self._workers:
            await asyncio.gather(*list(self._workers), return_exceptions=True)
