"""The LINE channel: LINE's recorded payloads become `Inbound`; answers become reply and push calls.

The recorded payloads are LINE's official SDK samples (`shared/fixtures/line`). Sending runs
the real SDK against the fake LINE API (`fakeplatform/line_api.py`), which refuses what LINE
refuses (more than 5 messages, over-long texts and labels, a reply token used twice).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
import unicodedata
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from linebot.v3.messaging import ApiException

from channels.base import MAX_WEBHOOK_BYTES, MalformedPayload
from channels.line import LineChannel
from core.crypto import Sealer
from core.delivery import Delivery
from core.inbox import Inbox
from core.locales import Catalog
from core.messages import (
    GROUP_CHAT,
    SHARE_LOCATION,
    ClosedContent,
    Inbound,
    LocationContent,
    OpenedContent,
    PostbackContent,
    QuickReply,
    Rendered,
    Replies,
    TextContent,
    UnsentContent,
    UnsupportedContent,
)
from core.records.db import Database
from core.settings import ROOT, Settings
from fakeplatform import FakePlatform, line_api
from launcher.scratch import free_port

SECRET = "unit-test-line-secret"
ACCESS_TOKEN = "unit-test-line-token"
SAMPLES = json.loads((ROOT.parent / "shared" / "fixtures" / "line" / "webhook_events.json").read_text())
EVENTS = SAMPLES["events"]
USER = "U206d25c2ea6bd87c17655609a1c37cb8"
GROUP = "Ca56f94637cc4347f90a25382909b24b9"
ROOM = "Ra8dbf4673c4c812cd491258042226c99"
TOKEN = "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
EVENT_ID = "testwebhookeventid"
POSTBACK = "action=buyItem&itemId=123123&color=red"

# Per recorded event (by index): (channel_user, content, message_id, reply_to), or None when skipped.
EXPECTED = {
    0: (USER, TextContent("Hello, world"), "325708", TOKEN),
    1: (ROOM, UnsupportedContent(GROUP_CHAT), None, TOKEN),  # an image in a room: refused
    2: (USER, UnsupportedContent("video"), "325708", TOKEN),
    3: (USER, UnsupportedContent("audio"), "325708", TOKEN),
    4: (USER, LocationContent(35.65910807942215, 139.70372892916203), "325708", TOKEN),
    5: (USER, UnsupportedContent("sticker"), "325708", TOKEN),
    6: (USER, OpenedContent(), None, TOKEN),  # follow
    7: (USER, ClosedContent(), None, None),  # unfollow
    8: None,  # join (group)
    9: None,  # leave (group)
    10: (USER, PostbackContent(POSTBACK), None, TOKEN),
    11: None,  # beacon
    12: None,  # beacon with device message
    13: None,  # accountLink
    14: (GROUP, UnsupportedContent(GROUP_CHAT), None, TOKEN),  # text in a group: refused
    15: (ROOM, UnsupportedContent(GROUP_CHAT), None, TOKEN),  # text in a room: refused
    16: (USER, PostbackContent(POSTBACK), None, TOKEN),  # date picker
    17: (USER, PostbackContent(POSTBACK), None, TOKEN),  # time picker
    18: (USER, PostbackContent(POSTBACK), None, TOKEN),  # date-time picker
    19: None,  # memberJoined (group)
    20: None,  # memberLeft (group)
    21: (USER, UnsupportedContent("file"), "325708", TOKEN),
    22: None,  # unsend in a group: Saphan never took that message
    23: None,  # videoPlayComplete
    24: (USER, UnsupportedContent("image"), "354718705033693861", "fbf94e269485410da6b7e3a5e33283e8"),
    25: (USER, TextContent("Hello, world"), "325708", TOKEN),
    26: None,  # messageEdited: LINE sends it for group chats only
    27: None,  # a type no SDK knows
}


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"x-line-signature": line_api.signature(body, secret), "content-type": "application/json"}


def payload(*events: dict) -> bytes:
    return json.dumps({"destination": "U123", "events": list(events)}).encode()


def fields(inbound: Inbound) -> tuple:
    return inbound.channel_user, inbound.content, inbound.message_id, inbound.reply_to


@pytest.fixture()
def channel():
    return LineChannel(SECRET, ACCESS_TOKEN, "http://127.0.0.1:9")


# --- Verification --------------------------------------------------------------------------


def test_signature_matches_lines_own_test_vector():
    # The vector of LINE's SDK tests (tests/v3/test_webhook.py): secret "channel_secret".
    vector = LineChannel("channel_secret", ACCESS_TOKEN, "http://127.0.0.1:9")
    signature = "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
    assert vector.verify({"x-line-signature": signature}, b"bodybodybodybody")
    assert not vector.verify({"x-line-signature": signature}, b"bodybodybodybodx")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-line-signature": ""},
        {"x-line-signature": "not base64 at all"},
        {"x-line-signature": "ümlaut-signature"},
        sign(payload(EVENTS[0]), secret="someone-elses-secret"),
    ],
    ids=["missing", "empty", "garbage", "non-ascii", "forged"],
)
def test_a_request_without_the_right_signature_is_not_verified(channel, headers):
    assert not channel.verify(headers, payload(EVENTS[0]))


def test_a_signed_body_changed_on_the_way_is_not_verified(channel):
    body = payload(EVENTS[0])
    assert channel.verify(sign(body), body)
    assert not channel.verify(sign(body), body.replace(b"Hello", b"Hellp"))


# --- Parsing LINE's recorded payloads --------------------------------------------------------


def test_every_recorded_event_has_an_expectation():
    assert sorted(EXPECTED) == list(range(len(EVENTS)))


@pytest.mark.parametrize("index", sorted(EXPECTED), ids=[f"{n}-{e['type']}" for n, e in enumerate(EVENTS)])
def test_each_recorded_event_becomes_the_right_inbound(channel, index):
    body = payload(EVENTS[index])
    assert channel.verify(sign(body), body)
    inbounds = channel.parse(sign(body), body)
    if EXPECTED[index] is None:
        assert inbounds == []
        return
    (inbound,) = inbounds
    assert fields(inbound) == EXPECTED[index]
    assert inbound.channel == "line" and inbound.event_id == EVENT_ID
    assert inbound.edit_of is None and inbound.language_hint is None
    assert abs(datetime.now(timezone.utc) - inbound.received_at) < timedelta(seconds=5)


def test_the_whole_recorded_payload_keeps_its_order(channel):
    body = json.dumps(SAMPLES).encode()
    assert channel.verify(sign(body), body)
    inbounds = channel.parse(sign(body), body)
    assert [fields(inbound) for inbound in inbounds] == [value for value in EXPECTED.values() if value is not None]


def test_a_person_taking_back_their_message_is_an_unsend(channel):
    event = copy.deepcopy(EVENTS[22])
    event["source"] = {"type": "user", "userId": USER}
    (inbound,) = channel.parse({}, payload(event))
    assert fields(inbound) == (USER, UnsentContent("325708"), None, None)


def test_events_in_standby_mode_are_left_to_the_channel_holding_the_chat(channel):
    event = dict(EVENTS[0], mode="standby")
    event.pop("replyToken")
    assert channel.parse({}, payload(event)) == []


def test_unknown_events_are_skipped_and_unreadable_messages_get_the_kind_answer(channel, caplog):
    future = {**EVENTS[0], "type": "hologram", "hologram": {"secret": "Somchai 0812345678"}}
    new_message = {**EVENTS[0], "message": {"id": "1", "type": "hologram", "text": "Somchai 0812345678"}}
    broken = {**EVENTS[0], "message": {"type": "location", "id": "2", "latitude": 123.0, "longitude": 0.0}}
    with caplog.at_level(logging.INFO, logger="channels.line"):
        inbounds = channel.parse({}, payload(future, new_message, broken, EVENTS[25]))
    # The two messages the SDK cannot read still reach the person's conversation as unreadable.
    assert [inbound.content for inbound in inbounds[:2]] == [UnsupportedContent("unreadable")] * 2
    assert {(inbound.channel_user, inbound.reply_to) for inbound in inbounds[:2]} == {
        (EVENTS[0]["source"]["userId"], EVENTS[0]["replyToken"])
    }
    assert [fields(inbound) for inbound in inbounds[2:]] == [EXPECTED[25]]
    skipped = [record for record in caplog.records if record.getMessage().startswith("LINE event")]
    # A type LINE added later is routine; a person's message the SDK cannot read is a warning.
    assert [(record.kind, record.levelname) for record in skipped] == [
        ("hologram", "INFO"),
        ("message", "WARNING"),
        ("message", "WARNING"),
    ]
    assert "Somchai" not in caplog.text and "0812345678" not in caplog.text and USER not in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'"events"', b'{"events": {}}', b'{"events": [1]}',
     b"[" * 100_000 + b"]" * 100_000],
    ids=["broken", "bytes", "list", "string", "events-object", "event-number", "deep"],
)  # fmt: skip
def test_a_body_that_is_not_lines_payload_is_malformed(channel, body):
    with pytest.raises(MalformedPayload) as refused:
        channel.parse({}, body)
    assert refused.value.status == 400


def test_lines_webhook_check_with_no_events_is_fine(channel):
    assert channel.parse({}, b'{"destination": "U123", "events": []}') == []


# --- Settings --------------------------------------------------------------------------------


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.fixture()
def clean_environment(monkeypatch):
    for name in ("SAPHAN_LINE_CHANNEL_SECRET", "SAPHAN_LINE_CHANNEL_ACCESS_TOKEN", "SAPHAN_LINE_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def test_line_is_off_without_its_secrets_and_says_which_to_set(clean_environment, caplog):
    with caplog.at_level(logging.INFO, logger="channels.line"):
        assert LineChannel.from_settings(settings(), Catalog.load()) is None
    assert [record.getMessage() for record in caplog.records] == [
        "LINE channel off: SAPHAN_LINE_CHANNEL_SECRET is not set"
    ]


@pytest.mark.parametrize(
    "values, missing",
    [
        ({"line_channel_secret": "s3cr3t-value"}, "SAPHAN_LINE_CHANNEL_ACCESS_TOKEN"),
        ({"line_channel_access_token": "t0k3n-value"}, "SAPHAN_LINE_CHANNEL_SECRET"),
    ],
)
def test_a_half_configured_line_fails_naming_what_is_missing(clean_environment, values, missing):
    with pytest.raises(ValueError) as failure:
        LineChannel.from_settings(settings(**values), Catalog.load())
    message = str(failure.value)
    assert missing in message and "s3cr3t-value" not in message and "t0k3n-value" not in message


def test_line_is_on_with_both_secrets(clean_environment):
    channel = LineChannel.from_settings(
        settings(line_channel_secret=SECRET, line_channel_access_token=ACCESS_TOKEN), Catalog.load()
    )
    body = payload(EVENTS[0])
    assert isinstance(channel, LineChannel) and channel.verify(sign(body), body)


# --- Sending ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform():
    with FakePlatform() as fake:
        line_api.install(fake)
        yield fake


def sender(platform: FakePlatform) -> LineChannel:
    return LineChannel(SECRET, ACCESS_TOKEN, platform.url, retry_delays=(0.01, 0.01, 0.01))


def calls(platform: FakePlatform, *recipients: str) -> list[tuple[str, dict]]:
    """The (endpoint, body) of every call for `recipients` (user ids or reply tokens), in order."""
    found = []
    for request in platform.requests("/v2/bot/message/"):
        body = request.json()
        if body.get("to") in recipients or body.get("replyToken") in recipients:
            found.append((request.path.rsplit("/", 1)[-1], body))
    return found


def texts(body: dict) -> list[str]:
    return [message["text"] for message in body["messages"]]


def event(user: str, token: str | None = None, age: float = 0.0) -> Inbound:
    received = datetime.now(timezone.utc) - timedelta(seconds=age)
    return Inbound("line", user, TextContent("hello"), event_id=f"ev-{user}", reply_to=token, received_at=received)


def deliver(channel: LineChannel, inbound: Inbound, *messages: Rendered) -> None:
    async def scenario():
        try:
            await channel.send(inbound, Replies("en", list(messages)))
        finally:
            await channel.aclose()

    asyncio.run(scenario())


LANGUAGES_MENU = (QuickReply("English", "/en"), QuickReply("ภาษาไทย", "/th"))


def test_a_fresh_token_is_used_to_reply_with_the_menu_under_the_last_message(platform):
    deliver(sender(platform), event("U-fresh", "tok-fresh"), Rendered("Hello."), Rendered("Language?", LANGUAGES_MENU))
    [(endpoint, body)] = calls(platform, "U-fresh", "tok-fresh")
    assert endpoint == "reply" and body["replyToken"] == "tok-fresh"
    assert texts(body) == ["Hello.", "Language?"]
    assert "quickReply" not in body["messages"][0]
    items = body["messages"][1]["quickReply"]["items"]
    assert [item["action"] for item in items] == [
        {"type": "postback", "label": "English", "data": "/en", "displayText": "English"},
        {"type": "postback", "label": "ภาษาไทย", "data": "/th", "displayText": "ภาษาไทย"},
    ]


def test_a_stale_or_missing_token_means_push(platform):
    deliver(sender(platform), event("U-stale", "tok-stale", age=55), Rendered("Late answer."))
    deliver(sender(platform), event("U-stale"), Rendered("No token."))
    assert [(endpoint, body.get("to"), texts(body)) for endpoint, body in calls(platform, "U-stale", "tok-stale")] == [
        ("push", "U-stale", ["Late answer."]),
        ("push", "U-stale", ["No token."]),
    ]


def test_a_token_line_refuses_falls_back_to_push(platform):
    deliver(sender(platform), event("U-used", "tok-used"), Rendered("First."))
    deliver(sender(platform), event("U-used", "tok-used"), Rendered("Second."))  # a token works once
    found = calls(platform, "U-used", "tok-used")
    assert [(endpoint, texts(body)) for endpoint, body in found] == [
        ("reply", ["First."]),
        ("reply", ["Second."]),
        ("push", ["Second."]),
    ]
    assert found[2][1]["to"] == "U-used"


def test_more_than_five_messages_reply_five_and_push_the_rest_in_order(platform):
    messages = [Rendered(f"Part {n}.") for n in range(1, 8)]
    messages[-1] = Rendered("Part 7.", LANGUAGES_MENU)
    deliver(sender(platform), event("U-seven", "tok-seven"), *messages)
    found = calls(platform, "U-seven", "tok-seven")
    assert [(endpoint, texts(body)) for endpoint, body in found] == [
        ("reply", [f"Part {n}." for n in range(1, 6)]),
        ("push", ["Part 6.", "Part 7."]),
    ]
    with_menu = [m for _, body in found for m in body["messages"] if "quickReply" in m]
    assert [m["text"] for m in with_menu] == ["Part 7."]


def test_the_last_menu_offered_goes_under_the_very_last_message(platform):
    messages = Rendered("Choose:", LANGUAGES_MENU), Rendered("Hotlines: 1300")
    deliver(sender(platform), event("U-menu", "tok-menu"), *messages)
    [(_, body)] = calls(platform, "U-menu", "tok-menu")
    assert "quickReply" not in body["messages"][0]
    assert len(body["messages"][1]["quickReply"]["items"]) == 2


def test_a_long_text_is_split_within_lines_limit_with_the_menu_on_the_last_part(platform):
    long_text = "\n\n".join(f"Paragraph {n}. " + "Some safe-migration advice. " * 60 for n in range(8))
    assert len(long_text) > 12_000
    deliver(sender(platform), event("U-long", "tok-long"), Rendered(long_text, LANGUAGES_MENU))
    [(endpoint, body)] = calls(platform, "U-long", "tok-long")
    parts = texts(body)
    assert endpoint == "reply" and 3 <= len(parts) <= 5 and all(len(part) <= 5000 for part in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(long_text.split())
    assert all(part.startswith("Paragraph") for part in parts)  # cut at paragraph ends
    assert ["quickReply" in message for message in body["messages"]] == [False] * (len(parts) - 1) + [True]


def test_a_text_of_emoji_is_split_as_line_counts_it(platform):
    emoji_text = "🙏" * 4000  # 4000 characters, 8000 UTF-16 units
    deliver(sender(platform), event("U-emoji", "tok-emoji"), Rendered(emoji_text))
    [(endpoint, body)] = calls(platform, "U-emoji", "tok-emoji")  # the fake refuses > 5000 units
    assert endpoint == "reply" and "".join(texts(body)) == emoji_text
    assert all(len(part.encode("utf-16-le")) // 2 <= 5000 for part in texts(body))


def test_the_location_button_becomes_lines_location_action(platform):
    menu = (QuickReply("Send my location", SHARE_LOCATION), QuickReply("Cancel", "/decline_location"))
    deliver(sender(platform), event("U-loc", "tok-loc"), Rendered("Press the button.", menu))
    [(_, body)] = calls(platform, "U-loc", "tok-loc")
    assert [item["action"] for item in body["messages"][0]["quickReply"]["items"]] == [
        {"type": "location", "label": "Send my location"},
        {"type": "postback", "label": "Cancel", "data": "/decline_location", "displayText": "Cancel"},
    ]


LONG_LABELS = [
    "Information about working abroad safely",  # English: cut at a word end
    "ข้อมูลเรื่องการไปทำงานต่างประเทศอย่างปลอดภัย",  # Thai: vowels and tone marks stay with their letter
    "နိုင်ငံခြားမှာ အလုပ်လုပ်ခြင်းအကြောင်း သတင်းအချက်အလက်",  # Burmese
    "ព័ត៌មានអំពីការធ្វើការនៅបរទេសដោយសុវត្ថិភាព",  # Khmer: never ends on the subscript sign
]


@pytest.mark.parametrize("label", LONG_LABELS, ids=["en", "th", "my", "km"])
def test_long_labels_are_shortened_cleanly_and_pressing_shows_the_whole_label(platform, label):
    user = f"U-label-{LONG_LABELS.index(label)}"
    menu = (QuickReply(label, "/ask_legal_migration"),)
    deliver(sender(platform), event(user, f"tok-{user}"), Rendered("Menu", menu))
    [(_, body)] = calls(platform, user, f"tok-{user}")
    [action] = [item["action"] for item in body["messages"][0]["quickReply"]["items"]]
    short = action["label"]
    assert len(short) <= 20 and short.endswith("…") and action["displayText"] == label
    kept = short[:-1]
    assert label.startswith(kept) and kept == kept.rstrip()
    assert not unicodedata.category(label[len(kept)]).startswith("M"), "a mark was cut from its letter"
    assert kept[-1] not in "\u17d2\u1039\u200d"
    if label.startswith("Information"):
        assert short == "Information about…"


def test_at_most_thirteen_quick_replies(platform):
    menu = tuple(QuickReply(f"Option {n}", f"/option_{n}") for n in range(15))
    deliver(sender(platform), event("U-many", "tok-many"), Rendered("Choose:", menu))
    [(_, body)] = calls(platform, "U-many", "tok-many")
    assert [item["action"]["data"] for item in body["messages"][0]["quickReply"]["items"]] == [
        f"/option_{n}" for n in range(13)
    ]


def test_429_waits_as_line_asks_and_then_succeeds_with_one_retry_key(platform):
    line_api.installed(platform).fail("U-busy", 429, times=1, headers={"Retry-After": "1"})
    started = time.monotonic()
    deliver(sender(platform), event("U-busy"), Rendered("Pushed after a wait."))
    assert time.monotonic() - started >= 0.9  # Retry-After (1 s), not the 0.01 s back-off
    pushes = [request for request in platform.requests("/v2/bot/message/push") if request.json()["to"] == "U-busy"]
    assert len(pushes) == 2
    assert pushes[0].headers["x-line-retry-key"] == pushes[1].headers["x-line-retry-key"]


def test_a_reply_that_fails_passingly_is_retried_with_the_same_token(platform):
    line_api.installed(platform).fail("tok-flaky", 503, times=2)
    deliver(sender(platform), event("U-flaky", "tok-flaky"), Rendered("Third time."))
    assert [endpoint for endpoint, _ in calls(platform, "U-flaky", "tok-flaky")] == ["reply", "reply", "reply"]


def test_500_forever_gives_up_cleanly_and_another_person_is_still_answered(platform):
    line_api.installed(platform).fail("U-down", 500, times=100)
    channel = sender(platform)

    async def scenario():
        try:
            with pytest.raises(ApiException) as failure:
                await channel.send(event("U-down"), Replies("en", [Rendered("Lost.")]))
            await channel.send(event("U-fine", "tok-fine"), Replies("en", [Rendered("Answered.")]))
        finally:
            await channel.aclose()
        return failure.value.status

    assert asyncio.run(scenario()) == 500
    assert len(calls(platform, "U-down")) == 4  # the first attempt and three retries
    assert [(endpoint, texts(body)) for endpoint, body in calls(platform, "U-fine", "tok-fine")] == [
        ("reply", ["Answered."])
    ]


def test_a_refused_push_is_not_retried(platform):
    line_api.installed(platform).fail("U-blocked", 403, times=1)
    with pytest.raises(ApiException):
        deliver(sender(platform), event("U-blocked"), Rendered("Not allowed."))
    assert len(calls(platform, "U-blocked")) == 1


def test_a_push_line_accepted_but_whose_answer_was_lost_is_not_sent_twice(platform):
    line_api.installed(platform).lose_next_answer("U-lost")
    deliver(sender(platform), event("U-lost"), Rendered("Once only."))  # no error: LINE has it
    pushes = [request for request in platform.requests("/v2/bot/message/push") if request.json()["to"] == "U-lost"]
    assert len(pushes) == 2
    assert pushes[0].headers["x-line-retry-key"] == pushes[1].headers["x-line-retry-key"]


def test_an_unreachable_line_is_retried_and_then_reported():
    channel = LineChannel(SECRET, ACCESS_TOKEN, f"http://127.0.0.1:{free_port()}", retry_delays=(0.01, 0.01))
    with pytest.raises(aiohttp.ClientError):
        deliver(channel, event("U-offline"), Rendered("Nobody listens."))


def test_nothing_is_sent_for_an_event_without_answers(platform):
    deliver(sender(platform), event("U-quiet", "tok-quiet"))
    assert calls(platform, "U-quiet", "tok-quiet") == []


# --- The webhook, end to end in process ------------------------------------------------------


class RecordingRouter:
    """Stands in for `Conversations`: records each event and answers with one text."""

    def __init__(self) -> None:
        self.handled: list[Inbound] = []

    async def handle(self, inbound: Inbound) -> Replies:
        self.handled.append(inbound)
        return Replies("en", [Rendered(f"answer {len(self.handled)}")])

    def key(self, channel: str, channel_user: str) -> str:
        return f"{channel}:{channel_user}"


@pytest.fixture()
def webhook(tmp_path, platform):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    router, channel = RecordingRouter(), sender(platform)
    delivery = Delivery(router, Inbox(database, Sealer("test-key"), "app"), channel.send, retry_delays=(0.01,))
    app = FastAPI()
    app.include_router(channel.router(delivery))
    with TestClient(app) as client:

        def post(body: bytes, headers: dict[str, str]):
            response = client.post("/webhooks/line", content=body, headers=headers)
            client.portal.call(delivery.drain)
            return response

        yield post, router
        client.portal.call(channel.aclose)
    database.dispose()


def own(event: dict, n: int, user: str) -> dict:
    """A recorded event with its own event id, reply token and person, as LINE would send it."""
    event = copy.deepcopy(event)
    event["webhookEventId"] = f"{user}-event-{n}"
    if "replyToken" in event:
        event["replyToken"] = f"{user}-token-{n}"
    if event.get("source", {}).get("type") == "user":
        event["source"]["userId"] = user
    return event


def test_the_recorded_payload_posted_signed_is_accepted_and_answered(webhook, platform):
    post, router = webhook
    body = payload(*(own(event, n, "U-whole") for n, event in enumerate(EVENTS)))
    response = post(body, sign(body))
    assert response.status_code == 200 and response.json() == {}
    expected = [value for value in EXPECTED.values() if value is not None]
    assert len(router.handled) == len(expected)
    # One person's events are handled in order; groups and rooms are other queues.
    person = [inbound.content for inbound in router.handled if inbound.channel_user == "U-whole"]
    assert person == [value[1] for value in expected if value[0] == USER]
    groups = sorted(inbound.channel_user for inbound in router.handled if inbound.channel_user != "U-whole")
    assert groups == sorted(value[0] for value in expected if value[0] != USER)
    replies = [body for endpoint, body in calls(platform, *(f"U-whole-token-{n}" for n in range(len(EVENTS))))]
    assert len(replies) == len([value for value in expected if value[3]])  # every event with a token


def test_the_samples_shared_event_id_is_answered_once(webhook):
    post, router = webhook
    body = json.dumps(SAMPLES).encode()  # every sample event carries "testwebhookeventid"
    assert post(body, sign(body)).status_code == 200
    assert [fields(inbound) for inbound in router.handled] == [EXPECTED[0]]


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-line-signature": "AAAA"}, sign(payload(own(EVENTS[0], 0, "U-forged")), "wrong-secret")],
    ids=["missing", "garbage", "forged"],
)
def test_an_unsigned_or_forged_request_gets_401_and_nothing_happens(webhook, platform, headers):
    post, router = webhook
    body = payload(own(EVENTS[0], 0, "U-forged"))
    response = post(body, headers)
    assert response.status_code == 401 and response.json() == {"error": "forbidden"}
    assert router.handled == [] and calls(platform, "U-forged", "U-forged-token-0") == []


def test_malformed_json_gets_400(webhook):
    post, router = webhook
    for body in (b'{"events": [', b'{"events": "all"}'):
        response = post(body, sign(body))
        assert response.status_code == 400 and "error" in response.json()
    assert router.handled == []


def test_an_oversized_body_gets_413(webhook):
    post, router = webhook
    event = own(EVENTS[0], 0, "U-huge")
    event["message"]["text"] = "x" * (MAX_WEBHOOK_BYTES + 1)
    body = payload(event)
    assert post(body, sign(body)).status_code == 413
    assert router.handled == []


def test_an_unknown_event_gets_200_and_is_skipped(webhook, platform):
    post, router = webhook
    body = payload(own(EVENTS[27], 0, "U-unknown"), own(EVENTS[23], 1, "U-unknown"))
    assert post(body, sign(body)).status_code == 200
    assert router.handled == [] and calls(platform, "U-unknown", "U-unknown-token-1") == []


def test_a_redelivered_event_is_processed_once(webhook, platform):
    post, router = webhook
    first = own(EVENTS[0], 0, "U-again")
    again = dict(first, deliveryContext={"isRedelivery": True})
    for event in (first, again):
        body = payload(event)
        assert post(body, sign(body)).status_code == 200
    assert len(router.handled) == 1
    assert [endpoint for endpoint, _ in calls(platform, "U-again", "U-again-token-0")] == ["reply"]
