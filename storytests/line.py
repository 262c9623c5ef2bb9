"""A person on LINE, talking to the live app: signed webhook events in, LINE API calls out.

`LineChat` speaks LINE's protocol (the tests use it directly); `LineSession` is a story's person
on top of it. Every chat has a tag of its own in its people's ids and reply tokens, so the calls
the shared fake recorded can be told apart: a reply names only its token, a push names the person.
"""

from __future__ import annotations

import copy
import json
import secrets
import time

import httpx

from core.messages import SHARE_LOCATION
from core.settings import Settings
from fakeplatform import FakePlatform, Recorded, line_api
from storytests.platform_session import PlatformSession
from storytests.webchat import Answer

WAIT_SECONDS = 45
# No new call to LINE for this long after the first: the answer to an event is complete.
QUIET_SECONDS = 0.5


def recipient(call: Recorded) -> str:
    """Whom a call to LINE is for: a push's person or a reply's token."""
    body = call.json()
    return body.get("to") or body.get("replyToken") or ""


def endpoint(call: Recorded) -> str:
    """`reply` or `push`."""
    return call.path.rsplit("/", 1)[-1]


def texts(messages: list[dict]) -> str:
    """The texts of LINE messages, one per line."""
    return "\n".join(message["text"] for message in messages)


def buttons(messages: list[dict]) -> list[dict]:
    """The quick-reply actions LINE would show: those under the last message."""
    return [item["action"] for item in messages[-1].get("quickReply", {}).get("items", [])] if messages else []


def payloads(messages: list[dict]) -> list[str]:
    """What each quick reply under the last message sends back (a location action: `location`)."""
    return [action.get("data", action["type"]) for action in buttons(messages)]


class LineChat:
    """LINE as one person (and their group and room) talking to the live app."""

    def __init__(self, settings: Settings, platform: FakePlatform) -> None:
        self.url = f"http://127.0.0.1:{settings.app_port}/webhooks/line"
        self.secret = settings.line_channel_secret.get_secret_value()
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
        """Post `events` (or a raw `body`) to the webhook, signed unless `headers` are given."""
        body = body if body is not None else json.dumps({"destination": "Usaphan", "events": list(events)}).encode()
        if headers is None:
            headers = {"Content-Type": "application/json", "X-Line-Signature": line_api.signature(body, self.secret)}
        return httpx.post(self.url, content=body, headers=headers, timeout=10)

    def calls(self) -> list[Recorded]:
        """Every call the app made to LINE for this chat, oldest first."""
        return [call for call in self.platform.requests("/v2/bot/message/") if self.tag in recipient(call)]

    def wait_for_calls(self, count: int, timeout: float = WAIT_SECONDS) -> list[Recorded]:
        """Wait until this chat has `count` calls, and return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{len(self.calls())} of {count} calls to LINE arrived")

    def exchange(self, event: dict) -> list[dict]:
        """Post `event`; the messages LINE was asked to show for it (once no more calls come)."""
        before = len(self.calls())
        response = self.post(event)
        if response.status_code != 200:
            raise RuntimeError(f"the LINE webhook answered {response.status_code}")
        self.wait_for_calls(before + 1)
        count = 0
        while count != len(self.calls()):
            count = len(self.calls())
            time.sleep(QUIET_SECONDS)
        return [message for call in self.calls()[before:] for message in call.json()["messages"]]

    def text(self, text: str, **fields) -> dict:
        """A text message event; LINE sends a quote token with every text."""
        message = {"id": f"M{self.count}", "type": "text", "text": text, "quoteToken": f"Q{self.count}"}
        return self.event("message", message=message, **fields)

    def say(self, text: str) -> list[dict]:
        """The person writes `text`."""
        return self.exchange(self.text(text))

    def press(self, payload: str) -> list[dict]:
        """The person presses a quick reply that posts back `payload`."""
        return self.exchange(self.event("postback", postback={"data": payload}))

    def share_location(self, latitude: float, longitude: float) -> list[dict]:
        """The person sends a location message (LINE's location picker)."""
        message = {"id": f"M{self.count}", "type": "location", "latitude": latitude, "longitude": longitude}
        return self.exchange(self.event("message", message=message))


class LineSession(PlatformSession):
    """A story's person on LINE: `open()` adds the account as a friend, then `say`, `press` and
    `share_location`, each returning the answers."""

    channel = "line"
    opening = "adds the account as a friend"

    def __init__(self, settings: Settings, platform: FakePlatform) -> None:
        self._chat = LineChat(settings, platform)
        self.channel_user = self._chat.user

    def open(self, _language: str) -> list[Answer]:
        """Follow the account (LINE tells the app nothing of the phone's language)."""
        return self._answers(self._chat.exchange(self._chat.event("follow", follow={"isUnblocked": False})))

    @staticmethod
    def _answers(messages: list[dict]) -> list[Answer]:
        """LINE messages as answers; quick replies under each, a location action as `SHARE_LOCATION`."""
        return [
            Answer(
                text=message["text"],
                language="",
                author="assistant",
                buttons=tuple(
                    (item["action"]["label"], item["action"].get("data", SHARE_LOCATION))
                    for item in message.get("quickReply", {}).get("items", [])
                ),
            )
            for message in messages
        ]
