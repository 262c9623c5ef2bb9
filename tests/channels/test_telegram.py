"""The Telegram channel (channels/telegram.py) and `./saphan telegram set-webhook`.

Updates are built with python-telegram-bot's own classes and posted, as JSON, to the channel's
real webhook route in process; accepted events go through the real `core.delivery`, with a
stand-in for the conversation router; answers go to the fake Bot API (fakeplatform/telegram_api.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import httpx
import pytest
from fastapi import FastAPI
from telegram import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    Document,
    Location,
    Message,
    PhotoSize,
    Poll,
    PollOption,
    Sticker,
    Update,
    User,
    Voice,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from channels.telegram import ALLOWED_UPDATES, TelegramChannel, retry_after
from core.crypto import Sealer
from core.delivery import Delivery
from core.inbox import Inbox
from core.locales import Catalog
from core.menus import ALLOWED_PAYLOADS, COMMANDS, MENUS
from core.messages import (
    GROUP_CHAT,
    ClosedContent,
    Inbound,
    LocationContent,
    OpenedContent,
    PostbackContent,
    QuickReply,
    Rendered,
    Replies,
    TextContent,
    UnsupportedContent,
)
from core.records.db import Database
from core.settings import ROOT
from fakeplatform import FakePlatform, telegram_api
from launcher.scratch import TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, scratch_settings
from launcher.telegram_webhook import set_webhook

CATALOG = Catalog.load()
CHAT = 4201
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=timezone.utc)
FAST_RETRIES = (0.01, 0.01, 0.01, 0.01)
HEADERS = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
MAIN_MENU = tuple(QuickReply(CATALOG.text("en", label), payload) for label, payload in MENUS["main"])
SEND_LOCATION = tuple(QuickReply(CATALOG.text("en", label), payload) for label, payload in MENUS["send_location"])


# --- updates, built with python-telegram-bot's classes -------------------------------------


def person(user_id: int = CHAT, language: str | None = "th", is_bot: bool = False) -> User:
    return User(id=user_id, first_name="Dara", is_bot=is_bot, language_code=language)


def private(chat_id: int = CHAT) -> Chat:
    return Chat(id=chat_id, type=Chat.PRIVATE)


def message(message_id: int = 7, chat: Chat | None = None, sender: User | None = None, **fields) -> Message:
    return Message(message_id=message_id, date=NOW, chat=chat or private(), from_user=sender or person(), **fields)


def text_update(update_id: int, text: str, message_id: int = 7, **fields) -> Update:
    return Update(update_id=update_id, message=message(message_id, text=text, **fields))


def edited_update(update_id: int, message_id: int = 7, **fields) -> Update:
    return Update(update_id=update_id, edited_message=message(message_id, edit_date=NOW, **fields))


def press_update(update_id: int, data: str, sender: User | None = None, menu_message_id: int = 55) -> Update:
    menu = Message(message_id=menu_message_id, date=NOW, chat=private(), from_user=User(1, "Saphan", True), text="menu")
    query = CallbackQuery(id="cq-900", from_user=sender or person(), chat_instance="ci-1", message=menu, data=data)
    return Update(update_id=update_id, callback_query=query)


def as_json(update: Update) -> bytes:
    return json.dumps(update.to_dict()).encode()


# --- the webhook in process -----------------------------------------------------------------


class Router:
    """Stands in for `core.conversation.Conversations`: records each event and answers it.

    `answer` gives the rendered answers to an event; a text listed in `hold` waits for its
    event to be set before it is answered (to keep a message waiting in the queue).
    """

    def __init__(self, answer=None) -> None:
        self.inbounds: list[Inbound] = []
        self.answer = answer or (lambda inbound: [Rendered("ok")])
        self.hold: dict[str, asyncio.Event] = {}

    async def handle(self, inbound: Inbound) -> Replies:
        self.inbounds.append(inbound)
        gate = self.hold.get(getattr(inbound.content, "text", None))
        if gate is not None:
            await gate.wait()
        return Replies("en", list(self.answer(inbound)))

    def key(self, channel: str, channel_user: str) -> str:
        return f"{channel}:{channel_user}"


class Webhook:
    """A client of the channel's webhook route, and the delivery behind it."""

    def __init__(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        self.client = client
        self.delivery = delivery

    async def post(self, update: Update | bytes, headers: dict[str, str] | None = None) -> int:
        body = as_json(update) if isinstance(update, Update) else update
        headers = HEADERS if headers is None else headers
        return (await self.client.post("/webhooks/telegram", content=body, headers=headers)).status_code

    async def settle(self) -> None:
        """Wait until every accepted update has been answered."""
        await self.delivery.drain()


@pytest.fixture()
def database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def platform():
    with FakePlatform() as fake:
        yield fake


@pytest.fixture()
def api(platform):
    """The fake Bot API with no requests recorded yet and a fresh state (each test uses up the failures it asks for)."""
    platform.clear()
    return platform, telegram_api.install(platform)


def new_channel(fake: FakePlatform) -> TelegramChannel:
    return TelegramChannel(
        token=TELEGRAM_BOT_TOKEN,
        webhook_secret=TELEGRAM_WEBHOOK_SECRET,
        api_base=f"{fake.url}/bot",
        catalog=CATALOG,
        retry_delays=FAST_RETRIES,
    )


@contextlib.asynccontextmanager
async def webhook(fake: FakePlatform, database: Database, router: Router):
    channel = new_channel(fake)
    delivery = Delivery(router, Inbox(database, Sealer("test-key"), "app"), channel.send, retry_delays=(0.01,))
    app = FastAPI()
    app.include_router(channel.router(delivery))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://saphan.test") as client:
            yield Webhook(client, delivery)
            await delivery.drain()
    finally:
        await channel.aclose()


def exchange(api, database, updates, router: Router | None = None, headers=None) -> tuple[list[int], Router]:
    """Post `updates` one after another, wait for the answers; return the statuses and the router."""
    fake, _ = api
    router = router or Router()

    async def scenario():
        async with webhook(fake, database, router) as hook:
            statuses = [await hook.post(update, headers) for update in updates]
            await hook.settle()
            return statuses

    return asyncio.run(scenario()), router


def sent(api, chat_id: int = CHAT) -> list[dict]:
    return telegram_api.calls(api[0], "sendMessage", chat_id)


# --- from_settings ----------------------------------------------------------------------------


def test_the_channel_is_off_without_its_secrets_and_says_which_variable(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="channels.telegram"):
        assert TelegramChannel.from_settings(scratch_settings(tmp_path), CATALOG) is None
    assert any("SAPHAN_TELEGRAM_BOT_TOKEN" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "given, missing",
    [
        ({"telegram_bot_token": TELEGRAM_BOT_TOKEN}, "SAPHAN_TELEGRAM_WEBHOOK_SECRET"),
        ({"telegram_webhook_secret": TELEGRAM_WEBHOOK_SECRET}, "SAPHAN_TELEGRAM_BOT_TOKEN"),
    ],
)
def test_a_half_configured_channel_names_what_is_missing(tmp_path, given, missing):
    with pytest.raises(ValueError, match=missing):
        TelegramChannel.from_settings(scratch_settings(tmp_path, **given), CATALOG)


@pytest.mark.parametrize("secret", ["with space", "x" * 257, "ümlaut", "semi;colon", "slash/"])
def test_a_webhook_secret_outside_telegrams_rule_is_refused(tmp_path, secret):
    settings = scratch_settings(tmp_path, telegram_bot_token=TELEGRAM_BOT_TOKEN, telegram_webhook_secret=secret)
    with pytest.raises(ValueError, match="1-256 characters") as refused:
        TelegramChannel.from_settings(settings, CATALOG)
    assert secret not in str(refused.value)


def test_the_channel_starts_without_calling_telegram(tmp_path, api):
    fake, _ = api
    settings = scratch_settings(
        tmp_path,
        telegram_bot_token=TELEGRAM_BOT_TOKEN,
        telegram_webhook_secret="A-z_0" * 51,  # 255 characters: allowed
        telegram_api_base=f"{fake.url}/bot",
    )
    channel = TelegramChannel.from_settings(settings, CATALOG)
    assert isinstance(channel, TelegramChannel)
    asyncio.run(channel.aclose())
    assert fake.requests() == []  # no getMe, no setWebhook: the app starts offline


# --- the webhook's guards ---------------------------------------------------------------------


def test_a_valid_text_update_is_read_and_answered(api, database):
    statuses, router = exchange(api, database, [text_update(1, "my boss keeps my passport")])
    assert statuses == [200]
    [inbound] = router.inbounds
    assert inbound.channel == "telegram" and inbound.channel_user == str(CHAT)
    assert inbound.content == TextContent("my boss keeps my passport")
    assert (inbound.event_id, inbound.message_id, inbound.edit_of) == ("1", "7", None)
    assert inbound.language_hint == "th"
    assert [call["text"] for call in sent(api)] == ["ok"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "forged-secret"},
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET[:-1]},
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": ""},
    ],
    ids=["missing", "forged", "truncated", "empty"],
)
def test_a_forged_or_missing_secret_gets_403_and_nothing_is_processed(api, database, headers):
    statuses, router = exchange(api, database, [text_update(2, "hello")], headers=headers)
    assert statuses == [403]
    assert router.inbounds == [] and api[0].requests() == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"message": {"text": "no update id"}}',
        b'{"update_id": "12", "message": {}}',
        b'{"update_id": 3, "message": {"message_id": 1, "text": "no chat, no date"}}',
        b'{"update_id": 4, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": "x", "type": "private"},'
        b' "from": {"id": 1, "is_bot": false, "first_name": "A"}, "text": "hi"}}',
    ],
    ids=["broken", "not-utf8", "not-object", "no-update-id", "string-update-id", "no-chat", "string-chat-id"],
)
def test_an_unreadable_update_gets_400(api, database, body):
    statuses, router = exchange(api, database, [body])
    assert statuses == [400] and router.inbounds == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_another_content_type_gets_415(api, database, content_type):
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET}
    if content_type:
        headers["Content-Type"] = content_type
    statuses, router = exchange(api, database, [text_update(5, "hello")], headers=headers)
    assert statuses == [415] and router.inbounds == []


