"""A fake of LINE's Messaging API message endpoints, for the LINE channel's SDK to talk to.

It checks what LINE checks for the calls Saphan makes: a bearer token, 1 to 5 messages per
call, text of at most 5000 UTF-16 units, at most 13 quick-reply buttons with labels of at most
20 characters, reply tokens usable once, and a push retry key accepted once (409 after). A test
can make the calls for one recipient (a user id, or a reply token) fail without touching others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import weakref

from fakeplatform.server import FakePlatform, Recorded

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"


def signature(body: bytes, channel_secret: str) -> str:
    """The `X-Line-Signature` LINE puts on a webhook body: base64 of its HMAC-SHA256."""
    return base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeLineApi:
    """Responders of the reply and push endpoints, with failures per recipient."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used_tokens: set[str] = set()
        self._retry_keys: set[str] = set()
        self._failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self._lost_answers: set[str] = set()
        self._ids = itertools.count(1)

    def fail(self, recipient: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` calls for `recipient` (a push's `to` or a reply token) with `status`."""
        with self._lock:
            self._failures.setdefault(recipient, []).extend([(status, headers or {})] * times)

    def lose_next_answer(self, recipient: str) -> None:
        """Accept the next call for `recipient` but answer 500, as if LINE's answer was lost on the way."""
        with self._lock:
            self._lost_answers.add(recipient)

    def reply(self, request: Recorded) -> tuple[int, dict[str, str], object]:
        """POST /v2/bot/message/reply."""
        return self._answer(request, "replyToken")

    def push(self, request: Recorded) -> tuple[int, dict[str, str], object]:
        """POST /v2/bot/message/push."""
        return self._answer(request, "to")

    def _answer(self, request: Recorded, recipient_field: str) -> tuple[int, dict[str, str], object]:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return 401, {}, {"message": "Authentication failed."}
        try:
            body = json.loads(request.body)
        except ValueError:
            return 400, {}, {"message": "The request body has 1 error(s)"}
        recipient = body.get(recipient_field) if isinstance(body, dict) else None
        if not isinstance(recipient, str) or not recipient:
            return 400, {}, _invalid(recipient_field, "Must not be empty")
        with self._lock:
            failures = self._failures.get(recipient)
            if failures:
                status, headers = failures.pop(0)
                return status, headers, {"message": "failure injected by the test"}
        problem = _problem(body.get("messages"))
        if problem:
            return 400, {}, _invalid(*problem)
        with self._lock:
            if recipient_field == "replyToken":
                if recipient in self._used_tokens:
                    return 400, {}, {"message": "Invalid reply token"}
                self._used_tokens.add(recipient)
            retry_key = request.headers.get("x-line-retry-key")
            if retry_key:
                if retry_key in self._retry_keys:
                    return 409, {}, {"message": "The retry key is already accepted"}
                self._retry_keys.add(retry_key)
            sent = [{"id": str(next(self._ids)), "quoteToken": f"q{n}"} for n, _ in enumerate(body["messages"])]
            if recipient in self._lost_answers:
                self._lost_answers.discard(recipient)
                return 500, {}, {"message": "answer lost by the test"}
        return 200, {}, {"sentMessages": sent}


def _problem(messages) -> tuple[str, str] | None:
    """What LINE would refuse in `messages` (property and reason), or None."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return "messages", "Size must be between 1 and 5"
    for n, message in enumerate(messages):
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str) or not text or message.get("type") != "text":
            return f"messages[{n}].text", "Must be a non-empty text message"
        if len(text.encode("utf-16-le")) // 2 > 5000:
            return f"messages[{n}].text", "Length must be between 0 and 5000"
        items = (message.get("quickReply") or {}).get("items", [])
        if len(items) > 13:
            return f"messages[{n}].quickReply.items", "Size must be between 0 and 13"
        for i, item in enumerate(items):
            action = item.get("action", {})
            if action.get("type") not in ("postback", "location") or not 1 <= len(action.get("label", "")) <= 20:
                return f"messages[{n}].quickReply.items[{i}].action.label", "Length must be between 1 and 20"
    return None


def _invalid(prop: str, reason: str) -> dict:
    return {"message": "The request body has 1 error(s)", "details": [{"message": reason, "property": prop}]}


_INSTALLED: weakref.WeakKeyDictionary[FakePlatform, FakeLineApi] = weakref.WeakKeyDictionary()


def install(fake: FakePlatform) -> FakeLineApi:
    """Register the fake LINE API's responders on `fake` and return it."""
    api = FakeLineApi()
    fake.respond(REPLY_PATH, api.reply)
    fake.respond(PUSH_PATH, api.push)
    _INSTALLED[fake] = api
    return api


def installed(fake: FakePlatform) -> FakeLineApi:
    """The fake LINE API installed on `fake` (to make calls for one recipient fail)."""
    return _INSTALLED[fake]
