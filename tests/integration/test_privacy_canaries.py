"""Privacy in logs and records, live: canary values sent through every channel and flow never
reach a log, the app's database, or (as an id or a place) the bot's transcript.

One fixture plays every conversation once, with values new on every run (`canaries.py`): over
LINE, Telegram and web chat, texts carrying a word, a phone number, a name and a passport
number, the platforms' ids and a web chat session token, a shared location, a disclosure that
starts the triage, a danger that escalates, a message taken back, content Saphan does not read,
refused input, "what do you keep about me" and "forget me". Each test then searches one place.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from telegram import Chat as TelegramPlace
from telegram import Location, Message, PhotoSize, Update, User

from core.identity import conversation_id
from core.menus import language_payload
from core.settings import Settings
from fakeplatform import FakePlatform, telegram_api
from storytests.telegram import WAIT_SECONDS, TelegramChat
from tests.integration.canaries import Canaries, cells_containing, files_holding, lines_containing
from tests.integration.test_line_conversation import LineChat
from tests.integration.test_line_conversation import texts as line_texts
from tests.integration.test_telegram_conversation import texts as telegram_texts
from tests.integration.test_webchat_conversation import TEXTS, Chat, bot_texts

pytestmark = pytest.mark.integration
EN = TEXTS["en"]
LOG_SETTLE_SECONDS = 1.0  # the processes may log a line just after the last answer went out


@dataclass(frozen=True)
class Played:
    """What the conversations left to search for: the canaries, and the web chat sessions."""

    canaries: Canaries
    kept_session: str
    forgotten_session: str

    def identities(self) -> dict[str, str]:
        """Every id and place of the run."""
        return self.canaries.identities([self.kept_session, self.forgotten_session])

    def everything(self) -> dict[str, str]:
        """Every canary of the run: what people wrote, who they are and where."""
        return {**self.canaries.contents(), **self.identities()}


def play_line(settings: Settings, platform: FakePlatform, canaries: Canaries) -> None:
    """One person over LINE, through every kind of event Saphan reads."""
    line = LineChat(settings, platform)
    line.tag, line.user, line.group, line.room = (
        canaries.line_tag, canaries.line_user, f"C{canaries.line_tag}", f"R{canaries.line_tag}",
    )  # fmt: skip
    assert EN["greeting.safety_check"] in line_texts(line.exchange(line.event("follow", follow={"isUnblocked": False})))
    line.press(language_payload("en"))

    # A disclosure the person then takes back: its words must leave the bot's transcript. The
    # age makes the triage quote the whole message as its evidence.
    regretted = line.text(f"I am 16 and my boss has not paid my salary for four months, {canaries.unsent}")
    assert EN["disclosure.thanks"] in line_texts(line.exchange(regretted))
    assert cells_containing(settings.resolved_tracker_store_url(), {"unsent": canaries.unsent}), "the bot kept no text"
    taken_back = line.event("unsend", unsend={"messageId": regretted["message"]["id"]})
    del taken_back["replyToken"]
    assert line.post(taken_back).status_code == 200  # not answered: the next event waits for it

    disclosure = line.say(
        f"they took my passport {canaries.passport}, I am {canaries.name}, call me on {canaries.phone} {canaries.text}"
    )
    assert EN["disclosure.thanks"] in line_texts(disclosure)
    danger = line.say(f"help me please they are beating me right now {canaries.text}")
    assert EN["urgent.offer_person"] in line_texts(danger)

    assert EN["location.ask"] in line_texts(line.press("/share_location"))
    assert EN["location.how"] in line_texts(line.press("/consent_location"))
    place = {
        "id": f"M{canaries.line_tag}where", "type": "location", "title": canaries.name,
        "address": f"{canaries.text} Soi 7", "latitude": canaries.latitude, "longitude": canaries.longitude,
    }  # fmt: skip
    assert EN["location.received"] in line_texts(line.exchange(line.event("message", message=place)))

    assert line.post(line.event("postback", postback={"data": f"/{canaries.text}"})).status_code == 200  # refused
    image = {"id": f"M{canaries.line_tag}img", "type": "image", "contentProvider": {"type": "line"}, "quoteToken": "q"}
    assert EN["errors.not_text"] in line_texts(line.exchange(line.event("message", message=image)))
    in_group = line.text(f"hi {canaries.text}", source={"type": "group", "groupId": line.group, "userId": line.user})
    assert line_texts(line.exchange(in_group)) == EN["errors.private_only"]

    blocked = line.event("unfollow")
    del blocked["replyToken"]
    assert line.post(blocked).status_code == 200
    back = line.exchange(line.event("follow", follow={"isUnblocked": True}))
    assert line_texts(back), "a person who comes back is greeted"


def play_telegram(settings: Settings, platform: FakePlatform, canaries: Canaries) -> None:
    """One person over Telegram (named after the canary), and a group that writes to the bot."""
    telegram = TelegramChat(settings, platform)
    telegram.chat_id = canaries.telegram_chat
    first_name, last_name = canaries.name.split()
    telegram.person = User(canaries.telegram_chat, first_name, False, last_name=last_name, language_code="en")
    assert EN["greeting.safety_check"] in telegram_texts(telegram.say("/start"))
    telegram.press(language_payload("en"))

    written = telegram.message(text=f"I am {canaries.name}, my phone is {canaries.phone}, {canaries.text}")
    assert telegram_texts(telegram.exchange(Update(telegram.next_update_id(), message=written)))
    corrected = Message(
        written.message_id, written.date, written.chat, from_user=telegram.person,
        text=f"my passport is {canaries.passport} {canaries.text}", edit_date=datetime.now(timezone.utc),
    )  # fmt: skip
    assert telegram.post(Update(telegram.next_update_id(), edited_message=corrected)) == 200  # not answered

    assert EN["location.ask"] in telegram_texts(telegram.press("/share_location"))
    assert EN["location.how"] in telegram_texts(telegram.press("/consent_location"))
    here = Location(longitude=canaries.longitude, latitude=canaries.latitude)
    shared = telegram.exchange(Update(telegram.next_update_id(), message=telegram.message(location=here)))
    assert EN["location.received"] in telegram_texts(shared)
    assert EN["data.kept_intro"] in telegram_texts(telegram.say("what do you keep about me?"))

    photo = (PhotoSize(f"file-{canaries.text}", f"unique-{canaries.text}", 640, 480),)
    pictured = Update(telegram.next_update_id(), message=telegram.message(photo=photo, caption=canaries.name))
    assert EN["errors.not_text"] in telegram_texts(telegram.exchange(pictured))

    group = TelegramPlace(id=canaries.telegram_group, type=TelegramPlace.GROUP, title=f"{canaries.surname} workers")
    in_group = telegram.message(chat=group, text=canaries.text)
    assert telegram.post(Update(telegram.next_update_id(), message=in_group)) == 200
    [refusal] = telegram_api.wait_for_calls(platform, "sendMessage", canaries.telegram_group, timeout=WAIT_SECONDS)
    assert refusal["text"] == EN["errors.private_only"]


def refused(chat: Chat, raw: str | bytes | dict) -> str:
    """Send a frame the web chat must refuse; the error code it answered with."""
    if isinstance(raw, bytes):
        chat.socket.send(raw)
    else:
        chat.socket.send(raw if isinstance(raw, str) else json.dumps(raw))
    return next(frame for frame in chat.frames("error", timeout=10) if frame["type"] == "error")["code"]


def play_webchat(settings: Settings, canaries: Canaries) -> tuple[str, str]:
    """Two web chat sessions: one shares its location and sends bad frames, one is forgotten.
    Returns their session tokens."""
    url = f"ws://127.0.0.1:{settings.app_port}/chat/ws"
    chat = Chat(url)
    try:
        assert EN["greeting.safety_check"] in bot_texts(chat.hello())
        chat.press(language_payload("en"))
        assert bot_texts(chat.say(f"I am {canaries.name}, my number is {canaries.phone}, {canaries.text}"))
        assert EN["location.ask"] in bot_texts(chat.press("/share_location"))
        assert EN["location.how"] in bot_texts(chat.press("/consent_location"))
        chat.send({"type": "location", "id": "where", "latitude": canaries.latitude, "longitude": canaries.longitude})
        assert EN["location.received"] in bot_texts(chat.frames("ack"))

        lat, lon = f"{canaries.latitude:.6f}", f"{canaries.longitude:.6f}"
        bad_frames = {
            f'{{"type": "message", "id": "m-bad", "text": "{canaries.text} {canaries.phone}': "malformed_json",
            f"{canaries.text} {canaries.name}".encode(): "binary_not_supported",
            json.dumps({"type": canaries.text, "text": canaries.passport}): "unknown_type",
            json.dumps({"type": "message", "id": f"<{canaries.text}>", "text": canaries.name}): "invalid_message",
            json.dumps({"type": "postback", "id": "p-bad", "payload": f"/{canaries.text}"}): "invalid_payload",
            json.dumps({"type": "location", "id": "l-bad", "latitude": lat, "longitude": lon}): "invalid_location",
            json.dumps({"type": "hello", "session": f"../{canaries.text}", "language": "en"}): "invalid_session",
        }
        for raw, code in bad_frames.items():
            assert refused(chat, raw) == code
        too_long = f"{canaries.text} {canaries.passport} " + "x" * settings.message_max_chars
        assert refused(chat, {"type": "message", "id": "m-long", "text": too_long}) == "too_long"
        assert bot_texts(chat.press("/ask_hotline")), "the conversation goes on after the refusals"
    finally:
        chat.close()

    forgotten = Chat(url)
    try:
        forgotten.hello()
        forgotten.press(language_payload("en"))
        assert bot_texts(forgotten.say(f"my name is {canaries.name}, {canaries.forgotten}"))
        assert EN["data.forget_ask"] in bot_texts(forgotten.say("forget me"))
        assert EN["data.forgotten"] in bot_texts(forgotten.say("yes"))
    finally:
        forgotten.close()
    return chat.session, forgotten.session


@pytest.fixture(scope="module")
def played(stack, platform_api) -> Played:
    """Every conversation played once, all answers received."""
    settings, _ = stack
    canaries = Canaries.new()
    play_line(settings, platform_api, canaries)
    play_telegram(settings, platform_api, canaries)
    kept_session, forgotten_session = play_webchat(settings, canaries)
    time.sleep(LOG_SETTLE_SECONDS)
    return Played(canaries, kept_session, forgotten_session)


def leaks(found: list[str]) -> str:
    """The findings, one a line, for an assertion's message."""
    return "leaked:\n" + "\n".join(found)


