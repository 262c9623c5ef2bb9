"""Web chat: the page at `GET /chat` and its WebSocket at `/chat/ws`.

Protocol (JSON text frames):

client → server
  {"type": "hello", "session": <token or null>, "language": <code or null>, "training"?: <ticket>}
  {"type": "message", "id": <client id>, "text": <text>}
  {"type": "postback", "id": <client id>, "payload": <a menu payload>}
  {"type": "location", "id": <client id>, "latitude": <number>, "longitude": <number>}
      (sent only after the person pressed the quick reply that requests a location and the
      browser gave a position; finite numbers, latitude in [-90, 90], longitude in [-180, 180])
  {"type": "ping"}                        (the page checks that the connection still carries)
server → client
  {"type": "welcome", "session": <token>, "language": <code>, "training": <bool>}
  {"type": "ack", "id": <client id>}      (after the message's answers: all of them have arrived)
  {"type": "bot", "id": <server id>, "text": <text>, "from": "assistant" | "team", "language": <code>,
   "quick_replies": [{"label", "payload", "requests_location": <bool>}]}
  {"type": "pong"}                        (at once, even while a message is being answered)
  {"type": "error", "code": <code>, "message": <text in the person's language>, "id"?: <client id>}
      codes: binary_not_supported, too_large, malformed_json, invalid_message, unknown_type,
      invalid_session, hello_required, too_long, invalid_payload, invalid_location, busy (more
      than 32 frames waiting on one connection), invalid_training (a training ticket that is
      forged or expired), training_ended (the trainer ended this training chat); with an id,
      that message will not be answered

A trainer's page opens a training chat with the ticket the console gave it (`core.training`):
the conversation is marked as training before the greeting, and the welcome says so.

A quick reply with `requests_location` true is never sent back as a postback: the page asks the
browser for the position and sends a `location` frame, which becomes a `LocationContent`.

The session token is random, kept by the page in `sessionStorage` (gone when the tab closes;
in `localStorage` only if the person ticks "keep this chat on this device"), and is the
person's only identity here: the bot sees an HMAC of it. A reconnect with the same token
continues the same conversation. A bot message's id is derived from the id of the message it
answers, so an answer that arrives twice has the same id and the page shows it once. A message
id already handled in the session (on any connection) is not processed twice: its answers are
sent again (the page may have lost them with the connection) and it is acknowledged again; a
message still being answered on another connection is waited for. This memory is the app's
only: after an app restart, a message the page never saw acknowledged is handled again. Bad
frames (binary, malformed JSON, unknown types, oversized text, invalid locations) get an error
frame and the connection stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import math
import re
import secrets
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from core.conversation import Conversations, InvalidPayload
from core.locales import Catalog
from core.messages import (
    Content,
    Inbound,
    LocationContent,
    OpenedContent,
    Outbound,
    PostbackContent,
    Rendered,
    Replies,
    TextContent,
)
from core.redis_link import RedisLink
from core.settings import LANGUAGES, Settings
from core.training import TrainingChats

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("webchat_static")
MAX_FRAME_CHARS = 65_536
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REMEMBERED_IDS = 256
_REPLAYED_IDS = 8
_REPLAYED_PUSHES = 50
PUSH_TOPIC = "webchat"
_REMEMBERED_SESSIONS = 20_000
_QUEUED_FRAMES = 32
_GREETING = "*greeting"  # names the greeting's answers; never a client id, so never the same ids
_ERROR_TEXTS = {
    "too_long": "errors.too_long",
    "binary_not_supported": "errors.not_text",
    "invalid_location": "webchat.location_unavailable",
    "invalid_training": "webchat.training_ended",
    "training_ended": "webchat.training_ended",
}


class FrameError(ValueError):
    """A frame the protocol does not accept; `code` is sent back to the client."""

    def __init__(self, code: str, client_id: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.client_id = client_id


@dataclass
class _Session:
    """What the app remembers of one session across its connections, in memory only.

    `answered` maps a handled message id to its answer frames; only the latest few ids keep
    their frames (enough to resend what a dropped connection lost). `running` holds the ids
    being answered right now, so a resend on a new connection waits instead of asking twice.
    """

    answered: OrderedDict[str, list[dict]] = field(default_factory=OrderedDict)
    running: dict[str, asyncio.Event] = field(default_factory=dict)
    # Messages sent without being asked (an operator's, a case notice), replayed on reconnection.
    pushed: deque[dict] = field(default_factory=lambda: deque(maxlen=_REPLAYED_PUSHES))

    def remember(self, client_id: str, frames: list[dict]) -> None:
        """Record a handled message and its answers, forgetting the oldest beyond the limits."""
        self.answered[client_id] = frames
        ids = list(self.answered)
        if len(ids) > _REPLAYED_IDS:
            self.answered[ids[-_REPLAYED_IDS - 1]] = []
        while len(self.answered) > _REMEMBERED_IDS:
            self.answered.popitem(last=False)


class WebChat:
    """The web chat channel."""

    name = "webchat"

    def __init__(
        self,
        conversations: Conversations,
        catalog: Catalog,
        settings: Settings,
        training: TrainingChats,
        link: RedisLink | None = None,
    ) -> None:
        self.conversations = conversations
        self.catalog = catalog
        self.settings = settings
        self.training = training
        self._link = link
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._connections: dict[str, set[_Connection]] = {}
        if link is not None:
            link.on(PUSH_TOPIC, self._pushed_elsewhere)

    def session(self, token: str) -> _Session:
        """The remembered state of a session (a fresh one if it was never seen or forgotten)."""
        state = self._sessions.pop(token, None) or _Session()
        self._sessions[token] = state
        while len(self._sessions) > _REMEMBERED_SESSIONS:
            self._sessions.popitem(last=False)
        return state

    async def send(self, inbound: Inbound, replies: Replies) -> None:
        """Deliver messages nobody's page asked for (an operator's, a case notice) to the person's
        open pages, on this app process and (through Redis) on the others; a page that connects
        to this process later gets them on reconnection."""
        frames = [
            _bot_frame(f"push.{secrets.token_hex(6)}", rendered, replies.language) for rendered in replies.messages
        ]
        await self._push(inbound.channel_user, frames)
        if self._link is not None:
            await self._link.publish(PUSH_TOPIC, {"session": inbound.channel_user, "frames": frames})

    async def _pushed_elsewhere(self, message: dict) -> None:
        """Frames another app process pushed: delivered here if the person's page is open here."""
        token, frames = message.get("session"), message.get("frames")
        if isinstance(token, str) and token in self._connections and isinstance(frames, list):
            await self._push(token, frames)

    async def _push(self, token: str, frames: list[dict]) -> None:
        self.session(token).pushed.extend(frames)
        for connection in list(self._connections.get(token, ())):
            for frame in frames:
                await connection.send(frame)

    def attach(self, token: str, connection: _Connection) -> None:
        """Register an open page of session `token`, for messages sent unasked."""
        self._connections.setdefault(token, set()).add(connection)

    def detach(self, token: str, connection: _Connection) -> None:
        """Forget a closed page."""
        connections = self._connections.get(token)
        if connections is not None:
            connections.discard(connection)
            if not connections:
                del self._connections[token]

    def router(self) -> APIRouter:
        """The page, its texts, its static files and the WebSocket."""
        router = APIRouter(tags=["web chat"])
        router.add_api_route("/chat", self.page, methods=["GET"], response_class=HTMLResponse)
        router.add_api_route("/chat/strings/{language}", self.strings, methods=["GET"])
        router.add_api_websocket_route("/chat/ws", self.websocket)
        return router

    def static_files(self) -> StaticFiles:
        """The page's script and style sheet, served from the repository (no CDN)."""
        return StaticFiles(directory=STATIC_DIR)

    def _language(self, requested: str | None) -> str:
        return requested if requested in LANGUAGES else self.settings.default_language

    async def page(self, lang: str | None = None) -> HTMLResponse:
        """The chat page, its texts in `lang` (or the default language)."""
        language = self._language(lang)
        texts = self.catalog.strings(language, "webchat")
        template = (STATIC_DIR / "chat.html").read_text(encoding="utf-8")
        page = re.sub(r"\{\{(\w+)\}\}", lambda m: html.escape(texts.get(m.group(1), "")), template)
        page = page.replace("__LANG__", language)
        headers = {
            "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            # Only this page may ask for a position, and only when the person presses the button.
            "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
        }
        return HTMLResponse(page, headers=headers)

    async def strings(self, language: str) -> JSONResponse:
        """The page's texts and the language names, for switching language without a reload."""
        if language not in LANGUAGES:
            raise HTTPException(status_code=404, detail="unknown language")
        names = {lang: self.catalog.text(lang, "language.name") for lang in LANGUAGES}
        return JSONResponse({"texts": self.catalog.strings(language, "webchat"), "languages": names})

    def _origin_allowed(self, websocket: WebSocket) -> bool:
        """Refuse cross-site WebSocket hijacking: a browser's Origin must be this site's."""
        origin = websocket.headers.get("origin")
        if origin is None:
            return True  # not a browser: no cookies or ambient authority to abuse
        host = websocket.headers.get("host", "")
        return origin in (f"http://{host}", f"https://{host}", *self.settings.webchat_allowed_origins)

    async def websocket(self, websocket: WebSocket) -> None:
        """Serve one browser connection until it closes."""
        if not self._origin_allowed(websocket):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        await _Connection(self, websocket).serve()


