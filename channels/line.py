"""LINE: webhook events become `Inbound`, and answers go back through LINE's Messaging API.

Verification: `X-Line-Signature` must be the base64 HMAC-SHA256 of the raw body under the
channel secret. It is compared in constant time before the body is parsed, so nobody without
the secret can speak for a person or press a button for them.

Events: from one person, text, location and other messages (other kinds are named only; no
media is downloaded), follow, unfollow, postback and unsend. Saphan talks with one person at a
time: a message in a group or room gets a refusal, and any other group or room event is
skipped. Skipped too, logged by type only: event types Saphan does not use or LINE adds later,
and events in standby mode (another channel holds the chat and answers it).

Sending: the first five messages go by reply while the event's reply token is fresh; the rest,
or all of them when the token is stale or LINE refuses it, go by push. LINE's SDK types stay in
this module.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import aiohttp
from linebot.v3 import messaging, webhooks

from channels.base import SEND_RETRY_DELAYS_SECONDS, MalformedPayload, WebhookChannel, send_with_retries, split_text
from core.locales import Catalog
from core.messages import (
    GROUP_CHAT,
    ClosedContent,
    Content,
    Inbound,
    LocationContent,
    OpenedContent,
    PostbackContent,
    QuickReply,
    Replies,
    TextContent,
    UnsentContent,
    UnsupportedContent,
)
from core.settings import Settings

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-line-signature"
# LINE accepts a reply token for about a minute after the event; the margin keeps clear of the edge.
REPLY_TOKEN_FRESH_FOR = timedelta(seconds=50)
MAX_MESSAGES_PER_CALL = 5
MAX_TEXT_UNITS = 5000  # per text message, counted as LINE counts: UTF-16 code units
MAX_QUICK_REPLIES = 13
MAX_LABEL_CHARS = 20
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)
_ANSWERED_TYPES = frozenset({"message", "follow", "unfollow", "postback", "unsend"})
# Characters that bind to the next one (Khmer coeng, Myanmar virama, zero-width joiner):
# a shortened label never ends with one.
_JOINERS = frozenset("\u17d2\u1039\u200d")


class LineChannel(WebhookChannel):
    """LINE's webhook at `POST /webhooks/line`, answering through the Messaging API."""

    name = "line"
    refused_status = 401

    def __init__(
        self,
        channel_secret: str,
        access_token: str,
        api_base: str,
        *,
        retry_delays: tuple[float, ...] = SEND_RETRY_DELAYS_SECONDS,
    ) -> None:
        """Set up the channel; the API client itself opens on the first send.

        Args:
            channel_secret: the LINE channel's secret (signs every webhook request).
            access_token: the channel's long-lived access token (authorises every send).
            api_base: the Messaging API's base URL (a local fake in tests).
            retry_delays: the pauses between attempts of a failing call.

        Raises:
            ValueError: the secret or the token is empty.
        """
        if not channel_secret or not access_token:
            raise ValueError("LINE needs both a channel secret and an access token")
        self._secret = channel_secret.encode()
        self._configuration = messaging.Configuration(host=api_base.rstrip("/"), access_token=access_token)
        self._retry_delays = retry_delays
        self._client: messaging.AsyncApiClient | None = None
        self._api: messaging.AsyncMessagingApi | None = None

    @classmethod
    def from_settings(cls, settings: Settings, catalog: Catalog) -> LineChannel | None:
        """The channel for `settings`, or None when LINE's secrets are unset (LINE is off).

        Args:
            settings: Saphan's settings.
            catalog: the texts (LINE shows every answer as rendered and has no notices of its own).

        Raises:
            ValueError: only one of the two secrets is set; names the one to set.
        """
        secret = settings.line_channel_secret.get_secret_value()
        token = settings.line_channel_access_token.get_secret_value()
        if not secret and not token:
            logger.info("LINE channel off: SAPHAN_LINE_CHANNEL_SECRET is not set")
            return None
        if not secret or not token:
            missing = "SAPHAN_LINE_CHANNEL_ACCESS_TOKEN" if secret else "SAPHAN_LINE_CHANNEL_SECRET"
            raise ValueError(f"LINE is half configured: set {missing} as well, or unset both to turn LINE off")
        return cls(secret, token, settings.line_api_base)

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """True when `X-Line-Signature` is the HMAC-SHA256 of `body` under the channel secret.

        Defends against forged and altered events: only LINE and Saphan hold the secret, and the
        constant-time comparison does not reveal how much of a guessed signature was right.
        """
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        expected = base64.b64encode(hmac.new(self._secret, body, hashlib.sha256).digest())
        return hmac.compare_digest(signature.encode(), expected)

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[Inbound]:
        """The events of a verified request that Saphan answers, in order.

        Raises:
            MalformedPayload: the body is not JSON, or not shaped like LINE's webhook payload.
        """
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as error:  # RecursionError: nested deeper than any payload
            raise MalformedPayload("body is not JSON") from error
        events = payload.get("events") if isinstance(payload, dict) else None
        if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
            raise MalformedPayload("body is not a LINE webhook payload")
        received_at = datetime.now(timezone.utc)
        inbounds = (self._inbound(event, received_at) for event in events)
        return [inbound for inbound in inbounds if inbound is not None]

    def _inbound(self, raw: dict, received_at: datetime) -> Inbound | None:
        kind = str(raw.get("type"))[:40]
        try:
            event = webhooks.Event.from_dict(raw)
            found = _content(event)
        except (KeyError, TypeError, ValueError, RecursionError):  # a type the SDK does not know, or broken
            # New event types are expected; a person's event that the SDK cannot read is worth a warning.
            level = logging.WARNING if kind in _ANSWERED_TYPES else logging.INFO
            logger.log(level, "LINE event unreadable; skipped", extra={"channel": self.name, "kind": kind})
            return _unreadable_message(raw, received_at)
        source = event.source
        user = source.user_id if isinstance(source, webhooks.UserSource) else None
        group = getattr(source, "group_id", None) or getattr(source, "room_id", None)
        if group is not None and isinstance(event, webhooks.MessageEvent):
            found, user = (UnsupportedContent(GROUP_CHAT), None), group
        if found is None or user is None or event.mode == webhooks.EventMode.STANDBY:
            logger.info("LINE event skipped", extra={"channel": self.name, "kind": kind})
            return None
        content, message_id = found
        return Inbound(
            channel=self.name,
            channel_user=user,
            content=content,
            event_id=event.webhook_event_id,
            message_id=message_id,
            reply_to=getattr(event, "reply_token", None),
            received_at=received_at,
        )

    async def send(self, inbound: Inbound, replies: Replies) -> None:
        """Send the answers to one event: by reply while its token is fresh, otherwise by push.

        Raises:
            messaging.ApiException: LINE refused a call, or still failed after the retries.
            aiohttp.ClientError: LINE could not be reached after the retries.
        """
        messages = _messages(replies)
        fresh = datetime.now(timezone.utc) - inbound.received_at < REPLY_TOKEN_FRESH_FOR
        for start in range(0, len(messages), MAX_MESSAGES_PER_CALL):
            batch = messages[start : start + MAX_MESSAGES_PER_CALL]
            if start == 0 and fresh and inbound.reply_to and await self._reply(inbound.reply_to, batch):
                continue
            await self._push(inbound.channel_user, batch)

    async def _reply(self, token: str, batch: list[messaging.TextMessage]) -> bool:
        """Reply with `batch`; False when LINE refuses the token (400: used or expired).

        A reply carries no retry key. When an attempt failed in a way that LINE may still have
        taken (a 5xx, a timeout, a dropped connection) and the next is refused with 400, the
        fresh token was used by that attempt: the answer arrived, and is not pushed again.
        """
        api = self._messaging()
        request = messaging.ReplyMessageRequest(reply_token=token, messages=batch)
        unclear = False

        async def attempt() -> bool:
            nonlocal unclear
            try:
                await api.reply_message(request, _request_timeout=REQUEST_TIMEOUT)
            except messaging.ApiException as error:
                if error.status != 400:
                    unclear = unclear or (error.status or 0) >= 500
                    raise
                if unclear:
                    logger.info("LINE reply taken by an earlier attempt", extra={"channel": self.name})
                    return True
                logger.info("LINE reply token refused; pushing instead", extra={"channel": self.name, "status": 400})
                return False
            except (aiohttp.ClientError, asyncio.TimeoutError):
                unclear = True
                raise
            return True

        return await send_with_retries(attempt, _retry_after, channel=self.name, delays=self._retry_delays)

    async def _push(self, to: str, batch: list[messaging.TextMessage]) -> None:
        """Push `batch` to `to`; every attempt carries one retry key, so LINE delivers it once."""
        api = self._messaging()
        request = messaging.PushMessageRequest(to=to, messages=batch)
        retry_key = str(uuid.uuid4())

        async def attempt() -> None:
            try:
                await api.push_message(request, x_line_retry_key=retry_key, _request_timeout=REQUEST_TIMEOUT)
            except messaging.ApiException as error:
                if error.status != 409:  # 409: an earlier attempt with this key was accepted
                    raise

        await send_with_retries(attempt, _retry_after, channel=self.name, delays=self._retry_delays)

    def _messaging(self) -> messaging.AsyncMessagingApi:
        """The Messaging API client, opened once, on first use (inside the running event loop)."""
        if self._api is None:
            self._client = messaging.AsyncApiClient(self._configuration)
            self._api = messaging.AsyncMessagingApi(self._client)
        return self._api

    async def aclose(self) -> None:
        """Close the Messaging API client's connections."""
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None


