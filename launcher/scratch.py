"""Settings for a throwaway Saphan: its own `var/`, free ports and fresh secrets.

`./saphan stories` runs on one, and so do the tests, so a story run or a test never touches the
records of a real installation.
"""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

from core.settings import ROOT, Settings


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_settings(var_dir: Path, **overrides) -> Settings:
    """Settings with their own `var_dir`, own ports and fresh secrets; the shared model folder."""
    values = dict(
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
