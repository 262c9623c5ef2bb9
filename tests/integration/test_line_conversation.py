"""Saphan over LINE, live: signed webhooks into the real app and bot, answers out to the fake LINE API.

Every test speaks as its own LINE people (ids carrying a tag of its own), so the calls the
shared fake recorded can be told apart. Reply tokens carry the tag too: a reply names only its
token, a push names the person.
"""

from __future__ import annotations

import json
import time

import pytest

from core.locales import LOCALES_DIR, load_file
from core.menus import MENUS, language_payload
from core.settings import LANGUAGES, ROOT
from fakeplatform import line_api
from launcher.scratch import LINE_ACCESS_TOKEN
from storytests.line import LineChat, buttons, endpoint, payloads, recipient, texts

pytestmark = pytest.mark.integration
TEXTS = {lang: load_file(LOCALES_DIR / f"{lang}.yml") for lang in LANGUAGES}
SAMPLES = json.loads((ROOT.parent / "shared" / "fixtures" / "line" / "webhook_events.json").read_text())
MAIN_MENU = [payload for _, payload in MENUS["main"]]


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
    assert TEXTS["th"]["handoff.nobody_on_duty"] in texts(handoff) and "1300" in texts(handoff)

    calls = line.calls()
    assert [endpoint(call) for call in calls] == ["reply"] * 7  # every answer used its event's reply token
    assert all(call.headers["authorization"] == f"Bearer {LINE_ACCESS_TOKEN}" for call in calls)
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
    forged = {"Content-Type": "application/json", "X-Line-Signature": line_api.signature(body, "not-the-secret")}
    assert line.post(body=body, headers=forged).status_code == 401
    assert line.post(body=body, headers={"Content-Type": "application/json"}).status_code == 401
    broken = b'{"destination": "Usaphan", "events": ['
    signed = {"X-Line-Signature": line_api.signature(broken, line.secret)}
    assert line.post(body=broken, headers=signed).status_code == 400
    huge = json.dumps({"destination": "Usaphan", "events": [event], "padding": "x" * (1024 * 1024)}).encode()
    assert line.post(body=huge, headers={"X-Line-Signature": line_api.signature(huge, line.secret)}).status_code == 413
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
