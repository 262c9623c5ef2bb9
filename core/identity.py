"""Pseudonymous conversation ids: what the bot sees instead of a channel's user id.

The id is an HMAC of the channel and its user id under the app's secret key, so it cannot be
reversed without that key, and the same person on the same channel keeps one conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def conversation_id(secret_key: str, channel: str, channel_user: str) -> str:
    """Return the pseudonymous conversation id for a channel's user."""
    digest = hmac.new(secret_key.encode(), f"{channel}\x00{channel_user}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().rstrip("=").lower()[:32]


def message_ref(secret_key: str, channel: str, message_id: str) -> str:
    """A pseudonymous reference to a channel's message, kept with the bot's transcript so an
    unsent message can be found and blanked without storing the platform's id."""
    return conversation_id(secret_key, f"{channel}:message", message_id)
