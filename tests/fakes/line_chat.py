"""LINE as one person talking to the live app: signed webhook events in, LINE API calls out.

Every chat has a tag of its own in its people's ids and reply tokens, so the calls the shared
fake recorded can be told apart: a reply names only its token, a push names the person.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import time

import httpx

from tests.conftest import LINE_CHANNEL_SECRET
from tests.fakes.platform import FakePlatform, Recorded

WAIT_SECONDS = 45


def signature(body: bytes, secret: str = LINE_CHANNEL_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def recipient(call: Recorded) -> str:
    body = call.json()
    return body.get("to") or body.get("replyToken") or ""


def endpoint(call: Recorded) -> str:
    return call.path.rsplit("/", 1)[-1]


def texts(messages: list[dict]) -> str:
    return "\n".join(message["text"] for message in messages)


def buttons(messages: list[dict]) -> list[dict]:
    """The quick-reply actions LINE would show: those under the last message."""
    return [item["action"] for item in messages[-1].get("quickReply", {}).get("items", [])] if messages else []


def payloads(messages: list[dict]) -> list[str]:
    return [action.get("data", action["type"]) for action in buttons(messages)]


class LineChat:
    """LINE as one person (and their group and room) talking to the live app."""

    def __init__(self, settings, platform: FakePlatform) -> None:
        self.url = f"http://127.0.0.1:{settings.app_port}/webhooks/line"
        self.platform = platform
        self.tag = secrets.token_hex(8)
        self.user, self.group, self.room = f"U{self.tag}", f"C{self.tag}", f"R{self.tag}"
        self.count = 0

    def event(self, kind: str, source: dict | None = None, **fields) -> dict:
        """A new event as LINE sends it, with its own event id and reply token."""
        self.count += 1
        event = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": source or {"type": "user", "userId": self.user},
            "webhookEventId": f"E{self.tag}{self.count:04d}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": f"T{self.tag}{self.count:04d}",
        }
        event.update(fields)
        return event

    def own(self, sample: dict) -> dict:
        """A recorded sample event made this chat's: its people, a new event id and reply token."""
        event = copy.deepcopy(sample)
        fresh = self.event(event["type"])
        event["webhookEventId"], event["timestamp"] = fresh["webhookEventId"], fresh["timestamp"]
        if "replyToken" in event:
            event["replyToken"] = fresh["replyToken"]
        source = event.get("source", {})
        for key, value in (("userId", self.user), ("groupId", self.group), ("roomId", self.room)):
            if key in source:
                source[key] = value
        return event

    def post(self, *events: dict, headers: dict[str, str] | None = None, body: bytes | None = None) -> httpx.Response:
        body = body if body is not None else json.dumps({"destination": "Usaphan", "events": list(events)}).encode()
        if headers is None:
            headers = {"Content-Type": "application/json", "X-Line-Signature": signature(body)}
        return httpx.post(self.url, content=body, headers=headers, timeout=10)

    def calls(self) -> list[Recorded]:
        """Every call the app made to LINE for this chat, oldest first."""
        return [call for call in self.platform.requests("/v2/bot/message/") if self.tag in recipient(call)]

    def wait_for_calls(self, count: int, timeout: float = WAIT_SECONDS) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.calls())} of {count} calls to LINE arrived")

    def exchange(self, event: dict) -> list[dict]:
        """Post `event`; the messages LINE was asked to show for it."""
        before = len(self.calls())
        assert self.post(event).status_code == 200
        self.wait_for_calls(before + 1)
        time.sleep(0.3)  # a push after a reply of five would follow at once
        return [message for call in self.calls()[before:] for message in call.json()["messages"]]

    def text(self, text: str, **fields) -> dict:
        """A text message event; LINE sends a quote token with every text."""
        message = {"id": f"M{self.count}", "type": "text", "text": text, "quoteToken": f"Q{self.count}"}
        return self.event("message", message=message, **fields)

    def say(self, text: str) -> list[dict]:
        return self.exchange(self.text(text))

    def press(self, payload: str) -> list[dict]:
        return self.exchange(self.event("postback", postback={"data": payload}))