def test_an_oversized_body_gets_413(api, database):
    statuses, router = exchange(api, database, [as_json(text_update(6, "x" * (1024 * 1024 + 1)))])
    assert statuses == [413] and router.inbounds == []


def test_unknown_update_kinds_get_200_and_are_ignored(api, database):
    poll = Poll(
        id="p1", question="?", options=[PollOption("a", 0, persistent_id="o1")], total_voter_count=0, is_closed=False,
        is_anonymous=True, type=Poll.REGULAR, allows_multiple_answers=False, allows_revoting=False, members_only=False,
    )  # fmt: skip
    member = ChatMemberUpdated(private(), person(), NOW, ChatMemberLeft(person()), ChatMemberMember(person()))
    updates = [Update(8, poll=poll), Update(9, chat_member=member), Update(10)]
    statuses, router = exchange(api, database, updates)
    assert statuses == [200, 200, 200]
    assert router.inbounds == [] and api[0].requests() == []


def test_a_redelivered_update_is_processed_once(api, database):
    statuses, router = exchange(api, database, [text_update(12, "hello"), text_update(12, "hello")])
    assert statuses == [200, 200]
    assert len(router.inbounds) == 1 and len(sent(api)) == 1


def test_updates_from_bot_accounts_are_never_processed(api, database):
    robot = person(is_bot=True)
    updates = [text_update(13, "/start", sender=robot), press_update(14, "/ask_human", sender=robot)]
    statuses, router = exchange(api, database, updates)
    assert statuses == [200, 200]
    assert router.inbounds == [] and api[0].requests() == []