class _Connection:
    """One WebSocket connection: a reader that answers pings at once, and a worker that handles
    the other frames one at a time, in order."""

    def __init__(self, chat: WebChat, websocket: WebSocket) -> None:
        self.chat = chat
        self.websocket = websocket
        self.token: str | None = None
        self.training = False
        self.session = _Session()
        self.language = chat.settings.default_language
        self.frames: asyncio.Queue[dict | None] = asyncio.Queue()
        self.open = True

    async def serve(self) -> None:
        worker = asyncio.create_task(self._work())
        try:
            while True:
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                try:
                    data = self._parse(frame)
                except FrameError as error:
                    await self._refuse(error)
                    continue
                if data["type"] == "ping":
                    await self._send({"type": "pong"})
                elif self.frames.qsize() >= _QUEUED_FRAMES:
                    await self._refuse(FrameError("busy"))
                else:
                    self.frames.put_nowait(data)
        except WebSocketDisconnect:
            pass
        finally:
            # The message being answered is finished and remembered, so a resend is not asked twice.
            self.open = False
            if self.token is not None:
                self.chat.detach(self.token, self)
            self.frames.put_nowait(None)
            await worker

    async def _work(self) -> None:
        while (data := await self.frames.get()) is not None and self.open:
            try:
                await self._dispatch(data)
            except FrameError as error:
                await self._refuse(error)
            except Exception as error:  # the page reconnects and sends again what was not acknowledged
                logger.error("web chat frame failed", extra={"error": type(error).__name__})
                self.open = False
                with contextlib.suppress(RuntimeError):
                    await self.websocket.close(code=1011)

    def _parse(self, frame: dict) -> dict:
        if frame.get("bytes") is not None:
            raise FrameError("binary_not_supported")
        raw = frame.get("text") or ""
        if len(raw) > MAX_FRAME_CHARS:
            raise FrameError("too_large")
        try:
            data = json.loads(raw)
        except ValueError:
            raise FrameError("malformed_json") from None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise FrameError("invalid_message")
        return data

    async def _dispatch(self, data: dict) -> None:
        kind = data["type"]
        if kind == "hello":
            await self._hello(data)
        elif kind in ("message", "postback", "location"):
            await self._message(data)
        else:
            raise FrameError("unknown_type")

    async def _hello(self, data: dict) -> None:
        token, language, ticket = data.get("session"), data.get("language"), data.get("training")
        if token is not None and (not isinstance(token, str) or not _TOKEN.match(token)):
            raise FrameError("invalid_session")
        trainer = self.chat.training.trainer_of(ticket) if ticket is not None else None
        if ticket is not None and token is None and trainer is None:
            raise FrameError("invalid_training")
        new_token = token or secrets.token_urlsafe(32)
        key = self.chat.conversations.key(self.chat.name, new_token)
        if token is None and trainer is not None:
            await asyncio.to_thread(self.chat.training.mark, key, self.chat.name, trainer)
        training = await asyncio.to_thread(self.chat.training.is_training, key)
        if ticket is not None and not training:
            raise FrameError("training_ended")
        self.token, self.training = new_token, training
        self.session = self.chat.session(self.token)
        hint = language if language in LANGUAGES else None
        if token is None:
            try:
                replies = await self.chat.conversations.greet(self.chat.name, self.token, hint)
            except SQLAlchemyError as error:  # as for a message: the hotlines, whatever fails
                logger.error("greeting failed; hotlines given", extra={"error": type(error).__name__})
                opened = Inbound(self.chat.name, self.token, OpenedContent(), language_hint=hint)
                replies = self.chat.conversations.unavailable(opened)
            self.language = replies.language
            answers = self._frames(_GREETING, replies.messages)
        else:
            stored = await self.chat.conversations.language_of(self.chat.name, self.token)
            self.language, answers = stored or hint or self.language, []
        await self._send({"type": "welcome", "session": self.token, "language": self.language, "training": training})
        self.chat.attach(self.token, self)
        for answer in [*answers, *self.session.pushed]:
            await self._send(answer)

    async def _message(self, data: dict) -> None:
        client_id = data.get("id")
        if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
            raise FrameError("invalid_message")
        if self.token is None:
            raise FrameError("hello_required", client_id)
        if self.training and not await asyncio.to_thread(
            self.chat.training.is_training, self.chat.conversations.key(self.chat.name, self.token)
        ):
            raise FrameError("training_ended", client_id)
        while client_id in self.session.running:
            await self.session.running[client_id].wait()
        if client_id not in self.session.answered:
            await self._answer(client_id, self._content(data, client_id))
        for answer in self.session.answered[client_id]:
            await self._send(answer)
        await self._send({"type": "ack", "id": client_id})

    async def _answer(self, client_id: str, content: Content) -> None:
        inbound = Inbound(channel=self.chat.name, channel_user=self.token, content=content, message_id=client_id)
        done = self.session.running[client_id] = asyncio.Event()
        try:
            replies = await self.chat.conversations.handle(inbound)
        except InvalidPayload:
            raise FrameError("invalid_payload", client_id) from None
        except SQLAlchemyError as error:  # the database fails: the person still gets the hotlines
            logger.error("message not handled; hotlines given", extra={"error": type(error).__name__})
            replies = self.chat.conversations.unavailable(inbound)
        finally:
            del self.session.running[client_id]
            done.set()
        self.language = replies.language
        self.session.remember(client_id, self._frames(client_id, replies.messages))

    def _content(self, data: dict, client_id: str) -> Content:
        kind = data["type"]
        if kind == "message":
            text = data.get("text")
            if not isinstance(text, str):
                raise FrameError("invalid_message", client_id)
            if len(text) > self.chat.settings.message_max_chars:
                raise FrameError("too_long", client_id)
            return TextContent(text)
        if kind == "postback":
            payload = data.get("payload")
            if not isinstance(payload, str):
                raise FrameError("invalid_message", client_id)
            return PostbackContent(payload)
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if not (_coordinate(latitude, 90) and _coordinate(longitude, 180)):
            raise FrameError("invalid_location", client_id)
        return LocationContent(float(latitude), float(longitude))

    def _frames(self, answered: str, answers: list[Rendered]) -> list[dict]:
        return [
            _bot_frame(f"{answered}.{number}", answer, self.language) for number, answer in enumerate(answers, start=1)
        ]

    async def send(self, frame: dict) -> None:
        """Send a frame that the app pushes unasked, if this page is ready for it."""
        if self.token is not None:
            await self._send(frame)

    async def _send(self, frame: dict) -> None:
        """Send a frame while the connection is open; a closed one has nothing to deliver to."""
        if self.open:
            try:
                await self.websocket.send_json(frame)
            except (WebSocketDisconnect, RuntimeError):
                self.open = False

    async def _refuse(self, error: FrameError) -> None:
        """Answer a refused frame with an error frame in the person's language."""
        logger.info("web chat frame refused", extra={"code": error.code})
        message = self.chat.conversations.render(
            Outbound.keys(_ERROR_TEXTS.get(error.code, "fallback.not_understood")), self.language
        )
        frame = {"type": "error", "code": error.code, "message": message.text}
        if error.client_id:
            frame["id"] = error.client_id
        await self._send(frame)


def _bot_frame(frame_id: str, answer: Rendered, language: str) -> dict:
    """The frame that shows one answer; its id lets the page show it once."""
    return {
        "type": "bot",
        "id": frame_id,
        "text": answer.text,
        "from": answer.author,
        "language": language,
        "quick_replies": [
            {"label": q.label, "payload": q.payload, "requests_location": q.requests_location}
            for q in answer.quick_replies
        ],
    }


def _coordinate(value: object, limit: int) -> bool:
    """True for a finite JSON number within ±`limit` (JSON's NaN and Infinity are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and abs(value) <= limit