def test_no_log_line_holds_a_canary(played, stack):
    _, log_dir = stack
    logs = sorted(path for path in log_dir.rglob("*") if path.is_file())
    assert {"app.log", "bot.log"} <= {path.name for path in logs}
    assert '"webhook accepted"' in (log_dir / "app.log").read_text(), "the app logged nothing to search"
    found = lines_containing(logs, played.everything())
    assert not found, leaks(found)


def test_the_app_database_holds_only_pseudonymous_ids(played, stack):
    settings, _ = stack
    url = settings.resolved_database_url()
    secret = settings.secret_key.get_secret_value()
    canaries = played.canaries
    kept = {
        "LINE conversation": conversation_id(secret, "line", canaries.line_user),
        "Telegram conversation": conversation_id(secret, "telegram", str(canaries.telegram_chat)),
        "web chat conversation": conversation_id(secret, "webchat", played.kept_session),
    }
    stored = {place.split(" row ")[0] for place in cells_containing(url, kept)}
    assert {f"conversations.id [{label}]" for label in kept} <= stored, stored
    forgotten = {"forgotten conversation": conversation_id(secret, "webchat", played.forgotten_session)}
    assert cells_containing(url, forgotten) == []
    found = cells_containing(url, played.everything())
    assert not found, leaks(found)
    database_files = sorted(settings.var_dir.glob("saphan.db*"))  # with SQLite's journal, if any
    found = files_holding(database_files, played.everything())
    assert database_files and not found, leaks(found)


def test_the_bot_transcript_holds_no_id_or_place_and_no_unsent_or_forgotten_text(played, stack):
    settings, _ = stack
    url = settings.resolved_tracker_store_url()
    canaries = played.canaries
    assert cells_containing(url, {"message text": canaries.text}), "the transcript holds what people wrote"
    assert cells_containing(url, {"location notice": "/location_shared"}), "the bot was told of the locations"
    gone = {"unsent message text": canaries.unsent, "forgotten message text": canaries.forgotten}
    found = cells_containing(url, {**played.identities(), **gone})
    assert not found, leaks(found)