# --- what updates become ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, content",
    [
        ("/start", OpenedContent()),
        ("/start from-a-poster", OpenedContent()),
        ("/stop", PostbackContent(COMMANDS["stop"])),
        ("/language", PostbackContent(COMMANDS["language"])),
        ("/forget", PostbackContent(COMMANDS["forget"])),
        ("/help", PostbackContent(COMMANDS["help"])),
        ("/help@saphan_test_bot", PostbackContent(COMMANDS["help"])),
        ("/ask_human", TextContent("/ask_human")),  # typed intents stay text: the router strips the "/"
        ("stop", TextContent("stop")),
    ],
)
def test_commands_become_the_menus_payloads(api, database, text, content):
    _, router = exchange(api, database, [text_update(20, text)])
    assert router.inbounds[0].content == content


@pytest.mark.parametrize("code, hint", [("km", "km"), ("en-US", "en"), ("my", "my"), ("de", None), (None, None)])
def test_start_carries_the_persons_app_language_when_saphan_speaks_it(api, database, code, hint):
    _, router = exchange(api, database, [text_update(21, "/start", sender=person(language=code))])
    assert router.inbounds[0].content == OpenedContent() and router.inbounds[0].language_hint == hint


@pytest.mark.parametrize("chat_type", [Chat.GROUP, Chat.SUPERGROUP, Chat.CHANNEL])
def test_group_and_channel_chats_get_the_private_only_refusal(api, database, chat_type):
    group = Chat(id=-100777, type=chat_type, title="Workers")
    _, router = exchange(api, database, [text_update(22, "/start", chat=group)])
    [inbound] = router.inbounds
    assert inbound.content == UnsupportedContent(GROUP_CHAT) and inbound.channel_user == "-100777"


