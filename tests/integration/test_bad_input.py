"""Bad input gets a clear error and loses nothing: WebSocket frames and HTTP endpoints."""

from __future__ import annotations

import json

import httpx
import pytest

from core.conversation import LOCATION_PAYLOAD
from core.locales import LOCALES_DIR, load_file
from core.messages import SHARE_LOCATION
from tests.integration.test_webchat_conversation import Chat, bot_received, bot_texts

pytestmark = pytest.mark.integration
ENGLISH = load_file(LOCALES_DIR / "en.yml")


@pytest.fixture
def greeted(stack):
    settings, _ = stack
    client = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    client.hello(language="en")
    yield client
    client.close()


def error_after(client: Chat, raw) -> dict:
    if isinstance(raw, bytes):
        client.socket.send(raw)
    else:
        client.socket.send(raw if isinstance(raw, str) else json.dumps(raw))
    frames = client.frames("error", timeout=10)
    return next(f for f in frames if f["type"] == "error")


def still_answers(client: Chat) -> bool:
    return ENGLISH["hotline.intro"] in bot_texts(client.press("/ask_hotline"))


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"\x00\x01binary", "binary_not_supported"),
        ("{not json", "malformed_json"),
        ("[1, 2, 3]", "invalid_message"),
        ({"no": "type"}, "invalid_message"),
        ({"type": "subscribe_all"}, "unknown_type"),
        ({"type": "message", "id": "x1"}, "invalid_message"),
        ({"type": "message", "id": "<script>", "text": "hi"}, "invalid_message"),
        ({"type": "message", "id": "x2", "text": 42}, "invalid_message"),
        ({"type": "message", "id": "x3", "text": "a" * 4001}, "too_long"),
        ({"type": "postback", "id": "x4", "payload": "/operator_closed"}, "invalid_payload"),
        ({"type": "postback", "id": "x5", "payload": '/choose_language{"language":"fr"}'}, "invalid_payload"),
        ({"type": "hello", "session": "../../etc/passwd", "language": "en"}, "invalid_session"),
        ("x" * 70_000, "too_large"),
        # The quick reply that requests a location is never a postback: only a location frame is.
        ({"type": "postback", "id": "x6", "payload": SHARE_LOCATION}, "invalid_payload"),
        ({"type": "location", "id": "l1", "latitude": "13.75", "longitude": "100.50"}, "invalid_location"),
        ({"type": "location", "id": "l2", "latitude": 91, "longitude": 100.5}, "invalid_location"),
        ({"type": "location", "id": "l3", "latitude": 13.75, "longitude": -180.01}, "invalid_location"),
        ({"type": "location", "id": "l4", "latitude": 13.75}, "invalid_location"),
        ({"type": "location", "id": "l5"}, "invalid_location"),
        ({"type": "location", "id": "l6", "latitude": None, "longitude": None}, "invalid_location"),
        ({"type": "location", "id": "l7", "latitude": True, "longitude": False}, "invalid_location"),
        ({"type": "location", "id": "l8", "latitude": [13.75], "longitude": {"x": 1}}, "invalid_location"),
        ('{"type": "location", "id": "l9", "latitude": NaN, "longitude": 100.5}', "invalid_location"),
        ('{"type": "location", "id": "l10", "latitude": 13.75, "longitude": Infinity}', "invalid_location"),
        ('{"type": "location", "id": "l11", "latitude": 1e400, "longitude": 100.5}', "invalid_location"),
        ({"type": "location", "latitude": 13.75, "longitude": 100.5}, "invalid_message"),
        ({"type": "ping", "id": 5, "junk": "x" * 100}, None),
    ],
)
def test_bad_frame_gets_an_error_and_the_conversation_goes_on(greeted, raw, code):
    if code is None:  # a ping with extra fields is still only a ping
        greeted.send(raw)
        assert greeted.frames("pong", timeout=10) == [{"type": "pong"}]
    else:
        error = error_after(greeted, raw)
        assert error["code"] == code and error["message"]
    assert still_answers(greeted)