def _content(event: webhooks.Event) -> tuple[Content, str | None] | None:
    """What a person's event says, and its message id; None for events Saphan does not use."""
    if isinstance(event, webhooks.MessageEvent):
        message = event.message
        if isinstance(message, webhooks.TextMessageContent):
            return TextContent(message.text), message.id
        if isinstance(message, webhooks.LocationMessageContent):
            return LocationContent(float(message.latitude), float(message.longitude)), message.id
        return UnsupportedContent(message.type), message.id
    if isinstance(event, webhooks.FollowEvent):
        return OpenedContent(), None
    if isinstance(event, webhooks.UnfollowEvent):
        return ClosedContent(), None
    if isinstance(event, webhooks.PostbackEvent):
        return PostbackContent(event.postback.data), None
    if isinstance(event, webhooks.UnsendEvent):
        return UnsentContent(event.unsend.message_id), None
    return None


def _unreadable_message(raw: dict, received_at: datetime) -> Inbound | None:
    """A message from one person that the SDK cannot read (a kind LINE added later): it still
    gets the kind answer that Saphan reads text, so the person is not left without a word."""
    source, message = raw.get("source"), raw.get("message")
    if raw.get("type") != "message" or not isinstance(source, dict) or not isinstance(message, dict):
        return None
    user, token = source.get("userId"), raw.get("replyToken")
    if source.get("type") != "user" or not isinstance(user, str) or not user or raw.get("mode") == "standby":
        return None
    event_id = raw.get("webhookEventId")
    return Inbound(
        channel=LineChannel.name,
        channel_user=user,
        content=UnsupportedContent("unreadable"),
        event_id=event_id if isinstance(event_id, str) else None,
        reply_to=token if isinstance(token, str) else None,
        received_at=received_at,
    )