@pytest.mark.parametrize(
    "fields, kind",
    [
        ({"photo": (PhotoSize("f1", "u1", 90, 90),)}, "image"),
        ({"voice": Voice("f2", "u2", 3)}, "audio"),
        ({"document": Document("f3", "u3")}, "file"),
        ({"sticker": Sticker("f4", "u4", 512, 512, False, False, Sticker.REGULAR)}, "sticker"),
    ],
    ids=["photo", "voice", "document", "sticker"],
)
def test_photos_voice_files_and_stickers_become_their_kind(api, database, fields, kind):
    statuses, router = exchange(api, database, [Update(23, message=message(**fields))])
    assert statuses == [200] and router.inbounds[0].content == UnsupportedContent(kind)


def test_a_service_message_is_not_answered(api, database):
    statuses, router = exchange(api, database, [Update(24, message=message(pinned_message=message(3, text="x")))])
    assert statuses == [200] and router.inbounds == []


def test_a_location_and_its_live_updates(api, database):
    first = Update(25, message=message(30, location=Location(longitude=100.5018, latitude=13.7563, live_period=900)))
    moved = edited_update(26, 30, location=Location(longitude=100.5030, latitude=13.7570, live_period=900))
    statuses, router = exchange(api, database, [first, moved])
    assert statuses == [200, 200]
    assert [inbound.content for inbound in router.inbounds] == [
        LocationContent(13.7563, 100.5018, live=False),
        LocationContent(13.7570, 100.5030, live=True),
    ]
    # A live location's new fix is no correction: it is processed after the first was answered.
    assert router.inbounds[1].edit_of is None


def test_an_edit_counts_only_while_its_original_waits_to_be_answered(api, database):
    fake, _ = api
    router = Router(answer=lambda inbound: [Rendered(f"answer to {inbound.content.text}")])

    async def scenario():
        router.hold["original"] = asyncio.Event()
        async with webhook(fake, database, router) as hook:
            await hook.post(text_update(27, "original", message_id=40))
            await hook.post(edited_update(28, 40, text="corrected"))  # the original still waits
            router.hold["original"].set()
            await hook.settle()
            status = await hook.post(edited_update(29, 40, text="corrected again"))  # answered already
            await hook.settle()
            return status

    assert asyncio.run(scenario()) == 200
    assert [inbound.content.text for inbound in router.inbounds] == ["original", "corrected"]
    assert router.inbounds[1].edit_of == "40" and router.inbounds[1].message_id == "40"
    assert [call["text"] for call in sent(api)] == ["answer to original", "answer to corrected"]


def test_a_button_press_is_a_postback_and_its_spinner_and_keyboard_go(api, database):
    statuses, router = exchange(api, database, [press_update(31, "/ask_human")])
    assert statuses == [200]
    [inbound] = router.inbounds
    assert inbound.content == PostbackContent("/ask_human") and inbound.message_id is None
    fake = api[0]
    methods = [telegram_api.method_of(request) for request in fake.requests()]
    assert methods == ["answerCallbackQuery", "editMessageReplyMarkup", "sendMessage"]
    assert telegram_api.calls(fake, "answerCallbackQuery")[0]["callback_query_id"] == "cq-900"
    edit = telegram_api.calls(fake, "editMessageReplyMarkup", CHAT)[0]
    assert edit["message_id"] == "55" and "reply_markup" not in edit


def test_an_old_button_press_is_still_answered_when_telegram_refuses_to_settle_it(api, database):
    fake, _ = api
    fake.fail_next("/bot", 400, times=2)  # answerCallbackQuery and editMessageReplyMarkup: "query is too old"
    _, router = exchange(api, database, [press_update(32, "/ask_hotline")])
    assert [call["text"] for call in sent(api)] == ["ok"]


def test_blocking_the_bot_closes_the_conversation(api, database):
    saphan = User(1, "Saphan", True)
    blocked = ChatMemberUpdated(private(), person(), NOW, ChatMemberMember(saphan), ChatMemberBanned(saphan, NOW))
    statuses, router = exchange(api, database, [Update(33, my_chat_member=blocked)])
    assert statuses == [200] and router.inbounds[0].content == ClosedContent()


