"""The client of the bot process: the only module that speaks Rasa's REST JSON.

It sends a person's message with the conversation's pseudonymous id and metadata, and turns
the bot's answers (custom payloads naming locale keys, see `bot/domain/`) into `Outbound`.
It tells "the bot said nothing" (an empty list) apart from "the bot failed" (`BotUnavailable`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from core.messages import HandoffRequest, Outbound, TextPart

logger = logging.getLogger(__name__)
HANDOFF_REASONS = ("person", "urgent")
# How long a bot process that failed is passed over before it is tried again.
REST_SECONDS = 2.0
# Rasa 3.6 resumes cleanly only with `action_listen` after `resume` (without it, the next message
# falls back and re-runs the handoff); the slot tells the bot an operator had the conversation.
RESUME_EVENTS = [
    {"event": "resume"},
    {"event": "action", "name": "action_listen"},
    {"event": "slot", "name": "handed_back", "value": True},
]


class BotUnavailable(RuntimeError):
    """The bot did not answer in time or answered with an error."""


def _part(raw: object) -> TextPart:
    if isinstance(raw, str):
        return TextPart(raw)
    if isinstance(raw, dict) and isinstance(raw.get("key"), str):
        params = raw.get("params") or {}
        return TextPart(raw["key"], tuple(sorted((str(k), str(v)) for k, v in params.items())))
    raise ValueError("unreadable text part")


def to_outbound(message: dict) -> Outbound:
    """Turn one message of Rasa's REST answer into an `Outbound`.

    Every bot text is a custom payload `{"say": [...], "menu": ..., "forget": true?, "stop": true?,
    "handoff": {...}?}`;
    anything else (a plain text from a Rasa default action) becomes the not-understood answer, never raw text.
    """
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("say"), list):
        try:
            menu = custom.get("menu")
            parts = tuple(_part(p) for p in custom["say"])
            return Outbound(
                parts,
                menu if isinstance(menu, str) else None,
                forget=custom.get("forget") is True,
                stop=custom.get("stop") is True,
                handoff=_handoff(custom.get("handoff")),
            )
        except ValueError:
            logger.warning("bot sent an unreadable payload")
    return Outbound.keys("fallback.not_understood", menu="main")


def _handoff(raw: object) -> HandoffRequest | None:
    """The bot's request for a person, if the payload carries a well-formed one."""
    if not isinstance(raw, dict) or raw.get("reason") not in HANDOFF_REASONS:
        return None
    triage = raw.get("triage")
    return HandoffRequest(raw["reason"], triage if isinstance(triage, dict) else None)


@dataclass(frozen=True)
class Parsed:
    """The bot's reading of one text: the intent it acts on, the classifier's ranking (best
    first) and the safety-net signals it found."""

    intent: str
    ranking: tuple[tuple[str, float], ...]
    safety_net: tuple[str, ...]


@dataclass
class _Bot:
    """One bot process: its connection pool, and until when it is skipped after a failure."""

    http: httpx.AsyncClient
    resting_until: float = 0.0


