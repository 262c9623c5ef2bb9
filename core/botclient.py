"""The client of the bot process: the only module that speaks Rasa's REST JSON.

It sends a person's message with the conversation's pseudonymous id and metadata, and turns
the bot's answers (custom payloads naming locale keys, see `bot/domain/`) into `Outbound`.
It tells "the bot said nothing" (an empty list) apart from "the bot failed" (`BotUnavailable`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from core.messages import HandoffRequest, Outbound, TextPart

logger = logging.getLogger(__name__)
HANDOFF_REASONS = ("person", "urgent")
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


class BotClient:
    """Talks to the bot's REST channel over one pooled HTTP connection."""

    def __init__(self, base_url: str, timeout: float, api_token: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._api_token = api_token

    async def send(self, conversation_id: str, message: str, metadata: dict[str, str]) -> list[Outbound]:
        """Send one message and return the bot's answers.

        Raises:
            BotUnavailable: the bot is down, too slow, or answered with an error.
        """
        body = {"sender": conversation_id, "message": message, "metadata": metadata}
        try:
            response = await self._http.post("/webhooks/rest/webhook", json=body)
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
            response = await self._http.post("/model/parse", params={"token": self._api_token}, json={"text": text})
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
            response = await self._http.get(
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
            response = await self._http.post(
                f"/conversations/{conversation_id}/tracker/events", params={"token": self._api_token}, json=events
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            logger.warning("bot events request failed", extra={"error": type(error).__name__})
            raise BotUnavailable(type(error).__name__) from error

    async def ready(self) -> bool:
        """True when the bot answers and has a model loaded."""
        try:
            response = await self._http.get("/status", params={"token": self._api_token}, timeout=5)
            return response.status_code == 200 and bool(response.json().get("model_id"))
        except (httpx.HTTPError, ValueError):
            return False

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()
