"""Web chat: the page at `GET /chat` and its WebSocket at `/chat/ws`.

Protocol (JSON text frames):

client → server
  {"type": "hello", "session": <token or null>, "language": <code or null>}
  {"type": "message", "id": <client id>, "text": <text>}
  {"type": "postback", "id": <client id>, "payload": <a menu payload>}
server → client
  {"type": "welcome", "session": <token>, "language": <code>}
  {"type": "ack", "id": <client id>}      (after the message's answers: all of them have arrived)
  {"type": "bot", "id": <server id>, "text": <text>, "language": <code>,
   "quick_replies": [{"label", "payload"}]}
  {"type": "error", "code": <code>, "message": <text in the person's language>, "id"?: <client id>}

The session token is random, kept by the page in `sessionStorage` (gone when the tab
closes), and is the person's only identity here: the bot sees an HMAC of it. A reconnect with
the same token continues the same conversation; a message id already handled in that session
(on any connection) is acknowledged again but not processed twice. Bad frames (binary, malformed JSON, unknown types, oversized
text) get an error frame and the connection stays open.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
from collections import OrderedDict
from pathlib import Path

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from core.conversation import Conversations, InvalidPayload
from core.locales import Catalog
from core.messages import Inbound, Outbound, PostbackContent, Rendered, TextContent
from core.settings import LANGUAGES, Settings

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).with_name("webchat_static")
MAX_FRAME_CHARS = 65_536
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REMEMBERED_IDS = 256
_REMEMBERED_SESSIONS = 20_000


class FrameError(ValueError):
    """A frame the protocol does not accept; `code` is sent back to the client."""

    def __init__(self, code: str, client_id: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.client_id = client_id


class WebChat:
    """The web chat channel."""

    name = "webchat"

    def __init__(self, conversations: Conversations, catalog: Catalog, settings: Settings) -> None:
        self.conversations = conversations
        self.catalog = catalog
        self.settings = settings
        self._handled: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def handled_ids(self, session: str) -> OrderedDict[str, None]:
        """The message ids recently handled in a session, across its connections."""
        ids = self._handled.pop(session, None) or OrderedDict()
        self._handled[session] = ids
        while len(self._handled) > _REMEMBERED_SESSIONS:
            self._handled.popitem(last=False)
        return ids

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
        connection = _Connection(self, websocket)
        try:
            await connection.serve()
        except WebSocketDisconnect:
            pass


class _Connection:
    """One WebSocket connection: its session, its language and the ids it has handled."""

    def __init__(self, chat: WebChat, websocket: WebSocket) -> None:
        self.chat = chat
        self.websocket = websocket
        self.session: str | None = None
        self.language = chat.settings.default_language
        self.handled: OrderedDict[str, None] = OrderedDict()
        self.sent = 0

    async def serve(self) -> None:
        while True:
            frame = await self.websocket.receive()
            if frame["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(frame.get("code", 1000))
            try:
                await self._dispatch(self._parse(frame))
            except FrameError as error:
                logger.info("web chat frame refused", extra={"code": error.code})
                await self._error(error.code, error.client_id)

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
        elif kind in ("message", "postback"):
            await self._message(kind, data)
        else:
            raise FrameError("unknown_type")

    async def _hello(self, data: dict) -> None:
        session, language = data.get("session"), data.get("language")
        if session is not None and (not isinstance(session, str) or not _TOKEN.match(session)):
            raise FrameError("invalid_session")
        is_new = session is None
        self.session = session or secrets.token_urlsafe(32)
        self.handled = self.chat.handled_ids(self.session)
        hint = language if language in LANGUAGES else None
        if is_new:
            replies = await self.chat.conversations.greet(self.chat.name, self.session, hint)
            self.language, answers = replies.language, replies.messages
        else:
            self.language = await self.chat.conversations.language_of(self.chat.name, self.session) or (
                hint or self.language
            )
            answers = []
        await self.websocket.send_json({"type": "welcome", "session": self.session, "language": self.language})
        await self._send_answers(answers)

    async def _message(self, kind: str, data: dict) -> None:
        client_id = data.get("id")
        if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
            raise FrameError("invalid_message")
        if self.session is None:
            raise FrameError("hello_required", client_id)
        if client_id in self.handled:
            await self.websocket.send_json({"type": "ack", "id": client_id})
            return
        if kind == "message":
            text = data.get("text")
            if not isinstance(text, str):
                raise FrameError("invalid_message", client_id)
            if len(text) > self.chat.settings.message_max_chars:
                raise FrameError("too_long", client_id)
            content = TextContent(text)
        else:
            payload = data.get("payload")
            if not isinstance(payload, str):
                raise FrameError("invalid_message", client_id)
            content = PostbackContent(payload)
        inbound = Inbound(channel=self.chat.name, channel_user=self.session, content=content, message_id=client_id)
        try:
            replies = await self.chat.conversations.handle(inbound)
        except InvalidPayload:
            raise FrameError("invalid_payload", client_id) from None
        self.language = replies.language
        self._remember(client_id)
        await self._send_answers(replies.messages)
        await self.websocket.send_json({"type": "ack", "id": client_id})

    def _remember(self, client_id: str) -> None:
        self.handled[client_id] = None
        while len(self.handled) > _REMEMBERED_IDS:
            self.handled.popitem(last=False)

    async def _send_answers(self, answers: list[Rendered]) -> None:
        for answer in answers:
            self.sent += 1
            await self.websocket.send_json(
                {
                    "type": "bot",
                    "id": f"b-{self.sent}",
                    "text": answer.text,
                    "language": self.language,
                    "quick_replies": [{"label": q.label, "payload": q.payload} for q in answer.quick_replies],
                }
            )

    async def _error(self, code: str, client_id: str | None) -> None:
        key = {"too_long": "errors.too_long", "binary_not_supported": "errors.not_text"}.get(
            code, "fallback.not_understood"
        )
        message = self.chat.conversations.render(Outbound.keys(key), self.language).text
        frame = {"type": "error", "code": code, "message": message}
        if client_id:
            frame["id"] = client_id
        await self.websocket.send_json(frame)
