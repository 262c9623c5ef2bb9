"""Channel adapters: each turns its platform's payloads into `core.messages.Inbound` and
renders `core.messages.Rendered` answers for its platform. No adapter imports another edge."""

from __future__ import annotations

from channels.base import WebhookChannel
from channels.line import LineChannel
from channels.telegram import TelegramChannel
from core.locales import Catalog
from core.settings import Settings


def webhook_channels(settings: Settings, catalog: Catalog) -> list[WebhookChannel]:
    """The webhook channels whose secrets are set; a channel without them is off."""
    candidates = (LineChannel.from_settings(settings, catalog), TelegramChannel.from_settings(settings, catalog))
    return [channel for channel in candidates if channel is not None]
