"""Accepted events are processed once each, in order per person, in the background.

A channel's webhook verifies and parses a request, hands its events to `Delivery.accept` and
answers the platform at once (platforms retry a slow or failed webhook, which would duplicate
messages). `accept` keeps each event in the inbox (`core.inbox`) first, so an event outlives the
process that took it. Each event is then handled by the conversation router and its answers are
given to the channel's `send`, one event at a time per conversation, in the order they arrived,
by whichever app process holds the conversation. A redelivered event (same platform event id) is
accepted once. A failed attempt is retried after a pause; after the last one the person is told
that Saphan cannot answer now and given the hotline numbers. When the database takes no writes,
an event is held in memory instead, and still answered: after the events stored before it (if
the database gives them out again within the retry pauses) and before those that come after it.
Nothing is logged with its content.

Must not import any web framework or channel SDK.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from core.conversation import Conversations, InvalidPayload
from core.inbox import LEASE, Inbox, Waiting
from core.messages import Inbound, Replies

logger = logging.getLogger(__name__)

Send = Callable[[Inbound, Replies], Awaitable[None]]
RETRY_DELAYS_SECONDS = (0.5, 2.0, 5.0)
# An event whose processing was started this often (by processes that died on it) is given up.
MAX_STARTS = 3
SWEEP_SECONDS = 1.0
# Pauses between attempts to delete an answered event while the database fails (doubling).
ANSWERED_RETRY_FIRST_SECONDS = 0.2
ANSWERED_RETRY_LAST_SECONDS = 5.0


class Delivery:
    """Processing of accepted events: kept in the inbox, ordered per conversation, in the background."""

    def __init__(
        self,
        conversations: Conversations,
        inbox: Inbox,
        answer: Send,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self._conversations = conversations
        self._inbox = inbox
        self._answer = answer
        self._retry_delays = retry_delays
        # Events the database would not take, per conversation: handled from memory.
        self._unstored: dict[str, deque[Inbound]] = {}
        self._workers: dict[str, asyncio.Task] = {}

    async def accept(self, inbound: Inbound) -> bool:
        """Keep one event for processing; False when nothing was kept.

        Nothing is kept for a redelivery, nor for the correction of a message already answered:
        an edit counts as a new message only while its original still waits (answering a
        correction of an answered message would repeat the conversation). When the database
        takes no writes, the event is held in memory and still answered.
        """
        conversation = self._conversations.key(inbound.channel, inbound.channel_user)
        if self._unstored.get(conversation):  # behind events held in memory, so as not to overtake them
            self._unstored[conversation].append(inbound)
            self.wake(conversation)
            return True
        try:
            if inbound.edit_of is not None and not await self._waits(conversation, inbound.edit_of):
                logger.info("edit of an answered message ignored", extra={"channel": inbound.channel})
                return False
            if not await asyncio.to_thread(self._inbox.store, conversation, inbound):
                logger.info("redelivered event ignored", extra={"channel": inbound.channel})
                return False
        except SQLAlchemyError as error:
            logger.error("event not stored; handled from memory", extra={"error": type(error).__name__})
            self._unstored.setdefault(conversation, deque()).append(inbound)
        self.wake(conversation)
        return True

    async def _waits(self, conversation: str, message_id: str) -> bool:
        unstored = self._unstored.get(conversation, ())
        return any(waiting.message_id == message_id for waiting in unstored) or await asyncio.to_thread(
            self._inbox.waits, conversation, message_id
        )

    def wake(self, conversation: str) -> None:
        """Make sure this process works through `conversation`'s waiting events (unless another
        process holds it: that one does)."""
        worker = self._workers.get(conversation)
        if worker is not None and not worker.done():
            return
        worker = self._workers[conversation] = asyncio.create_task(self._work(conversation))
        worker.add_done_callback(functools.partial(self._worker_done, conversation))

    def _worker_done(self, conversation: str, worker: asyncio.Task) -> None:
        if self._workers.get(conversation) is worker:
            del self._workers[conversation]

    async def _work(self, conversation: str) -> None:
        """Answer the conversation's stored events, then those held in memory (which came later)."""
        waited = 0
        while True:
            try:
                more = await self._work_stored(conversation)
            except SQLAlchemyError as error:  # the sweep takes the conversation up again
                logger.error("inbox unavailable; events wait", extra={"error": type(error).__name__})
                more = False
                if self._unstored.get(conversation) and waited < len(self._retry_delays):
                    if await self._may_hold_stored(conversation):  # the held events must not overtake them
                        await asyncio.sleep(self._retry_delays[waited])
                        waited += 1
                        continue
            await self._work_unstored(conversation)
            if not more and not self._unstored.get(conversation):
                return  # nothing awaited since the last look: no event can slip past

    async def _may_hold_stored(self, conversation: str) -> bool:
        """Whether the inbox may hold events of `conversation` it could not give out (a read-only
        database still tells; a database that is down does not)."""
        try:
            return await asyncio.to_thread(self._inbox.has_waiting, conversation)
        except SQLAlchemyError:
            return True

    async def _work_stored(self, conversation: str) -> bool:
        """Answer the conversation's stored events while holding its lease; True when more
        arrived meanwhile (stored by another process while this one held the lease)."""
        if not await asyncio.to_thread(self._inbox.claim, conversation):
            return False  # another process has the conversation
        holding = asyncio.create_task(self._hold(conversation))
        try:
            while (waiting := await asyncio.to_thread(self._inbox.next_event, conversation)) is not None:
                await self._process_stored(waiting)
        finally:
            holding.cancel()
            await asyncio.to_thread(self._inbox.release, conversation)
        return await asyncio.to_thread(self._inbox.has_waiting, conversation)

    async def _hold(self, conversation: str) -> None:
        """Renew the lease of `conversation` while it is worked on (an answer retried against a
        failing platform may take longer than one lease)."""
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 3)
            try:
                await asyncio.to_thread(self._inbox.claim, conversation)
            except SQLAlchemyError as error:
                logger.warning("lease not renewed", extra={"error": type(error).__name__})

    async def _work_unstored(self, conversation: str) -> None:
        unstored = self._unstored.get(conversation)
        while unstored:
            await self._process(unstored[0])
            unstored.popleft()
        self._unstored.pop(conversation, None)

    async def _process_stored(self, waiting: Waiting) -> None:
        if waiting.attempts > MAX_STARTS:
            logger.error("event given up: processing it kept failing", extra={"channel": waiting.inbound.channel})
        else:
            await self._process(waiting.inbound)
        await self._forget_answered(waiting.id)

    async def _forget_answered(self, event_id: int) -> None:
        """Delete an answered event from the inbox, retrying while the database fails: an event
        left there after its answer was sent would be answered a second time."""
        pause = ANSWERED_RETRY_FIRST_SECONDS
        while True:
            try:
                await asyncio.to_thread(self._inbox.answered, event_id)
                return
            except SQLAlchemyError as error:
                logger.warning("answered event not deleted yet; will retry", extra={"error": type(error).__name__})
                await asyncio.sleep(pause)
                pause = min(pause * 2, ANSWERED_RETRY_LAST_SECONDS)

    async def _process(self, inbound: Inbound) -> None:
        replies = await self._handle(inbound)
        if replies is None:
            return
        try:
            await self._answer(inbound, replies)
        except Exception as error:  # the channel has retried already; other events go on
            logger.error("answer not delivered", extra={"channel": inbound.channel, "error": type(error).__name__})

    async def _handle(self, inbound: Inbound) -> Replies | None:
        """The router's answers to `inbound`, retried after a failure; after the last failure the
        person is told that Saphan cannot answer now and given the hotlines. None: no answer."""
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
                        "event given up after every attempt failed; hotlines given",
                        extra={"channel": inbound.channel, "attempts": attempt, "error": type(error).__name__},
                    )
                    return self._conversations.unavailable(inbound)
                logger.warning(
                    "event processing failed; will retry",
                    extra={"channel": inbound.channel, "attempt": attempt, "error": type(error).__name__},
                )
                await asyncio.sleep(self._retry_delays[attempt - 1])

    async def sweep(self, interval_seconds: float = SWEEP_SECONDS) -> None:
        """Take up waiting events no live process works on (left by a process that died, or
        stored while the database was failing), every `interval_seconds`, for as long as the app runs."""
        while True:
            try:
                for conversation in await asyncio.to_thread(self._inbox.waiting_conversations):
                    self.wake(conversation)
            except SQLAlchemyError as error:
                logger.error("inbox not swept", extra={"error": type(error).__name__})
            await asyncio.sleep(interval_seconds)

    async def drain(self) -> None:
        """Wait until every event this process took up has been processed (at shutdown, and in tests)."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