# --- sending ----------------------------------------------------------------------------------


def test_text_with_html_characters_arrives_as_written_without_parse_mode(api, database):
    text = "Wages < 300 & hours > 60? <b>Call</b> 1300"
    exchange(api, database, [text_update(40, "hi")], router=Router(answer=lambda _: [Rendered(text)]))
    [call] = sent(api)
    assert call["text"] == text and "parse_mode" not in call


def test_a_long_text_is_split_within_telegrams_limit_with_the_buttons_on_the_last_part(api, database):
    long_text = " ".join(f"word{i}" for i in range(1800))  # about 16,000 characters
    answer = [Rendered(long_text, MAIN_MENU)]
    exchange(api, database, [text_update(41, "hi")], router=Router(answer=lambda _: answer))
    calls = sent(api)
    assert len(calls) == 4
    assert all(len(call["text"]) <= 4096 for call in calls)
    assert " ".join(call["text"] for call in calls) == long_text
    assert [("reply_markup" in call) for call in calls] == [False, False, False, True]
    buttons = [row[0] for row in calls[-1]["reply_markup"]["inline_keyboard"]]
    assert [b["callback_data"] for b in buttons] == [payload for _, payload in MENUS["main"]]


def test_a_long_text_with_emoji_is_split_within_the_limit_counted_in_utf16_units(api, database):
    long_text = " ".join(["\U0001f91d ok"] * 1500)  # 6,000 characters, 7,500 UTF-16 units
    exchange(api, database, [text_update(46, "hi")], router=Router(answer=lambda _: [Rendered(long_text)]))
    calls = sent(api)
    assert len(calls) >= 2 and " ".join(call["text"] for call in calls) == long_text
    assert all(len(call["text"].encode("utf-16-le")) // 2 <= 4096 for call in calls)


def test_every_menu_payload_fits_telegrams_64_byte_button_data():
    assert all(len(payload.encode()) <= 64 for payload in ALLOWED_PAYLOADS)


def test_the_location_button_is_a_reply_keyboard_removed_after_the_location_arrives(api, database):
    def answer(inbound: Inbound) -> list[Rendered]:
        if isinstance(inbound.content, PostbackContent):
            return [Rendered(CATALOG.text("en", "location.how"), SEND_LOCATION)]
        return [Rendered(CATALOG.text("en", "location.received"), MAIN_MENU)]

    updates = [
        press_update(42, "/consent_location"),
        Update(43, message=message(44, location=Location(longitude=100.5, latitude=13.75))),
        text_update(44, "thank you", message_id=45),
    ]
    exchange(api, database, updates, router=Router(answer=answer))
    how, cancel, received, menu, later = sent(api)
    keyboard = how["reply_markup"]
    assert keyboard["keyboard"] == [[{"text": "Send my location", "request_location": True}]]
    assert keyboard["one_time_keyboard"] is True and keyboard["resize_keyboard"] is True
    # One keyboard per message: the other button follows under the menu prompt.
    assert cancel["text"] == CATALOG.text("en", "menu.prompt")
    assert cancel["reply_markup"]["inline_keyboard"] == [[{"text": "Cancel", "callback_data": "/decline_location"}]]
    assert received["reply_markup"] == {"remove_keyboard": True}
    assert menu["text"] == CATALOG.text("en", "menu.prompt") and len(menu["reply_markup"]["inline_keyboard"]) == 6
    assert "inline_keyboard" in later["reply_markup"]  # removed once; then answers are as usual


def test_flood_control_is_waited_out_then_the_message_is_sent(api, database):
    fake, telegram = api
    telegram.flood("sendMessage", retry_after=1)
    started = time.monotonic()
    exchange(api, database, [text_update(50, "hello")])
    assert time.monotonic() - started >= 1.0  # Telegram's retry_after, not the 0.01 s back-off
    attempts = [r for r in fake.requests() if telegram_api.method_of(r) == "sendMessage"]
    assert len(attempts) == 2 and [call["text"] for call in sent(api)] == ["ok", "ok"]


def test_a_platform_failing_for_good_is_given_up_cleanly_and_the_next_person_is_answered(api, database):
    fake, _ = api
    fake.fail_next("/bot", 500, times=len(FAST_RETRIES) + 1)
    statuses, _ = exchange(api, database, [text_update(51, "hello")])
    assert statuses == [200]
    assert len(sent(api, CHAT)) == len(FAST_RETRIES) + 1  # every attempt, then given up
    other = Update(52, message=message(1, chat=private(4202), sender=person(4202), text="hello"))
    exchange(api, database, [other])
    assert [call["text"] for call in sent(api, 4202)] == ["ok"]


def test_a_person_who_blocked_the_bot_is_not_retried(api, database):
    fake, _ = api
    fake.fail_next("/bot", 403)  # "Forbidden: bot was blocked by the user"
    answer = [Rendered("first"), Rendered("second")]
    exchange(api, database, [text_update(53, "hello")], router=Router(answer=lambda _: answer))
    assert len(sent(api)) == 1  # one attempt; the second message is not tried either


@pytest.mark.parametrize(
    "error, wait",
    [
        (RetryAfter(7), 7.0),
        (TimedOut(), 0.0),
        (NetworkError("Internal Server Error (500)"), 0.0),
        (BadRequest("message is too long"), None),
        (Forbidden("bot was blocked by the user"), None),
    ],
)
def test_retry_after_sorts_telegrams_errors(error, wait):
    assert retry_after(error) == wait


# --- ./saphan telegram set-webhook -------------------------------------------------------------


def webhook_settings(tmp_path, fake: FakePlatform, **overrides):
    values = dict(
        public_url="https://saphan.example.org/",
        telegram_bot_token=TELEGRAM_BOT_TOKEN,
        telegram_webhook_secret=TELEGRAM_WEBHOOK_SECRET,
        telegram_api_base=f"{fake.url}/bot",
    )
    return scratch_settings(tmp_path, **(values | overrides))


def test_set_webhook_registers_the_url_the_secret_and_the_update_kinds(tmp_path, api):
    fake, telegram = api
    out, err = io.StringIO(), io.StringIO()
    assert set_webhook(webhook_settings(tmp_path, fake), out, err) == 0
    assert telegram.webhook["url"] == "https://saphan.example.org/webhooks/telegram"
    assert telegram.webhook["secret_token"] == TELEGRAM_WEBHOOK_SECRET
    assert telegram.webhook["allowed_updates"] == list(ALLOWED_UPDATES)
    assert "https://saphan.example.org/webhooks/telegram" in out.getvalue()


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"public_url": ""}, "SAPHAN_PUBLIC_URL is not set"),
        ({"public_url": "http://saphan.example.org"}, "https://"),
        ({"telegram_bot_token": ""}, "SAPHAN_TELEGRAM_BOT_TOKEN"),
        ({"telegram_bot_token": "", "telegram_webhook_secret": ""}, "SAPHAN_TELEGRAM_BOT_TOKEN"),
        ({"telegram_webhook_secret": "no spaces allowed"}, "SAPHAN_TELEGRAM_WEBHOOK_SECRET"),
    ],
)
def test_set_webhook_says_what_to_set_and_calls_nothing(tmp_path, api, overrides, named):
    fake, telegram = api
    err = io.StringIO()
    assert set_webhook(webhook_settings(tmp_path, fake, **overrides), io.StringIO(), err) == 2
    assert named in err.getvalue()
    assert fake.requests() == [] and telegram.webhook == {}


def test_set_webhook_reports_telegrams_refusal_without_the_token(tmp_path, api):
    fake, _ = api
    fake.fail_next("/bot", 401)
    err = io.StringIO()
    assert set_webhook(webhook_settings(tmp_path, fake), io.StringIO(), err) == 1
    assert "did not register the webhook" in err.getvalue() and TELEGRAM_BOT_TOKEN not in err.getvalue()


def test_the_launcher_command_registers_the_webhook(tmp_path, api):
    fake, telegram = api
    env = dict(
        os.environ,
        SAPHAN_VAR_DIR=str(tmp_path),
        SAPHAN_PUBLIC_URL="https://saphan.example.org",
        SAPHAN_TELEGRAM_BOT_TOKEN=TELEGRAM_BOT_TOKEN,
        SAPHAN_TELEGRAM_WEBHOOK_SECRET=TELEGRAM_WEBHOOK_SECRET,
        SAPHAN_TELEGRAM_API_BASE=f"{fake.url}/bot",
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "saphan"), "telegram", "set-webhook"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert telegram.webhook["url"] == "https://saphan.example.org/webhooks/telegram"
    assert TELEGRAM_BOT_TOKEN not in result.stdout + result.stderr
