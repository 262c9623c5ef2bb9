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
class UnsupportedContent:
    """A sticker, image, file or other content Saphan does not read; `kind` names it."""

    kind: str


Content = Union[TextContent, PostbackContent, UnsupportedContent]


@dataclass(frozen=True)
class Inbound:
    """One message from a person, already verified by its channel."""

    channel: str
    channel_user: str
    content: Content
    message_id: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass(frozen=True)
class QuickReply:
    """A button offered with a message: what it shows and what it sends back."""

    label: str
    payload: str


@dataclass(frozen=True)
class TextPart:
    """One text to say: a locale key and its parameters.

    A parameter whose value starts with `@` names a locale key to be translated itself
    (for example `{"country": "@country.TH"}`).
    """

    key: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, **params: str) -> "TextPart":
        """Build a part from keyword parameters."""
        return cls(key, tuple(sorted(params.items())))


@dataclass(frozen=True)
class Outbound:
    """One answer to a person: the texts to say, in order, and an optional menu."""

    say: tuple[TextPart, ...]
    menu: str | None = None

    @classmethod
    def keys(cls, *keys: str, menu: str | None = None) -> "Outbound":
        """Build an answer from parameterless locale keys."""
        return cls(tuple(TextPart(key) for key in keys), menu)


@dataclass(frozen=True)
class Rendered:
    """An `Outbound` rendered in one language, ready for a channel to send."""

    text: str
    quick_replies: tuple[QuickReply, ...] = ()
