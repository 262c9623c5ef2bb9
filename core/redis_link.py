"""Saphan's link to Redis, shared by the app processes of one installation (`SAPHAN_REDIS_URL`).

Two uses. Notices go to every app process: the console's live updates, and a message for a web
chat page open on another process. Small values are read by every process: a location a person
shared, the messages a web chat page has not fetched yet; each is sealed (encrypted with the
app's key) and expires. Without a URL there is no link and one app process keeps all this in
memory. When Redis stops answering, the link says so (`up`, shown by `/healthz`), every user of
it falls back to this process's memory, and it tries Redis again a few seconds later: nothing
fails because Redis is down.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio

from core.crypto import Sealer

logger = logging.getLogger(__name__)

PREFIX = "saphan:"
# After a failure, Redis is left alone this long (so a dead Redis costs no time per message).
PAUSE_SECONDS = 3.0
Listener = Callable[[dict], Awaitable[None]]


class RedisLink:
    """Publish to and hear from the other app processes, and read and write shared values."""

    def __init__(self, url: str, sealer: Sealer) -> None:
        timeouts = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        self._async = redis.asyncio.Redis.from_url(url, **timeouts)
        self._sync = redis.Redis.from_url(url, **timeouts)
        self._listener_client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=0.5)
        self._sealer = sealer
        self._origin = secrets.token_hex(8)
        self._listeners: dict[str, Listener] = {}
        self._paused_until = 0.0
        self._listening = False

    @property
    def up(self) -> bool:
        """True while Redis answers and this process hears the others."""
        return self._listening and time.monotonic() >= self._paused_until

    def _failed(self, error: Exception) -> None:
        if time.monotonic() >= self._paused_until:
            logger.error("redis unavailable; this process works alone", extra={"error": type(error).__name__})
        self._paused_until = time.monotonic() + PAUSE_SECONDS

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def on(self, topic: str, listener: Listener) -> None:
        """Call `listener` with each message another process publishes on `topic` (register
        before `listen` starts)."""
        self._listeners[PREFIX + topic] = listener

    async def publish(self, topic: str, message: dict) -> bool:
        """Send `message` to the other processes listening on `topic`; False when Redis is down."""
        if self._paused():
            return False
        envelope = json.dumps({"from": self._origin, "body": self._sealer.seal(json.dumps(message))})
        try:
            await self._async.publish(PREFIX + topic, envelope)
            return True
        except (redis.RedisError, OSError) as error:
            self._failed(error)
            return False

    async def listen(self) -> None:
        """Hear the other processes until cancelled, reconnecting after a failure."""
        while True:
            pubsub = self._listener_client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self._listeners)
                self._listening = True
                self._paused_until = 0.0
                async for message in pubsub.listen():
                    await self._hear(message)
            except (redis.RedisError, OSError) as error:
                self._listening = False
                self._failed(error)
                await asyncio.sleep(1.0)
            finally:
                self._listening = False
                try:
                    await pubsub.aclose()
                except (redis.RedisError, OSError):
                    pass

    async def _hear(self, message: dict) -> None:
        try:
            envelope = json.loads(message["data"])
            if envelope["from"] == self._origin:
                return
            body = json.loads(self._sealer.open(envelope["body"]))
            await self._listeners[message["channel"].decode()](body)
        except Exception as error:  # one unreadable message must not stop the others
            logger.warning("notice from another process not read", extra={"error": type(error).__name__})

    def get(self, key: str) -> dict | None:
        """The shared value of `key`, or None.

        Raises:
            LinkDown: Redis does not answer.
        """
        raw = self._call(lambda: self._sync.get(PREFIX + key))
        return json.loads(self._sealer.open(raw.decode())) if raw else None

    def put(self, key: str, value: dict, ttl_seconds: int) -> None:
        """Share `value` under `key` for `ttl_seconds`.

        Raises:
            LinkDown: Redis does not answer.
        """
        sealed = self._sealer.seal(json.dumps(value))
        self._call(lambda: self._sync.set(PREFIX + key, sealed, ex=ttl_seconds))

    def delete(self, key: str) -> None:
        """Stop sharing `key`.

        Raises:
            LinkDown: Redis does not answer.
        """
        self._call(lambda: self._sync.delete(PREFIX + key))

    def _call(self, command):
        if self._paused():
            raise LinkDown("redis paused after a failure")
        try:
            return command()
        except (redis.RedisError, OSError) as error:
            self._failed(error)
            raise LinkDown(type(error).__name__) from error

    async def ping(self) -> bool:
        """True when Redis answers now."""
        try:
            return bool(await self._async.ping())
        except (redis.RedisError, OSError):
            return False

    async def aclose(self) -> None:
        """Close the connections."""
        await self._async.aclose()
        await self._listener_client.aclose()
        self._sync.close()


class LinkDown(RuntimeError):
    """Redis does not answer now."""


class SharedValues:
    """Values every app process can read: in Redis when there is a link and it answers, else in
    this process's memory (which is also read, so nothing kept during an outage is missed). A
    deletion Redis missed during an outage is made again as soon as it answers."""

    def __init__(self, link: RedisLink | None, ttl_seconds: int) -> None:
        self._link = link
        self._ttl_seconds = ttl_seconds
        self._memory: dict[str, tuple[float, dict]] = {}
        self._undeleted: set[str] = set()

    def get(self, key: str) -> dict | None:
        """The value of `key`, or None."""
        if self._reachable():
            try:
                value = self._link.get(key)
                if value is not None:
                    return value
            except LinkDown:
                pass
        expires, value = self._memory.get(key, (0.0, None))
        if value is not None and expires < time.monotonic():
            del self._memory[key]
            return None
        return value

    def put(self, key: str, value: dict) -> None:
        """Keep `value` under `key` (until it expires)."""
        if self._reachable():
            try:
                self._link.put(key, value, self._ttl_seconds)
                self._memory.pop(key, None)
                return
            except LinkDown:
                pass
        self._memory[key] = (time.monotonic() + self._ttl_seconds, value)

    def delete(self, key: str) -> None:
        """Forget `key` everywhere it may be kept."""
        self._memory.pop(key, None)
        if self._link is not None:
            self._undeleted.add(key)
            self._reachable()

    def _reachable(self) -> bool:
        """True when Redis can be used, after making the deletions it missed."""
        if self._link is None:
            return False
        try:
            while self._undeleted:
                key = next(iter(self._undeleted))
                self._link.delete(key)
                self._undeleted.discard(key)
        except LinkDown:
            return False
        return True
