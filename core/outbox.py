"""Sending to a person on their channel: the answers to what they wrote, and messages that answer
nothing they just wrote (an operator's words, a case notice).

Each channel registers its `send(inbound, replies)` by name; the outbox calls it with an
`Inbound` that carries only the person's address (no reply route), so LINE pushes, Telegram
sends, and the web chat delivers to the person's open page (or keeps it until they return).

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from core.messages import Inbound, Replies, TextContent

Send = Callable[[Inbound, Replies], Awaitable[None]]


class NoSuchChannel(LookupError):
    """The case's channel is not on in this app (its secrets were removed)."""


class Outbox:
    """Sends to a person on their channel, by the channel's name and the person's address there."""

    def __init__(self) -> None:
        self._senders: dict[str, Send] = {}

    def register(self, channel: str, send: Send) -> None:
        """Make `channel`'s `send` reachable."""
        self._senders[channel] = send

    async def answer(self, inbound: Inbound, replies: Replies) -> None:
        """Send the answers to `inbound` on its channel (with its reply route, if it has one).

        Raises:
            NoSuchChannel: the channel is off.
            Exception: the channel's own error, after its retries.
        """
        sender = self._senders.get(inbound.channel)
        if sender is None:
            raise NoSuchChannel(inbound.channel)
        await sender(inbound, replies)

    async def send(self, channel: str, address: str, replies: Replies) -> None:
        """Send `replies` to `address` on `channel`.

        Raises:
            NoSuchChannel: the channel is off.
            Exception: the channel's own error, after its retries.
        """
        await self.answer(Inbound(channel=channel, channel_user=address, content=TextContent("")), replies)
