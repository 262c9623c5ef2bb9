"""A real conversation over the web chat WebSocket: real app, real Rasa, real custom actions."""

from __future__ import annotations

import json

import httpx
import pytest
import yaml
from websockets.sync.client import connect

from core.conversation import LOCATION_PAYLOAD
from core.identity import conversation_id
from core.locales import LOCALES_DIR, load_file
from core.menus import language_payload
from core.messages import SHARE_LOCATION
from core.settings import LANGUAGES, ROOT, Settings

pytestmark = pytest.mark.integration
TEXTS = {lang: load_file(LOCALES_DIR / f"{lang}.yml") for lang in LANGUAGES}


def first_example(language: str, intent: str) -> str:
    """A training example of `intent` in `language` (the model has seen it)."""
    data = yaml.safe_load((ROOT / "nlu" / language / "general.yml").read_text(encoding="utf-8"))
    block = next(item for item in data["nlu"] if item["intent"] == intent)
    return block["examples"].splitlines()[0].lstrip("- ").strip()


class Chat:
    """A web chat client speaking the page's protocol."""

    def __init__(self, url: str) -> None:
        self.socket = connect(url, max_size=2**20, open_timeout=10)
        self.counter = 0
        self.session: str | None = None

    def hello(self, session: str | None = None, language: str | None = None) -> list[dict]:
        """Open (or continue) a session; the welcome and any greeting."""
        self.send({"type": "hello", "session": session, "language": language})
        frames = self.frames("welcome")
        self.session = frames[0]["session"]
        return frames

    def send(self, frame: dict) -> None:
        self.socket.send(json.dumps(frame))

    def frames(self, until: str, timeout: float = 30) -> list[dict]:
        """Frames up to and including the first of type `until`.

        An ack comes after its message's answers; after a welcome, the greeting follows.
        """
        received = []
        while True:
            frame = json.loads(self.socket.recv(timeout=timeout))
            received.append(frame)
            if frame["type"] == until:
                break
        if until != "welcome":
            return received
        while True:
            try:
                received.append(json.loads(self.socket.recv(timeout=1.5)))
            except TimeoutError:
                return received

    def say(self, text: str) -> list[dict]:
        self.counter += 1
        self.send({"type": "message", "id": f"m{self.counter}", "text": text})
        return self.frames("ack")

    def press(self, payload: str) -> list[dict]:
        self.counter += 1
        self.send({"type": "postback", "id": f"p{self.counter}", "payload": payload})
        return self.frames("ack")

    def close(self) -> None:
        self.socket.close()


def bot_texts(frames: list[dict]) -> str:
    return "\n".join(frame["text"] for frame in frames if frame["type"] == "bot")


def bot_received(settings: Settings, session: str, text: str) -> int:
    """How many times the bot was given `text` in the web chat session `session` (from its tracker)."""
    key = conversation_id(settings.secret_key.get_secret_value(), "webchat", session)
    tracker = httpx.get(
        f"http://127.0.0.1:{settings.bot_port}/conversations/{key}/tracker",
        params={"token": settings.bot_api_token.get_secret_value()},
        timeout=10,
    ).json()
    return sum(1 for event in tracker["events"] if event["event"] == "user" and event.get("text") == text)


@pytest.fixture
def chat(stack):
    settings, _ = stack
    client = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    yield client
    client.close()


def test_health_reports_bot_and_database(stack):
    settings, _ = stack
    response = httpx.get(f"http://127.0.0.1:{settings.app_port}/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "database": "ok", "bot": "ok", "bot_processes": "1/1", "redis": "off"
    }  # fmt: skip


def test_openapi_document_is_served(stack):
    settings, _ = stack
    document = httpx.get(f"http://127.0.0.1:{settings.app_port}/openapi.json").json()
    assert "/healthz" in document["paths"] and "/chat" in document["paths"]


def test_new_session_is_greeted_with_a_safety_check_and_the_language_menu(chat):
    chat.send({"type": "hello", "session": None, "language": None})
    frames = chat.frames("welcome")
    assert frames[0]["type"] == "welcome" and len(frames[0]["session"]) >= 32
    text = bot_texts(frames)
    assert TEXTS["en"]["greeting.safety_check"] in text
    menus = [f["quick_replies"] for f in frames if f["type"] == "bot" and f["quick_replies"]]
    assert [r["payload"] for r in menus[-1]] == [language_payload(lang) for lang in LANGUAGES]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_greets_and_reaches_a_person_through_the_custom_action(chat, language):
    chat.send({"type": "hello", "session": None, "language": None})
    chat.frames("welcome")
    chosen = chat.press(language_payload(language))
    assert TEXTS[language]["language.changed"] in bot_texts(chosen)

    greeting = chat.say(first_example(language, "greet"))
    assert TEXTS[language]["greeting.safety_check"] in bot_texts(greeting)

    # action_request_human runs in the app, called by the real Rasa server.
    handoff = bot_texts(chat.say(first_example(language, "ask_human")))
    assert TEXTS[language]["handoff.nobody_on_duty"] in handoff
    assert "1300" in handoff and "111" in handoff


