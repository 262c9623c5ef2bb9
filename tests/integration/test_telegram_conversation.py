"""Saphan over Telegram, live: updates built with python-telegram-bot's classes, posted with the
secret token to the real app and bot; answers read from the fake Bot API.

Each test speaks from its own chat id, so the calls the shared fake recorded can be told apart.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml
from telegram import Chat, Message, PhotoSize, Update

from core.locales import LOCALES_DIR, load_file
from core.menus import MENUS, language_payload
from core.settings import LANGUAGES, ROOT
from fakeplatform import telegram_api
from storytests.telegram import WAIT_SECONDS, TelegramChat

pytestmark = pytest.mark.integration
TEXTS = {lang: load_file(LOCALES_DIR / f"{lang}.yml") for lang in LANGUAGES}
MAIN_MENU = [payload for _, payload in MENUS["main"]]


def disclosure_example(language: str, intent: str = "disclose_documents_taken") -> str:
    """A training example of a disclosure in `language` (the model has seen it)."""
    data = yaml.safe_load((ROOT / "nlu" / language / "disclosure.yml").read_text(encoding="utf-8"))
    block = next(item for item in data["nlu"] if item["intent"] == intent)
    return block["examples"].splitlines()[0].lstrip("- ").strip()


def texts(calls: list[dict]) -> str:
    return "\n".join(call["text"] for call in calls)


def inline_payloads(calls: list[dict]) -> list[str]:
    """The callback data of the inline buttons under the last message that has some."""
    markups = [call.get("reply_markup", {}) for call in calls]
    keyboards = [markup["inline_keyboard"] for markup in markups if "inline_keyboard" in markup]
    return [button["callback_data"] for row in keyboards[-1] for button in row] if keyboards else []


@pytest.fixture
def telegram(stack, platform_api):
    settings, _ = stack
    return TelegramChat(settings, platform_api)


@pytest.mark.parametrize("language", ["th", "km"])
def test_a_whole_conversation_over_telegram(telegram, stack, language):
    said = TEXTS[language]
    greeting = telegram.say("/start")
    assert TEXTS["en"]["greeting.safety_check"] in texts(greeting)
    assert inline_payloads(greeting) == [language_payload(lang) for lang in LANGUAGES]

    chosen = telegram.press(language_payload(language))
    assert said["language.changed"] in texts(chosen)
    answered = [call["callback_query_id"] for call in telegram_api.calls(telegram.platform, "answerCallbackQuery")]
    assert answered.count(telegram.query_id()) == 1, "the spinner was not stopped"
    assert inline_payloads(chosen) == MAIN_MENU

    disclosure = disclosure_example(language)
    assert said["disclosure.thanks"] in texts(telegram.say(disclosure))

    consent = telegram.press("/share_location")
    assert said["location.explain"] in texts(consent) and said["location.ask"] in texts(consent)
    assert inline_payloads(consent) == ["/consent_location", "/decline_location"]

    how = telegram.press("/consent_location")
    assert said["location.how"] in texts(how)
    location_keyboards = [call["reply_markup"] for call in how if "keyboard" in call.get("reply_markup", {})]
    assert location_keyboards and location_keyboards[0]["keyboard"] == [
        [{"text": said["menu.send_location"], "request_location": True}]
    ]
    assert inline_payloads(how) == ["/decline_location"]  # Cancel, under the menu prompt

    shared = telegram.share_location(13.7563, 100.5018)
    assert said["location.received"] in texts(shared)
    assert shared[0]["reply_markup"] == {"remove_keyboard": True}

    handoff = texts(telegram.press("/ask_human"))
    assert said["handoff.nobody_on_duty"] in handoff and "1300" in handoff

    _, log_dir = stack
    for log_file in log_dir.iterdir():
        logged = log_file.read_text(errors="replace")
        assert str(telegram.chat_id) not in logged and disclosure not in logged, log_file.name


def test_start_greets_in_the_language_the_persons_app_reports(stack, platform_api):
    settings, _ = stack
    thai_phone = TelegramChat(settings, platform_api, language_code="th")
    assert TEXTS["th"]["greeting.safety_check"] in texts(thai_phone.say("/start"))


def test_a_group_chat_gets_the_private_only_refusal(telegram):
    group = Chat(id=-telegram.chat_id, type=Chat.GROUP, title="Workers")
    telegram.post(Update(telegram.next_update_id(), message=telegram.message(chat=group, text="/start")))
    [refusal] = telegram_api.wait_for_calls(telegram.platform, "sendMessage", -telegram.chat_id, timeout=WAIT_SECONDS)
    assert refusal["text"] == TEXTS["en"]["errors.private_only"]


def test_a_photo_gets_the_not_text_answer(telegram):
    photo = (PhotoSize("file-1", "unique-1", 640, 480),)
    answer = telegram.exchange(Update(telegram.next_update_id(), message=telegram.message(photo=photo)))
    assert TEXTS["en"]["errors.not_text"] in texts(answer)


def test_correcting_an_answered_message_is_not_answered_again(telegram):
    telegram.say("/start")
    original = telegram.message(text="hello")
    telegram.exchange(Update(telegram.next_update_id(), message=original))
    before = len(telegram.sent())
    edit = Message(original.message_id, original.date, original.chat, from_user=telegram.person, text="hello again",
                   edit_date=datetime.now(timezone.utc))  # fmt: skip
    assert telegram.post(Update(telegram.next_update_id(), edited_message=edit)) == 200
    # Answers come in order: had the correction been answered, its answer would come first.
    after = telegram.press("/ask_hotline")
    assert after == telegram.sent()[before:]
    assert after[0]["text"].startswith(TEXTS["en"]["hotline.intro"])
