"""What every webhook channel shares: the webhook's fixed steps, sending with retries, text splitting.

A channel (`channels/line.py`, `channels/telegram.py`) is one class with:

- `name`: the route `/webhooks/<name>`, the registry key and the channel kind in metadata;
- `from_settings(settings)`: the channel, or None when its secrets are unset (it is off);
- `verify(headers, body)`: is the request really from the platform (in constant time);
- `parse(headers, body)`: the request's events as `Inbound` (pure; SDK types stay inside);
- `send(inbound, replies)`: deliver the answers to one event.

The base class's webhook runs the same steps for every channel, in this order: size limit
(413) → verification (401/403, no detail) → parse (400 or 415) → accept each event for
processing in the background (`core.delivery`) → 200. Nothing is logged but event names,
kinds and counts: no text, ids, tokens, signatures or payloads.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from core.delivery import Delivery
from core.messages import Inbound, Replies

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 1024 * 1024
SEND_RETRY_DELAYS_SECONDS = (1.0, 2.0, 4.0, 8.0)
MAX_RETRY_WAIT_SECONDS = 30.0
T = TypeVar("T")


class MalformedPayload(ValueError):
    """A verified request whose body is not what the platform sends; `status` is 400 or 415."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


class WebhookChannel(ABC):
    """A channel that receives a platform's webhook at `POST /webhooks/<name>`."""

    name: ClassVar[str]
    # The answer to a request that fails verification (LINE: 401, Telegram: 403).
    refused_status: ClassVar[int] = 401

    @abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the request comes from the platform (checked before anything is parsed)."""

    @abstractmethod
    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Inbound]:
        """The events of a verified request; unknown event kinds are logged by kind and skipped.

        Raises:
            MalformedPayload: the body is not a payload of this platform.
        """

    @abstractmethod
    async def send(self, inbound: Inbound, replies: Replies) -> None:
        """Deliver the answers to one event (its own platform calls are retried)."""

    async def aclose(self) -> None:
        """Release the channel's clients (at shutdown)."""

    def router(self, delivery: Delivery) -> APIRouter:
        """The channel's webhook route."""
        router = APIRouter(tags=["channels"])

        async def webhook(request: Request) -> Response:
            body = await _read_limited(request, MAX_WEBHOOK_BYTES)
            if body is None:
                return JSONResponse({"error": "request too large"}, status_code=413)
            if not self.verify(request.headers, body):
                logger.warning("webhook refused: verification failed", extra={"channel": self.name})
                return JSONResponse({"error": "forbidden"}, status_code=self.refused_status)
            try:
                events = self.parse(request.headers, body)
            except MalformedPayload as error:
                logger.warning("webhook refused: malformed", extra={"channel": self.name, "reason": str(error)})
                return JSONResponse({"error": str(error)}, status_code=error.status)
            accepted = 0
            for inbound in events:
                accepted += await delivery.accept(inbound)
            logger.info("webhook accepted", extra={"channel": self.name, "events": len(events), "new": accepted})
            return JSONResponse({})

        router.add_api_route(f"/webhooks/{self.name}", webhook, methods=["POST"], include_in_schema=True)
        return router


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past `limit` bytes (whatever the headers say)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def send_with_retries(
    call: Callable[[], Awaitable[T]],
    retry_after: Callable[[Exception], float | None],
    *,
    channel: str,
    delays: tuple[float, ...] = SEND_RETRY_DELAYS_SECONDS,
) -> T:
    """Run a platform call, retrying with back-off while it fails with a passing error.

    Args:
        call: makes the platform call.
        retry_after: for an error, the seconds the platform asks to wait (0 if it does not
            say), or None when the error will not pass (a 4xx other than 429).
        channel: the channel's name, for the log.
        delays: the pauses between attempts; the platform's own wait is used when longer
            (up to `MAX_RETRY_WAIT_SECONDS`).

    Raises:
        Exception: the last error, once every attempt failed or the error will not pass.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except Exception as error:  # the platform SDKs raise their own types; retry_after sorts them
            wait = retry_after(error)
            if wait is None or attempt > len(delays):
                logger.error(
                    "send failed; given up",
                    extra={"channel": channel, "attempts": attempt, "error": type(error).__name__},
                )
                raise
            logger.warning("send failed; will retry", extra={"channel": channel, "attempt": attempt})
            await asyncio.sleep(min(max(delays[attempt - 1], wait), MAX_RETRY_WAIT_SECONDS))


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` characters, at paragraph, line or word ends.

    A paragraph end is preferred, then a line end, then a space, as long as the part stays
    longer than half the limit; a text without any of them is cut at the limit.
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = next((at for at in map(window.rfind, ("\n\n", "\n", " ")) if at > limit // 2), limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
