"""Settings for a throwaway Saphan: its own `var/`, free ports and fresh secrets, and LINE and
Telegram pointed at a local fake of their APIs when asked.

`./saphan stories` runs on one, and so do the tests, so a story run or a test never touches the
records of a real installation.
"""

from __future__ import annotations

import secrets
import shutil
import socket
from pathlib import Path

from core.directory import DIRECTORY_FILE
from core.settings import ROOT, Settings

# The channels' secrets on a throwaway Saphan: the app runs with them, and whoever plays a person
# on LINE or Telegram (a story, a test, a benchmark) signs with them. They guard only loopback.
LINE_CHANNEL_SECRET = "scratch-line-channel-secret"
LINE_ACCESS_TOKEN = "scratch-line-access-token"
TELEGRAM_BOT_TOKEN = "123456789:SCRATCH-telegram-bot-token"
TELEGRAM_WEBHOOK_SECRET = "scratch-telegram-webhook-secret"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive TCP ports on loopback that nothing listens on right now."""
    while True:
        first = free_port()
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()


def scratch_settings(var_dir: Path, **overrides) -> Settings:
    """Settings with their own `var_dir`, own ports and fresh secrets; the shared model folder;
    a copy of the hotline directory, so that editing it never touches the repository's."""
    var_dir.mkdir(parents=True, exist_ok=True)
    directory_file = var_dir / "hotlines.yml"
    shutil.copyfile(DIRECTORY_FILE, directory_file)
    values = dict(
        directory_file=directory_file,
        var_dir=var_dir,
        app_port=free_port(),
        bot_port=free_port(),
        bot_api_token=secrets.token_urlsafe(16),
        action_token=secrets.token_urlsafe(16),
        secret_key=secrets.token_urlsafe(16),
        encryption_key=secrets.token_urlsafe(32),
        model_dir=ROOT / "models",
    )
    values.update(overrides)
    return Settings(**values)


def channel_settings(platform_url: str) -> dict[str, str]:
    """Settings that turn LINE and Telegram on, with their SDKs pointed at `platform_url`
    (a `fakeplatform` on loopback)."""
    return dict(
        line_channel_secret=LINE_CHANNEL_SECRET,
        line_channel_access_token=LINE_ACCESS_TOKEN,
        line_api_base=platform_url,
        telegram_bot_token=TELEGRAM_BOT_TOKEN,
        telegram_webhook_secret=TELEGRAM_WEBHOOK_SECRET,
        telegram_api_base=f"{platform_url}/bot",
    )