def _retry_after(error: Exception) -> float | None:
    """LINE's wait for a 429 (0 if it names none), 0 for 5xx and network errors, None otherwise."""
    if isinstance(error, messaging.ApiException):
        if error.status == 429:
            value = (error.headers or {}).get("Retry-After", "")
            return float(value) if value.isdigit() else 0.0
        return 0.0 if (error.status or 0) >= 500 else None
    return 0.0 if isinstance(error, aiohttp.ClientError | asyncio.TimeoutError) else None


def _messages(replies: Replies) -> list[messaging.TextMessage]:
    """The answers as LINE text messages; the last menu offered goes under the last message.

    LINE shows quick replies only under the newest message in the chat.
    """
    texts = [part for rendered in replies.messages for part in _text_parts(rendered.text)]
    menu = next((rendered.quick_replies for rendered in reversed(replies.messages) if rendered.quick_replies), ())
    messages = [messaging.TextMessage(text=text) for text in texts]
    if messages and menu:
        messages[-1] = messaging.TextMessage(text=texts[-1], quick_reply=_quick_reply(menu))
    return messages


def _text_parts(text: str) -> list[str]:
    """`text` in parts within LINE's limit, split at paragraph, line or word ends."""
    parts: list[str] = []
    for part in split_text(text, MAX_TEXT_UNITS):
        fits = len(part.encode("utf-16-le")) // 2 <= MAX_TEXT_UNITS
        parts.extend([part] if fits else split_text(part, MAX_TEXT_UNITS // 2))
    return parts


def _quick_reply(options: tuple[QuickReply, ...]) -> messaging.QuickReply:
    """LINE quick-reply buttons: postbacks showing their label, or LINE's location request."""
    if len(options) > MAX_QUICK_REPLIES:
        logger.warning("LINE quick replies cut to the platform's limit", extra={"channel": "line"})
    items = []
    for option in options[:MAX_QUICK_REPLIES]:
        label = _short_label(option.label)
        if option.requests_location:
            action = messaging.LocationAction(label=label)
        else:
            action = messaging.PostbackAction(label=label, data=option.payload, display_text=option.label)
        items.append(messaging.QuickReplyItem(action=action))
    return messaging.QuickReply(items=items)


def _short_label(label: str) -> str:
    """`label` within LINE's 20 characters: cut at a word end, or at least between whole
    letters (never between a Thai, Burmese or Khmer letter and its vowel or tone marks)."""
    if len(label) <= MAX_LABEL_CHARS:
        return label
    end = MAX_LABEL_CHARS - 1  # room for the ellipsis
    while end > 0 and (unicodedata.category(label[end]).startswith("M") or label[end - 1] in _JOINERS):
        end -= 1
    space = label.rfind(" ", 0, end + 1)
    if space > MAX_LABEL_CHARS // 2:
        end = space
    return label[:end].rstrip() + "…"
