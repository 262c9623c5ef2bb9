"""A person on Telegram, talking to the live app: updates built with python-telegram-bot's own
classes, posted with the webhook's secret token; answers read from the fake Bot API.

`TelegramChat` speaks the protocol (the tests use it directly); `TelegramSession` is a story's
person on top of it. Each chat has an id of its own, so the calls the shared fake recorded can
be told apart.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timezone

import httpx
from telegram import CallbackQuery, Chat, Location, Message, Update, User

from core.messages import SHARE_LOCATION
from core.settings import Settings
from fakeplatform import FakePlatform, telegram_api
from storytests.platform_session import PlatformSession
from storytests.webchat import Answer

WAIT_SECONDS = 45
# No new message for this long after the first: the answer to an update is complete.
QUIET_SECONDS = 0.5


class TelegramChat:
    """One person's private chat with Saphan's Telegram bot."""

    def __init__(self, settings: Settings, platform: FakePlatform, language_code: str | None = "en") -> None:
        self.url = f"http://127.0.0.1:{settings.app_port}/webhooks/telegram"
        self.secret = settings.telegram_webhook_secret.get_secret_value()
        self.platform = platform
        self.chat_id = 7_000_000_000 + secrets.randbelow(999_999_999)
        self.person = User(id=self.chat_id, first_name="Dara", is_bot=False, language_code=language_code)
        self.update_id = secrets.randbelow(2**30)
        self.message_id = 0
        self.menu_message_id = 0

    def next_update_id(self) -> int:
        """A new update id, one more than the last."""
        self.update_id += 1
        return self.update_id

    def message(self, chat: Chat | None = None, **fields) -> Message:
        """A new message from the person (in their private chat unless `chat` is given)."""
        self.message_id += 1
        chat = chat or Chat(id=self.chat_id, type=Chat.PRIVATE)
        return Message(self.message_id, datetime.now(timezone.utc), chat, from_user=self.person, **fields)

    def post(self, update: Update) -> int:
        """Post `update` to the webhook with the secret token; the HTTP status."""
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secret}
        return httpx.post(self.url, content=json.dumps(update.to_dict()), headers=headers, timeout=10).status_code

    def sent(self) -> list[dict]:
        """Every message sent to this chat so far (the `sendMessage` parameters), oldest first."""
        return telegram_api.calls(self.platform, "sendMessage", self.chat_id)

    def exchange(self, update: Update) -> list[dict]:
        """Post `update`; the messages sent to the chat in answer (once no more arrive)."""
        before = len(self.sent())
        status = self.post(update)
        if status != 200:
            raise RuntimeError(f"the Telegram webhook answered {status}")
        telegram_api.wait_for_calls(self.platform, "sendMessage", self.chat_id, before + 1, timeout=WAIT_SECONDS)
        count = 0
        while count != len(self.sent()):
            count = len(self.sent())
            time.sleep(QUIET_SECONDS)
        return self.sent()[before:]

    def say(self, text: str) -> list[dict]:
        """The person writes `text`."""
        return self.exchange(Update(self.next_update_id(), message=self.message(text=text)))

    def press(self, data: str) -> list[dict]:
        """Press an inline button with `data` under a menu message of the bot's."""
        self.menu_message_id += 1
        chat = Chat(id=self.chat_id, type=Chat.PRIVATE)
        menu = Message(self.menu_message_id, datetime.now(timezone.utc), chat, text="menu")
        query = CallbackQuery(self.query_id(), self.person, chat_instance=str(self.chat_id), message=menu, data=data)
        return self.exchange(Update(self.next_update_id(), callback_query=query))

    def query_id(self) -> str:
        """The id of the latest button press."""
        return f"cq-{self.chat_id}-{self.menu_message_id}"

    def share_location(self, latitude: float, longitude: float) -> list[dict]:
        """The person sends their location (the keyboard button, or the attachment menu)."""
        here = Location(longitude=longitude, latitude=latitude)
        return self.exchange(Update(self.next_update_id(), message=self.message(location=here)))


class TelegramSession(PlatformSession):
    """A story's person on Telegram: `open()` sends /start from a phone set to the story's
    language, then `say`, `press` and `share_location`, each returning the answers."""

    channel = "telegram"
    opening = "sends /start"

    def __init__(self, settings: Settings, platform: FakePlatform) -> None:
        self._settings, self._platform = settings, platform
        self.channel_user = ""

    def open(self, language: str) -> list[Answer]:
        self._chat = TelegramChat(self._settings, self._platform, language_code=language)
        self.channel_user = str(self._chat.chat_id)
        return self._answers(self._chat.say("/start"))

    @staticmethod
    def _answers(sent: list[dict]) -> list[Answer]:
        """Sent messages as answers: inline buttons (label, data), the location button as `SHARE_LOCATION`."""
        answers = []
        for message in sent:
            markup = message.get("reply_markup") or {}
            inline = [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]
            keyboard = [(b["text"], SHARE_LOCATION) for row in markup.get("keyboard", []) for b in row]
            answers.append(Answer(message["text"], "", "assistant", tuple(inline + keyboard)))
        return answers
