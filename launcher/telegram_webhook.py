"""`./saphan telegram set-webhook`: tell Telegram where Saphan's webhook is.

Telegram delivers updates to `{SAPHAN_PUBLIC_URL}/webhooks/telegram` with the secret token
(SAPHAN_TELEGRAM_WEBHOOK_SECRET) in every request. This is never done at start-up, because
the app must start without internet: run it once after deploying, and again whenever the
public URL or the secret changes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from channels.telegram import TelegramChannel, WebhookNotRegistered
from core.locales import Catalog
from core.settings import Settings


def webhook_url(settings: Settings) -> str:
    """The address Telegram is given for Saphan's webhook.

    Raises:
        ValueError: SAPHAN_PUBLIC_URL is unset or not https (Telegram only calls https).
    """
    public_url = settings.public_url.strip().rstrip("/")
    if not public_url:
        raise ValueError("SAPHAN_PUBLIC_URL is not set: set it to the https address where the app is reachable")
    if not public_url.startswith("https://"):
        raise ValueError("SAPHAN_PUBLIC_URL must start with https:// (Telegram only delivers to https)")
    return f"{public_url}/webhooks/telegram"


async def _register(channel: TelegramChannel, url: str) -> None:
    try:
        await channel.register_webhook(url)
    finally:
        await channel.aclose()


def set_webhook(settings: Settings, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Register the webhook for `settings`; return the exit code (0 done, 1 refused, 2 not configured)."""
    try:
        url = webhook_url(settings)
        channel = TelegramChannel.from_settings(settings, Catalog.load())
        if channel is None:
            raise ValueError("SAPHAN_TELEGRAM_BOT_TOKEN and SAPHAN_TELEGRAM_WEBHOOK_SECRET are not set")
    except ValueError as error:
        print(f"saphan: {error}", file=err)
        return 2
    try:
        asyncio.run(_register(channel, url))
    except WebhookNotRegistered as error:
        print(f"saphan: Telegram did not register the webhook ({error})", file=err)
        return 1
    print(f"saphan: Telegram now delivers updates to {url}", file=out)
    return 0


def command(args: argparse.Namespace) -> int:
    """Run `./saphan telegram <action>` with the settings of the environment."""
    return set_webhook(Settings())
