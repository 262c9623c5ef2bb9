"""Secrets for a local run, generated once into `var/local.env` (readable by the owner only).

Only secrets that are neither in the environment nor already in the file are added, so a
real deployment that sets them keeps its own values.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

GENERATED = ("SAPHAN_BOT_API_TOKEN", "SAPHAN_ACTION_TOKEN", "SAPHAN_SECRET_KEY", "SAPHAN_ENCRYPTION_KEY")


def ensure(var_dir: Path) -> None:
    """Add any missing local secret to `var_dir/local.env`."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "local.env"
    existing = path.read_text().splitlines() if path.exists() else []
    present = {line.split("=", 1)[0] for line in existing if "=" in line}
    missing = [name for name in GENERATED if name not in present and not os.environ.get(name)]
    if not missing:
        return
    lines = existing + [f"{name}={secrets.token_urlsafe(32)}" for name in missing]
    path.touch(mode=0o600)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
