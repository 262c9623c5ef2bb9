"""Saphan's internal message form: one `Inbound` in, `Outbound` answers out.

Channel adapters turn platform payloads into `Inbound` and render `Outbound` for their
platform, so every flow is written once. Texts travel as locale keys and are rendered in the
conversation's language at the edge (`core.locales`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Union


@dataclass(frozen=True)
class TextContent:
    """A text the person wrote."""

    text: str


@dataclass(frozen=True)
class PostbackContent:
    """A quick-reply or button the person pressed; `payload` is one of `core.menus`' payloads."""

    payload: str


@dataclass(frozen=True)
class LocationContent:
    """A location the person shared; `live` marks an update of a live location."""

    latitude: float
    longitude: float
    live: bool = False

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError("latitude or longitude out of range")


@dataclass(frozen=True)
class UnsupportedContent:
    """A sticker, image, file or other content Saphan does not read; `kind` names it.

    The kind `GROUP_CHAT` marks anything from a group or channel chat: Saphan talks with one
    person at a time and answers only with a polite refusal.
    """

    kind: str


GROUP_CHAT = "group_chat"


@dataclass(frozen=True)
class OpenedContent:
    """The person opened the chat: LINE's follow, Telegram's /start, a new web chat page."""


@dataclass(frozen=True)
class ClosedContent:
    """The person blocked or left the chat (LINE's unfollow): nothing more may be sent."""


@dataclass(frozen=True)
class UnsentContent:
    """The person took back an earlier message; `message_id` is the channel's id of it."""

    message_id: str


Content = Union[
    TextContent, PostbackContent, LocationContent, UnsupportedContent, OpenedContent, ClosedContent, UnsentContent
]


@dataclass(frozen=True)
class Inbound:
    """One event from a person, already verified by its channel.

    `channel_user` is the channel's id of the person (LINE user id, Telegram chat id, web chat
    session): it never leaves the app. `event_id` is the platform's id of the delivery, used to
    process a redelivered event once; `message_id` is the platform's id of the message, used to
    honour an unsend. `reply_to` is what the channel needs to answer this event (LINE's reply
    token); `language_hint` is the language the person's app reports, if any. `edit_of` is the
    message id of the message this one corrects (Telegram's edited messages).
    """

    channel: str
    channel_user: str
    content: Content
    event_id: str | None = None
    message_id: str | None = None
    reply_to: str | None = None
    language_hint: str | None = None
    edit_of: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class QuickReply:
    """A button offered with a message: what it shows and what it sends back.

    A button whose payload is `SHARE_LOCATION` asks the person's app for their location
    (LINE's location action, Telegram's location keyboard button, the browser's geolocation);
    a channel that cannot do that shows how to send a location instead.
    """

    label: str
    payload: str

    @property
    def requests_location(self) -> bool:
        """True for the button that asks for the person's location."""
        return self.payload == SHARE_LOCATION


SHARE_LOCATION = "/share_location_now"


@dataclass(frozen=True)
class TextPart:
    """One text to say: a locale key and its parameters.

    A parameter whose value starts with `@` names a locale key to be translated itself
    (for example `{"country": "@country.TH"}`), or several (`"@key1 @key2"`), listed.
    """

    key: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, **params: str) -> "TextPart":
        """Build a part from keyword parameters."""
        return cls(key, tuple(sorted(params.items())))


@dataclass(frozen=True)
class HandoffRequest:
    """The bot's request to hand the conversation to a person at a hotline.

    `reason` is "person" (they asked) or "urgent" (the triage); `triage` is the assessment so far.
    """

    reason: str
    triage: dict | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Outbound:
    """One answer to a person: the texts to say, in order, and an optional menu.

    `forget` marks the answer that confirms "forget me": once it is given, the app deletes
    everything kept about the conversation. `stop` marks the answer to STOP: the app ends a case
    still waiting for a person. `handoff` carries the bot's request for a person: the app opens
    the case and adds what the person is told about it.
    """

    say: tuple[TextPart, ...]
    menu: str | None = None
    forget: bool = False
    stop: bool = False
    handoff: HandoffRequest | None = None

    @classmethod
    def keys(cls, *keys: str, menu: str | None = None) -> "Outbound":
        """Build an answer from parameterless locale keys."""
        return cls(tuple(TextPart(key) for key in keys), menu)


@dataclass(frozen=True)
class Rendered:
    """An `Outbound` rendered in one language, ready for a channel to send; `author` is
    "assistant", or "team" for what an operator wrote (a channel may show who wrote it)."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    author: str = "assistant"


@dataclass(frozen=True)
class Replies:
    """The answers to one message (or a message to send unasked), rendered in one language."""

    language: str
    messages: list[Rendered]
