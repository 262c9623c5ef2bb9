"""The fake Telegram Bot API: the methods Saphan calls, answered like the real API.

Requests come to `/bot<token>/<method>` (any token), as python-telegram-bot sends them
(form-encoded, nested values as JSON). Answers are `{"ok": true, "result": …}` with results
python-telegram-bot reads (a sent message has its id, date and chat), and the real API's
errors for what it refuses: an empty or too long text, a button's data over 64 bytes, a
missing chat id, an unknown method, and (when a test asks) flood control with `retry_after`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from urllib.parse import parse_qsl

from fakeplatform.server import FakePlatform, Recorded

PREFIX = "/bot"
BOT_USER = {"id": 900000001, "is_bot": True, "first_name": "Saphan", "username": "saphan_test_bot"}
MAX_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
# Parameters python-telegram-bot sends as JSON inside the form.
_JSON_PARAMETERS = {"reply_markup", "allowed_updates"}


def method_of(request: Recorded) -> str:
    """The Bot API method a request calls (`sendMessage`, …)."""
    return request.path.split("?", 1)[0].rsplit("/", 1)[-1]


def params(request: Recorded) -> dict:
    """A request's parameters, with `reply_markup` and `allowed_updates` decoded from JSON."""
    if request.headers.get("content-type", "").startswith("application/json"):
        values = request.json() or {}
    else:
        values = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    return {key: json.loads(value) if key in _JSON_PARAMETERS and isinstance(value, str) else value
            for key, value in values.items()}  # fmt: skip


def calls(fake: FakePlatform, method: str, chat_id: int | None = None) -> list[dict]:
    """The parameters of every call of `method` (to `chat_id` only, if given), oldest first."""
    found = [params(request) for request in fake.requests(PREFIX) if method_of(request) == method]
    return [p for p in found if chat_id is None or str(p.get("chat_id")) == str(chat_id)]


def wait_for_calls(fake: FakePlatform, method: str, chat_id: int, count: int = 1, timeout: float = 30.0) -> list[dict]:
    """Wait until `count` calls of `method` to `chat_id` have arrived, and return them all.

    Raises:
        TimeoutError: fewer arrived within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = calls(fake, method, chat_id)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise TimeoutError(f"{len(calls(fake, method, chat_id))} of {count} {method} calls to the chat arrived")


def _error(status: int, description: str, **parameters) -> tuple[int, dict[str, str], dict]:
    body = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, {}, body


class TelegramFake:
    """The fake API's state: message ids, the registered webhook and the flood control a test asks for."""

    def __init__(self) -> None:
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._floods: dict[str, list[int]] = {}
        self.webhook: dict = {}

    def flood(self, method: str, retry_after: int, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and `retry_after` seconds, as Telegram does."""
        with self._lock:
            self._floods.setdefault(method, []).extend([retry_after] * times)

    def answer(self, request: Recorded) -> tuple[int, dict[str, str], object]:
        """The answer to one Bot API request."""
        method = method_of(request)
        with self._lock:
            waiting = self._floods.get(method)
            if waiting:
                seconds = waiting.pop(0)
                return _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        handlers = {
            "getMe": lambda _: BOT_USER,
            "sendMessage": self._send_message,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
        }
        handler = handlers.get(method)
        if handler is None:
            return _error(404, "Not Found")
        result = handler(params(request))
        return result if isinstance(result, tuple) else (200, {}, {"ok": True, "result": result})

    def _message(self, chat_id, message_id: int | None = None, **fields) -> dict:
        chat = {"id": int(chat_id), "type": "private", "first_name": "Person"}
        message_id = next(self._ids) if message_id is None else message_id
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER, **fields}

    def _send_message(self, p: dict):
        text = p.get("text", "")
        if "chat_id" not in p:
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:  # Telegram counts UTF-16 units
            return _error(400, "Bad Request: message is too long")
        markup = p.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > MAX_CALLBACK_DATA_BYTES:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        extra = {"reply_markup": markup} if "inline_keyboard" in markup else {}
        return self._message(p["chat_id"], text=text, **extra)

    def _edit_reply_markup(self, p: dict):
        if "chat_id" not in p or "message_id" not in p:
            return _error(400, "Bad Request: message identifier is not specified")
        return self._message(p["chat_id"], int(p["message_id"]), text="menu")

    def _answer_callback_query(self, p: dict):
        return True if p.get("callback_query_id") else _error(400, "Bad Request: query is too old")

    def _set_webhook(self, p: dict):
        if not p.get("url", "").startswith("https://"):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = p
        return True

    def _delete_webhook(self, _params: dict) -> bool:
        self.webhook = {}
        return True

    def _webhook_info(self, _params: dict) -> dict:
        info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        if "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info


def install(fake: FakePlatform) -> TelegramFake:
    """Register the fake Telegram API's responders on `fake`, and return its state."""
    telegram = TelegramFake()
    fake.respond(PREFIX, telegram.answer)
    return telegram