def test_a_greeting_in_the_browsers_language_is_marked_with_that_language(chat):
    chat.send({"type": "hello", "session": None, "language": "km"})
    greeting = [frame for frame in chat.frames("welcome") if frame["type"] == "bot"]
    assert TEXTS["km"]["greeting.safety_check"] in greeting[0]["text"]
    assert {frame["language"] for frame in greeting} == {"km"}, "the page sets lang= and the font from it"


def test_typed_language_name_switches_language(chat):
    chat.send({"type": "hello", "session": None, "language": "en"})
    chat.frames("welcome")
    assert TEXTS["km"]["language.changed"] in bot_texts(chat.say("ខ្មែរ"))


def test_reconnect_keeps_the_conversation_and_does_not_repeat_a_handled_message(stack):
    settings, _ = stack
    url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    first = Chat(url)
    first.send({"type": "hello", "session": None, "language": None})
    session = first.frames("welcome")[0]["session"]
    first.send({"type": "postback", "id": "once", "payload": language_payload("vi")})
    answered = first.frames("ack")
    assert TEXTS["vi"]["language.changed"] in bot_texts(answered)
    first.close()

    second = Chat(url)
    second.send({"type": "hello", "session": session, "language": "en"})
    welcome = second.frames("welcome")
    assert welcome[0]["language"] == "vi" and bot_texts(welcome) == ""
    # The page resends an unacknowledged message after a reconnect: its answers come again, with
    # the same ids (the page shows them once), and it is acknowledged, but the bot is not asked twice.
    second.send({"type": "postback", "id": "once", "payload": language_payload("vi")})
    assert second.frames("ack") == answered
    assert bot_received(settings, session, language_payload("vi")) == 1
    assert TEXTS["vi"]["hotline.intro"] in bot_texts(second.press("/ask_hotline"))
    second.close()


def test_bot_message_ids_are_unique_in_a_session_across_connections(stack):
    settings, _ = stack
    url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    first = Chat(url)
    first.send({"type": "hello", "session": None, "language": "en"})
    frames = first.frames("welcome")
    session = frames[0]["session"]
    frames += first.press("/ask_hotline")
    first.close()
    second = Chat(url)
    second.counter = first.counter  # message ids are unique in a session, as the page's random ids are
    second.send({"type": "hello", "session": session, "language": "en"})
    frames += second.frames("welcome") + second.press("/ask_hotline") + second.say("hello")
    second.close()
    ids = [frame["id"] for frame in frames if frame["type"] == "bot"]
    assert len(ids) >= 5 and len(set(ids)) == len(ids)


def test_a_message_sent_on_two_connections_at_once_is_answered_once(stack):
    settings, _ = stack
    url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    first, second = Chat(url), Chat(url)
    first.send({"type": "hello", "session": None, "language": "en"})
    session = first.frames("welcome")[0]["session"]
    second.send({"type": "hello", "session": session, "language": "en"})
    second.frames("welcome")
    frame = {"type": "message", "id": "twice", "text": "where can i call for help"}
    first.send(frame)
    second.send(frame)  # while the first is still being answered
    answers = first.frames("ack"), second.frames("ack")
    assert answers[0] == answers[1] and bot_texts(answers[0])
    assert bot_received(settings, session, frame["text"]) == 1
    first.close()
    second.close()


def test_ping_is_answered_at_once(chat):
    chat.send({"type": "ping"})
    assert chat.frames("pong", timeout=5) == [{"type": "pong"}]


def test_location_is_asked_for_only_after_consent_and_arrives_as_a_location(stack, chat):
    settings, _ = stack
    chat.send({"type": "hello", "session": None, "language": "en"})
    session = chat.frames("welcome")[0]["session"]
    offer = chat.press("/share_location")
    assert TEXTS["en"]["location.ask"] in bot_texts(offer)
    assert not any(r["requests_location"] for f in offer if f["type"] == "bot" for r in f["quick_replies"])

    how = chat.press("/consent_location")
    buttons = [r for f in how if f["type"] == "bot" for r in f["quick_replies"]]
    assert [(r["payload"], r["requests_location"]) for r in buttons] == [
        (SHARE_LOCATION, True),
        ("/decline_location", False),
    ]
    assert buttons[0]["label"] == TEXTS["en"]["menu.send_location"]

    chat.send({"type": "location", "id": "where", "latitude": 13.7563, "longitude": 100.5018})
    assert TEXTS["en"]["location.received"] in bot_texts(chat.frames("ack"))
    assert bot_received(settings, session, LOCATION_PAYLOAD) == 1


def test_logs_and_the_app_database_never_hold_what_a_person_wrote(stack, chat):
    settings, log_dir = stack
    canary = "Canary7731Somchai"
    chat.send({"type": "hello", "session": None, "language": None})
    chat.frames("welcome")
    chat.say(f"my name is {canary} and my boss took my passport")
    chat.say(canary)
    for log_file in log_dir.iterdir():
        assert canary not in log_file.read_text(errors="replace"), log_file.name
    database = settings.var_dir / "saphan.db"
    assert database.exists() and canary.encode() not in database.read_bytes()
    for leftover in settings.var_dir.glob("saphan.db-*"):  # SQLite's write-ahead log
        assert canary.encode() not in leftover.read_bytes()
