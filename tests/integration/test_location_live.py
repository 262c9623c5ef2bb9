"""The location question with the real model, over web chat: explained and asked first, a
typed yes or no counts right after it, and a later yes never counts for it."""

from __future__ import annotations

import pytest

from core.menus import language_payload
from core.messages import SHARE_LOCATION
from tests.integration.test_webchat_conversation import TEXTS, Chat, bot_texts

pytestmark = pytest.mark.integration
EN = TEXTS["en"]


@pytest.fixture
def chat(stack):
    settings, _ = stack
    client = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    client.send({"type": "hello", "session": None, "language": None})
    client.frames("welcome")
    client.press(language_payload("en"))
    yield client
    client.close()


def menu_payloads(frames: list[dict]) -> list[str]:
    return [reply["payload"] for frame in frames if frame["type"] == "bot" for reply in frame["quick_replies"]]


def test_the_location_is_explained_and_asked_for_with_equal_choices(chat):
    frames = chat.press("/share_location")
    answer = bot_texts(frames)
    assert EN["location.explain"] in answer and EN["location.ask"] in answer
    assert menu_payloads(frames) == ["/consent_location", "/decline_location"]


@pytest.mark.parametrize("yes", ["yes", "ok yes please"])
def test_a_typed_yes_right_after_the_question_shows_how_to_send_it(chat, yes):
    chat.press("/share_location")
    frames = chat.say(yes)
    assert EN["location.how"] in bot_texts(frames)
    assert menu_payloads(frames) == [SHARE_LOCATION, "/decline_location"]


def test_a_typed_no_declines_and_the_conversation_goes_on(chat):
    chat.press("/share_location")
    answer = bot_texts(chat.say("no"))
    assert EN["location.declined"] in answer
    assert EN["location.how"] not in answer


def test_a_yes_to_something_else_later_is_not_consent_to_share_the_location(chat):
    chat.press("/share_location")
    chat.say("my boss has not paid my salary for four months")
    answer = bot_texts(chat.say("yes"))
    assert EN["location.how"] not in answer and EN["location.received"] not in answer
