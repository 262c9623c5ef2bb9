"""Saphan over LINE, live: signed webhooks into the real app and bot, answers out to the fake LINE API.

Every test speaks as its own LINE people (ids carrying a tag of its own), so the calls the
shared fake recorded can be told apart. Reply tokens carry the tag too: a reply names only its
token, a push names the person.
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
import pytest

from core.locales import LOCALES_DIR, load_file
from core.menus import MENUS, language_payload
from core.settings import LANGUAGES, ROOT
from tests.conftest import LINE_CHANNEL_SECRET
from tests.fakes import line_api
from tests.fakes.platform import FakePlatform, Recorded

pytestmark = pytest.mark.integration
TEXTS = {lang: load_file(LOCALES_DIR / f"{lang}.yml") for lang in LANGUAGES}
SAMPLES = json.loads((ROOT.parent / "shared" / "fixtures" / "line" / "webhook_events.json").read_text())
MAIN_MENU = [payload for _, payload in MENUS["main"]]
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


@pytest.fixture
def line(stack, platform_api):
    settings, _ = stack
    return LineChat(settings, platform_api)


def test_a_whole_conversation_over_line(line, stack):
    greeting = line.exchange(line.event("follow", follow={"isUnblocked": False}))
    assert TEXTS["en"]["greeting.safety_check"] in texts(greeting)
    assert payloads(greeting) == [language_payload(lang) for lang in LANGUAGES]
    assert buttons(greeting)[1] == {
        "type": "postback", "label": TEXTS["th"]["language.name"], "data": language_payload("th"),
        "displayText": TEXTS["th"]["language.name"],
    }  # fmt: skip

    thai = line.press(language_payload("th"))
    assert TEXTS["th"]["language.changed"] in texts(thai)
    assert payloads(thai) == MAIN_MENU

    disclosure = "นายจ้างยึดพาสปอร์ตของฉัน"
    triage = line.say(disclosure)
    assert TEXTS["th"]["disclosure.thanks"] in texts(triage)

    consent = line.press("/share_location")
    assert TEXTS["th"]["location.explain"] in texts(consent) and TEXTS["th"]["location.ask"] in texts(consent)
    assert payloads(consent) == ["/consent_location", "/decline_location"]

    how = line.press("/consent_location")
    assert TEXTS["th"]["location.how"] in texts(how)
    assert buttons(how)[0] == {"type": "location", "label": TEXTS["th"]["menu.send_location"]}
    assert payloads(how) == ["location", "/decline_location"]

    ack = line.exchange(
        line.event("message", message={"id": "Mloc", "type": "location", "latitude": 13.7563, "longitude": 100.5018})
    )
    assert TEXTS["th"]["location.received"] in texts(ack)

    handoff = line.press("/ask_human")
    assert TEXTS["th"]["handoff.no_person_yet"] in texts(handoff) and "1300" in texts(handoff)

    calls = line.calls()
    assert [endpoint(call) for call in calls] == ["reply"] * 7  # every answer used its event's reply token
    assert all(call.headers["authorization"] == "Bearer test-line-access-token" for call in calls)
    _, log_dir = stack
    for log_file in log_dir.iterdir():
        logged = log_file.read_text(errors="replace")
        assert line.tag not in logged and disclosure not in logged, log_file.name


# Per recorded sample (by index): what LINE is asked to show. "greeting", "private_only",
# "not_text" and "location_consent" are answers; None means nothing is sent.
ANSWERS = {
    0: "any", 1: "private_only", 2: "not_text", 3: "not_text", 4: "location_consent", 5: "not_text",
    6: "greeting", 7: None, 8: None, 9: None, 10: None, 11: None, 12: None, 13: None,
    14: "private_only", 15: "private_only", 16: None, 17: None, 18: None, 19: None, 20: None,
    21: "not_text", 22: None, 23: None, 24: "not_text", 25: "any", 26: None, 27: None,
}  # fmt: skip


def test_every_sample_has_an_expected_answer():
    assert sorted(ANSWERS) == list(range(len(SAMPLES["events"])))


SAMPLE_IDS = [f"{n}-{e['type']}-{e.get('message', {}).get('type', '')}" for n, e in enumerate(SAMPLES["events"])]


@pytest.mark.parametrize("index", sorted(ANSWERS), ids=SAMPLE_IDS)
def test_each_recorded_event_posted_signed_gets_the_right_answer(line, index):
    event = line.own(SAMPLES["events"][index])
    expected = ANSWERS[index]
    if expected is None:
        # Nothing is sent for it: a later message from the same place is the first thing answered.
        assert line.post(event).status_code == 200
        source = event.get("source", {})
        sentinel_source = dict(source, userId=line.user) if source.get("type") in ("group", "room") else None
        sentinel = line.text("hello", source=sentinel_source)
        line.exchange(sentinel)
        assert [recipient(call) for call in line.calls()] == [sentinel["replyToken"]]
        return
    messages = line.exchange(event)
    assert [recipient(call) for call in line.calls()] == [event["replyToken"]]
    english = TEXTS["en"]
    if expected == "private_only":
        assert texts(messages) == english["errors.private_only"]
    elif expected == "not_text":
        assert english["errors.not_text"] in texts(messages) and payloads(messages) == MAIN_MENU
    elif expected == "location_consent":
        assert english["location.ask"] in texts(messages)
        assert payloads(messages) == ["/consent_location", "/decline_location"]
    elif expected == "greeting":
        assert english["greeting.safety_check"] in texts(messages)
        assert payloads(messages) == [language_payload(lang) for lang in LANGUAGES]
    else:
        assert texts(messages).strip()


def test_forged_unsigned_malformed_and_oversized_requests_are_refused(line):
    event = line.text("hello")
    body = json.dumps({"destination": "Usaphan", "events": [event]}).encode()
    forged = {"Content-Type": "application/json", "X-Line-Signature": signature(body, "not-the-secret")}
    assert line.post(body=body, headers=forged).status_code == 401
    assert line.post(body=body, headers={"Content-Type": "application/json"}).status_code == 401
    broken = b'{"destination": "Usaphan", "events": ['
    assert line.post(body=broken, headers={"X-Line-Signature": signature(broken)}).status_code == 400
    huge = json.dumps({"destination": "Usaphan", "events": [event], "padding": "x" * (1024 * 1024)}).encode()
    assert line.post(body=huge, headers={"X-Line-Signature": signature(huge)}).status_code == 413
    time.sleep(1.0)
    assert line.calls() == []
    assert line.say("hello"), "the same person is still answered"


def test_a_redelivered_event_is_answered_once(line):
    event = line.text("hello")
    assert line.post(event).status_code == 200
    line.wait_for_calls(1)
    assert line.post(dict(event, deliveryContext={"isRedelivery": True})).status_code == 200
    line.say("hello")  # answered after the redelivery would have been: the queue is in order
    assert [recipient(call) for call in line.calls()] == [event["replyToken"], f"T{line.tag}0002"]


def test_an_answer_whose_reply_token_line_refuses_is_pushed(line):
    first = line.event("follow", follow={"isUnblocked": False})
    line.exchange(first)
    # A redelivered event carries a token that was used or has expired: LINE refuses it.
    again = line.text("hello", replyToken=first["replyToken"])
    before = len(line.calls())
    assert line.post(again).status_code == 200
    calls = line.wait_for_calls(before + 2)[before:]
    assert [endpoint(call) for call in calls] == ["reply", "push"]
    assert calls[1].json()["to"] == line.user and calls[1].json()["messages"] == calls[0].json()["messages"]


def test_429_then_success_is_retried_after_lines_wait(line, platform_api):
    event = line.text("hello")
    line_api.installed(platform_api).fail(event["replyToken"], 429, times=1, headers={"Retry-After": "2"})
    assert line.post(event).status_code == 200
    line.wait_for_calls(1)
    refused_at = time.monotonic()
    first, second = line.wait_for_calls(2)
    assert time.monotonic() - refused_at >= 1.5  # LINE's 2 seconds, not the first back-off step (1 second)
    assert [endpoint(call) for call in (first, second)] == ["reply", "reply"]
    assert second.json() == first.json()
    time.sleep(0.5)
    assert line.calls() == [first, second]


def test_500_forever_gives_up_cleanly_and_others_are_answered_meanwhile(stack, platform_api):
    settings, _ = stack
    down, other = LineChat(settings, platform_api), LineChat(settings, platform_api)
    lost = down.text("hello")
    line_api.installed(platform_api).fail(lost["replyToken"], 500, times=100)
    assert down.post(lost).status_code == 200
    down.wait_for_calls(1)
    started = time.monotonic()
    assert other.say("hello"), "another person is answered while LINE fails for the first"
    assert time.monotonic() - started < 10
    attempts = down.wait_for_calls(5, timeout=60)  # the first attempt and four retries
    time.sleep(3)
    assert len(down.calls()) == len(attempts) == 5
    assert {recipient(call) for call in attempts} == {lost["replyToken"]}  # no push after a 500
    assert down.say("hello"), "the person is answered again once LINE is back"
