"""The location question with the real model, over web chat: explained and asked first, a
typed yes or no counts right after it, and a later yes never counts for it."""

from __future__ import annotations

import pytest

from core.messages import SHARE_LOCATION
from tests.integration.test_webchat_conversation import TEXTS, bot_texts

pytestmark = pytest.mark.integration
EN = TEXTS["en"]



def menu_payloads(frames: list[dict]) -> list[str]:
    return [reply["payload"] for frame in frames if frame["type"] == "bot" for reply in frame["quick_replies"]]


def test_the_location_is_explained_and_asked_for_with_equal_choices(english_chat):
    frames = english_chat.press("/share_location")
    answer = bot_texts(frames)
    assert EN["location.explain"] in answer and EN["location.ask"] in answer
    assert menu_payloads(frames) == ["/consent_location", "/decline_location"]


@pytest.mark.parametrize("yes", ["yes", "ok yes please"])
def test_a_typed_yes_right_after_the_question_shows_how_to_send_it(english_chat, yes):
    english_chat.press("/share_location")
    frames = english_chat.say(yes)
    assert EN["location.how"] in bot_texts(frames)
    assert menu_payloads(frames) == [SHARE_LOCATION, "/decline_location"]


def test_a_typed_no_declines_and_the_conversation_goes_on(english_chat):
    english_chat.press("/share_location")
    answer = bot_texts(english_chat.say("no"))
    assert EN["location.declined"] in answer
    assert EN["location.how"] not in answer


def test_a_yes_to_something_else_later_is_not_consent_to_share_the_location(english_chat):
    english_chat.press("/share_location")
    english_chat.say("my boss has not paid my salary for four months")
    answer = bot_texts(english_chat.say("yes"))
    assert EN["location.how"] not in answer and EN["location.received"] not in answer