class BotClient:
    """Talks to the bot's REST channel of one or more bot processes, each over a pooled connection.

    Calls go round the processes in turn. A process that refuses the connection, drops it or
    answers 5xx is skipped for `REST_SECONDS` and the call goes to the next one at once, so a
    message is not lost when one bot process dies. A call that timed out is not repeated: the
    slow process may still act on it, and a second process would answer the message twice.
    """

    def __init__(self, base_urls: Sequence[str], timeout: float, api_token: str) -> None:
        if not base_urls:
            raise ValueError("no bot URL")
        self._bots = [_Bot(httpx.AsyncClient(base_url=url, timeout=timeout)) for url in base_urls]
        self._api_token = api_token
        self._turn = itertools.count()

    async def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One call to the first bot process that takes it, starting at the next in turn.

        Raises:
            httpx.HTTPError: every process failed (the last error), or the call timed out.
        """
        start = next(self._turn)
        order = [self._bots[(start + i) % len(self._bots)] for i in range(len(self._bots))]
        now = time.monotonic()
        order.sort(key=lambda bot: bot.resting_until > now)  # resting processes last, if at all
        error: httpx.HTTPError | None = None
        for bot in order:
            try:
                response = await bot.http.request(method, path, **kwargs)
            except httpx.ConnectTimeout as failure:  # never reached the process
                error = failure
            except httpx.TimeoutException:  # the process may still act on it
                raise
            except httpx.TransportError as failure:  # refused, or dropped (the process died)
                error = failure
            else:
                if response.status_code < 500:
                    return response
                error = httpx.HTTPStatusError("bot error", request=response.request, response=response)
            bot.resting_until = time.monotonic() + REST_SECONDS
            logger.warning("bot process failed; trying the next", extra={"error": type(error).__name__})
        raise error

    async def send(self, conversation_id: str, message: str, metadata: dict[str, str]) -> list[Outbound]:
        """Send one message and return the bot's answers.

        Raises:
            BotUnavailable: every bot process is down, too slow, or answered with an error.
        """
        body = {"sender": conversation_id, "message": message, "metadata": metadata}
        try:
            response = await self._request("POST", "/webhooks/saphan/webhook", json=body)
            response.raise_for_status()
            answers = response.json()
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("bot request failed", extra={"error": type(error).__name__})
            raise BotUnavailable(type(error).__name__) from error
        if not isinstance(answers, list):
            raise BotUnavailable("unexpected answer")
        return [to_outbound(m) for m in answers if isinstance(m, dict)]

    async def parse(self, text: str) -> Parsed:
        """How the bot understands `text`, without touching any conversation.

        Raises:
            BotUnavailable: the bot is down, too slow, or answered with an error.
        """
        try:
            response = await self._request(
                "POST", "/model/parse", params={"token": self._api_token}, json={"text": text}
            )
            response.raise_for_status()
            body = response.json()
            ranking = tuple((str(item["name"]), float(item["confidence"])) for item in body.get("intent_ranking") or [])
            intent = (body.get("intent") or {}).get("name") or "nlu_fallback"
            return Parsed(str(intent), ranking, tuple(str(s) for s in body.get("safety_net") or []))
        except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning("bot parse failed", extra={"error": type(error).__name__})
            raise BotUnavailable(type(error).__name__) from error

    async def resume(self, conversation_id: str) -> None:
        """Let the bot answer `conversation_id` again, knowing an operator had it.

        Raises:
            BotUnavailable: the bot is down or refused.
        """
        await self._append_events(conversation_id, RESUME_EVENTS)

    async def triage(self, conversation_id: str) -> dict | None:
        """The triage the bot holds for `conversation_id` (its `triage` slot), or None.

        Raises:
            BotUnavailable: the bot is down or refused.
        """
        try:
            response = await self._request(
                "GET",
                f"/conversations/{conversation_id}/tracker",
                params={"token": self._api_token, "include_events": "NONE"},
            )
            response.raise_for_status()
            triage = (response.json().get("slots") or {}).get("triage")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            logger.warning("bot tracker request failed", extra={"error": type(error).__name__})
            raise BotUnavailable(type(error).__name__) from error
        return triage if isinstance(triage, dict) else None

    async def _append_events(self, conversation_id: str, events: list[dict]) -> None:
        try:
            response = await self._request(
                "POST",
                f"/conversations/{conversation_id}/tracker/events",
                params={"token": self._api_token},
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            logger.warning("bot events request failed", extra={"error": type(error).__name__})
            raise BotUnavailable(type(error).__name__) from error

    async def ready(self) -> int:
        """How many bot processes answer with a model loaded (0: the bot is down)."""
        answers = await asyncio.gather(*(self._ready(bot) for bot in self._bots))
        return sum(answers)

    async def _ready(self, bot: _Bot) -> bool:
        try:
            response = await bot.http.get("/status", params={"token": self._api_token}, timeout=5)
            return response.status_code == 200 and bool(response.json().get("model_id"))
        except (httpx.HTTPError, ValueError):
            return False

    @property
    def processes(self) -> int:
        """How many bot processes this client balances over."""
        return len(self._bots)

    async def aclose(self) -> None:
        """Close the connection pools."""
        for bot in self._bots:
            await bot.http.aclose()
