"""Telegram: updates arrive at `POST /webhooks/telegram`, answers go out through the Bot API.

Updates read: private messages (text, the commands /start /stop /language /forget /help, a
location, other content as its kind), edited messages (a correction: `edit_of`; a live
location's new fix: `LocationContent(live=True)`), inline keyboard presses and the person
blocking the bot. Anything from a group, supergroup or channel is answered with a refusal;
anything sent by a bot account is dropped; other update kinds are counted and ignored.

Answers are plain text (no parse mode): Saphan's texts carry no markup, so `<`, `>` and `&`
arrive as written, no text can turn into a hidden link, and Telegram's length limit counts
the characters the person sees. Telegram still makes phone numbers and links tappable.
Quick replies become an inline keyboard; the "send my location" button becomes a reply
keyboard button that asks the app for the location. A message carries one keyboard only, so
when it must carry a reply keyboard (or its removal, on the answer after one was shown) its
other buttons follow in a short second message.

python-telegram-bot's types stay in this module. The bot's HTTP client opens no connection
until the first call: the app starts without internet, and nothing calls getMe.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import warnings
from collections.abc import Mapping
from datetime import timedelta
from functools import partial

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from channels.base import SEND_RETRY_DELAYS_SECONDS, MalformedPayload, WebhookChannel, send_with_retries, split_text
from core.locales import Catalog
from core.menus import COMMANDS
from core.messages import (
    GROUP_CHAT,
    ClosedContent,
    Content,
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
from core.settings import LANGUAGES, Settings

logger = logging.getLogger(__name__)

# The update kinds Saphan asks Telegram for (set-webhook) and reads; others are ignored.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Telegram's rule for the webhook's secret token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Content Saphan does not read, by the name LINE gives the same kind; anything else is "other".
_KINDS = {"photo": "image", "sticker": "sticker", "animation": "video", "video": "video", "video_note": "video",
          "voice": "audio", "audio": "audio", "document": "file"}  # fmt: skip
# The errors `Update.de_json` raises for a field of the wrong shape.
_SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError, ArithmeticError, IndexError)
_Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


class WebhookNotRegistered(RuntimeError):
    """Telegram did not accept the webhook; the message says why (never the token)."""


class TelegramChannel(WebhookChannel):
    """Saphan's Telegram bot."""

    name = "telegram"
    refused_status = 403

    def __init__(
        self,
        *,
        token: str,
        webhook_secret: str,
        api_base: str,
        catalog: Catalog,
        retry_delays: tuple[float, ...] = SEND_RETRY_DELAYS_SECONDS,
    ) -> None:
        self._token = token
        self._secret = webhook_secret
        self._catalog = catalog
        self._retry_delays = retry_delays
        # One HTTP client for every call (Saphan never polls getUpdates), closed in `aclose`.
        self._request = HTTPXRequest()
        self._bot = Bot(token, base_url=api_base, request=self._request, get_updates_request=self._request)
        # Chats shown the location keyboard: the next answer removes it.
        self._keyboard_shown: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog) -> TelegramChannel | None:
        """The channel, or None when its secrets are unset (Telegram is off).

        Raises:
            ValueError: only one of the two secrets is set, or the webhook secret breaks
                Telegram's rule (names the variable, never a value).
        """
        token = settings.telegram_bot_token.get_secret_value()
        secret = settings.telegram_webhook_secret.get_secret_value()
        if not token and not secret:
            logger.info("telegram channel off: SAPHAN_TELEGRAM_BOT_TOKEN is not set")
            return None
        for value, variable in ((token, "SAPHAN_TELEGRAM_BOT_TOKEN"), (secret, "SAPHAN_TELEGRAM_WEBHOOK_SECRET")):
            if not value:
                raise ValueError(f"{variable} is not set: set both Telegram secrets to turn Telegram on, or neither")
        if not _SECRET.fullmatch(secret):
            raise ValueError("SAPHAN_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return cls(token=token, webhook_secret=secret, api_base=settings.telegram_api_base, catalog=catalog)

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the request carries the webhook's secret token.

        Defends against forged updates: the webhook's URL is public, but only Telegram was
        given the secret (at set-webhook). Compared in constant time.
        """
        given = headers.get(SECRET_HEADER)
        return given is not None and hmac.compare_digest(given.encode(), self._secret.encode())

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Inbound]:
        """The update of a verified request as at most one `Inbound`.

        Raises:
            MalformedPayload: not JSON (415 for another content type, else 400), or not an update.
        """
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            raise MalformedPayload("content type must be application/json", 415)
        try:
            data = json.loads(body)
        except ValueError as error:
            raise MalformedPayload("body is not JSON") from error
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise MalformedPayload("body is not a Telegram update")
        kind = next((key for key in data if key != "update_id"), "none")
        if kind not in ALLOWED_UPDATES:
            known = kind if kind in Update.ALL_TYPES else "other"
            logger.info("update ignored", extra={"channel": self.name, "kind": known})
            return []
        try:
            inbound = self._inbound(Update.de_json(data, self._bot), kind)
        except _SHAPE_ERRORS as error:
            raise MalformedPayload("body is not a Telegram update") from error
        if inbound is None:
            logger.info("update ignored", extra={"channel": self.name, "kind": kind})
            return []
        return [inbound]

    def _inbound(self, update: Update, kind: str) -> Inbound | None:
        event_id = str(update.update_id)
        if kind == "callback_query":
            query = update.callback_query
            message = query.message
            if query.from_user.is_bot or message is None or message.chat.type != ChatType.PRIVATE:
                return None  # Saphan shows buttons in private chats only
            if not isinstance(query.data, str):
                return None  # a game's button, not one of Saphan's
            press = PostbackContent(query.data)
            reply_to = f"{query.id}:{message.message_id}"
            return self._event(message.chat.id, press, event_id, query.from_user, reply_to=reply_to)
        if kind == "my_chat_member":
            change = update.my_chat_member
            if change.chat.type != ChatType.PRIVATE or change.new_chat_member.status != ChatMemberStatus.BANNED:
                return None
            # The person blocked the bot: nothing more may be sent.
            return self._event(change.chat.id, ClosedContent(), event_id, change.from_user)
        edited = kind == "edited_message"
        message = update.edited_message if edited else update.message
        user = message.from_user
        if user is None or user.is_bot:
            return None  # never answer a bot: two bots could talk to each other forever
        message_id = str(message.message_id)
        if message.chat.type != ChatType.PRIVATE:
            return None if edited else self._event(message.chat.id, UnsupportedContent(GROUP_CHAT), event_id, user)
        if message.location is not None:
            # An edited location is a live location's new fix, not a correction.
            fix = LocationContent(message.location.latitude, message.location.longitude, live=edited)
            return self._event(message.chat.id, fix, event_id, user, message_id=message_id)
        content = _content(message)
        if content is None:
            return None  # a service message (pinned, chat settings …): nothing a person wrote
        edit_of = message_id if edited else None
        return self._event(message.chat.id, content, event_id, user, message_id=message_id, edit_of=edit_of)

    def _event(self, chat_id: object, content: Content, event_id: str, user: User, **extra: str | None) -> Inbound:
        if type(chat_id) is not int:
            raise TypeError("chat id is not an integer")
        code = user.language_code.split("-")[0].lower() if isinstance(user.language_code, str) else None
        hint = code if code in LANGUAGES else None
        return Inbound(self.name, str(chat_id), content, event_id=event_id, language_hint=hint, **extra)

    async def send(self, inbound: Inbound, replies: Replies) -> None:
        """Send the answers in order; a press is acknowledged first and its keyboard removed.

        Raises:
            TelegramError: a message could not be sent (the ones after it are not sent either).
        """
        chat = inbound.channel_user
        if inbound.reply_to:
            await self._settle_press(int(chat), inbound.reply_to)
        for rendered in replies.messages:
            for text, markup in self._outgoing(chat, rendered, replies.language):
                call = partial(self._bot.send_message, int(chat), text, reply_markup=markup)
                await send_with_retries(call, retry_after, channel=self.name, delays=self._retry_delays)

    async def _settle_press(self, chat_id: int, reply_to: str) -> None:
        """Stop the person's spinner and take the keyboard off the message they pressed it on.

        A menu is answered once: an old button cannot be pressed again later by mistake.
        Neither call is worth holding up the answer, so a failure is only logged.
        """
        query_id, _, message_id = reply_to.rpartition(":")
        calls = (
            partial(self._bot.answer_callback_query, query_id),
            partial(self._bot.edit_message_reply_markup, chat_id, int(message_id)),
        )
        for call in calls:
            try:
                await call()
            except TelegramError as error:
                logger.warning("button press not settled", extra={"channel": self.name, "error": type(error).__name__})

    def _outgoing(self, chat: str, rendered: Rendered, language: str) -> list[tuple[str, _Keyboard]]:
        """The messages that show `rendered`: (text, keyboard or None), at most 4096 characters each."""
        # Telegram counts UTF-16 units: a character beyond the BMP (most emoji) counts twice.
        wide = any(ord(character) > 0xFFFF for character in rendered.text)
        parts = split_text(rendered.text, MessageLimit.MAX_TEXT_LENGTH // (2 if wide else 1))
        if not parts:
            return []
        buttons = [reply for reply in rendered.quick_replies if not reply.requests_location]
        location = next((reply for reply in rendered.quick_replies if reply.requests_location), None)
        if location is not None:
            button = KeyboardButton(location.label, request_location=True)
            markup: _Keyboard = ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
            self._keyboard_shown.add(chat)
        elif chat in self._keyboard_shown:
            markup = ReplyKeyboardRemove()
            self._keyboard_shown.discard(chat)
        else:
            markup, buttons = _inline(buttons), []
        messages = [(part, None) for part in parts[:-1]] + [(parts[-1], markup)]
        if buttons:
            messages.append((self._catalog.text(language, "menu.prompt"), _inline(buttons)))
        return messages

    async def register_webhook(self, url: str) -> None:
        """Ask Telegram to deliver updates to `url`, with the secret token and `ALLOWED_UPDATES`.

        Raises:
            WebhookNotRegistered: Telegram refused, or could not be reached.
        """
        try:
            await self._bot.set_webhook(url, secret_token=self._secret, allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as error:
            reason = str(error).replace(self._token, "<token>")
            raise WebhookNotRegistered(f"{type(error).__name__}: {reason}") from error

    async def aclose(self) -> None:
        """Close the bot's HTTP client."""
        await self._request.shutdown()


def _content(message: Message) -> Content | None:
    """What a private message says: a command, a text, or the kind of content Saphan does not read."""
    text = message.text
    if text is not None:
        if not isinstance(text, str):
            raise TypeError("text is not a string")
        command = text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower() if text.startswith("/") else ""
        if command == "start":
            return OpenedContent()
        if command in COMMANDS:
            return PostbackContent(COMMANDS[command])
        return TextContent(text)
    for attribute, kind in _KINDS.items():  # in order: an animation is a document too
        if getattr(message, attribute):
            return UnsupportedContent(kind)
    return UnsupportedContent("other") if message.effective_attachment is not None else None


def _inline(buttons: list[QuickReply]) -> InlineKeyboardMarkup | None:
    """Quick replies as an inline keyboard, one button a row (labels are long in some languages)."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.payload)] for b in buttons])


def retry_after(error: Exception) -> float | None:
    """For `send_with_retries`: Telegram's wait for a 429, 0 for a network error or a 5xx,
    None for an error that will not pass (a bad request, a person who blocked the bot)."""
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # python-telegram-bot warns that the type will change
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = error.retry_after
        return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
    if isinstance(error, BadRequest):  # a subclass of NetworkError, so it is sorted first
        return None
    if isinstance(error, NetworkError):  # time-outs, refused connections and 5xx answers
        return 0.0
    return None