def test_invalid_location_is_explained_and_is_not_given_to_the_bot(stack, greeted):
    settings, _ = stack
    error = error_after(greeted, {"type": "location", "id": "far", "latitude": 200, "longitude": 0})
    assert error == {
        "type": "error",
        "code": "invalid_location",
        "message": ENGLISH["webchat.location_unavailable"],
        "id": "far",
    }
    assert bot_received(settings, greeted.session, LOCATION_PAYLOAD) == 0


def test_too_long_message_is_explained_in_the_persons_language(greeted):
    assert error_after(greeted, {"type": "message", "id": "long", "text": "ก" * 4001})["message"] == ENGLISH[
        "errors.too_long"
    ]


def test_message_before_hello_is_refused(stack):
    settings, _ = stack
    client = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    assert error_after(client, {"type": "message", "id": "early", "text": "hi"})["code"] == "hello_required"
    client.close()


@pytest.mark.parametrize(
    "text",
    ["🙂🙏😢", "12345", "?", "\x00\x01\x02", "\u202eright-to-left override\u202c", ("สวัสดี ជំរាបសួរ hello ສະບາຍດີ မင်္ဂလာပါ xin chào " * 100)[:4000],
     "ျမန္မာ မြန်မာ mixed Zawgyi and Unicode",
     '/choose_language{"language":"xx"}', "/restart"],
)
def test_odd_messages_get_an_answer(greeted, text):
    frames = greeted.say(text)
    assert bot_texts(frames), "every message gets an answer"


def test_cross_site_websocket_is_refused(stack):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    settings, _ = stack
    url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    with pytest.raises(InvalidStatus):
        with connect(url, origin="https://evil.example", open_timeout=5) as socket:
            socket.send(json.dumps({"type": "hello", "session": None}))
            socket.recv(timeout=5)


def test_action_endpoint_refuses_callers_without_the_token(stack):
    settings, _ = stack
    url = f"http://127.0.0.1:{settings.app_port}/actions/webhook"
    call = {"next_action": "action_give_hotlines", "tracker": {"sender_id": "x"}, "domain": {}}
    assert httpx.post(url, json=call).status_code == 401
    assert httpx.post(url, json=call, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_action_endpoint_bad_requests(stack):
    settings, _ = stack
    url = f"http://127.0.0.1:{settings.app_port}/actions/webhook"
    auth = {"Authorization": f"Bearer {settings.action_token.get_secret_value()}"}
    assert httpx.post(url, content=b"{oops", headers=auth).status_code == 400
    assert httpx.post(url, json=[1], headers=auth).status_code == 400
    unknown = {"next_action": "action_drop_tables", "tracker": {"sender_id": "x", "events": []}, "domain": {}}
    response = httpx.post(url, json=unknown, headers=auth)
    assert response.status_code == 404 and "sender_id" not in response.text
    # A long conversation's call: over the app's 1 MiB for other routes, within the actions' 4 MiB.
    long_conversation = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert httpx.post(url, content=long_conversation, headers=auth).status_code == 400  # read: not an action call
    huge = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    assert httpx.post(url, content=huge, headers=auth).status_code == 413


def test_unknown_language_strings_and_unknown_routes(stack):
    settings, _ = stack
    base = f"http://127.0.0.1:{settings.app_port}"
    assert httpx.get(f"{base}/chat/strings/xx").status_code == 404
    assert httpx.get(f"{base}/chat/strings/km").json()["texts"]["send"]
    page = httpx.get(f"{base}/chat", params={"lang": "<script>"})
    assert page.status_code == 200 and "<script>" not in page.text.split("<body>")[0]
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("text", ["مرحبا، أحتاج مساعدة", "你好，我需要帮助"])
def test_a_language_we_do_not_support_gets_the_language_menu(greeted, text):
    frames = greeted.say(text)
    answer = next(f for f in frames if f["type"] == "bot")
    assert answer["text"] == ENGLISH["language.unsupported"]
    assert len(answer["quick_replies"]) == 7
