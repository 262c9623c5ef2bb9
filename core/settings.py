"""Saphan's settings, read from `SAPHAN_*` environment variables.

This is the only module that reads the environment. Settings are built once (by the
launcher or the app factory) and passed on explicitly. Local secrets that the launcher
generates on first run live in `var/local.env`; a `.env` file, if present, is read too, and
real environment variables win over both.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "th", "my", "km", "lo", "vi", "id")


class Settings(BaseSettings):
    """Every setting Saphan has, with defaults for a local run on SQLite."""

    model_config = SettingsConfigDict(
        env_prefix="SAPHAN_",
        env_file=(ROOT / ".env", ROOT / "var" / "local.env"),
        extra="ignore",
    )

    var_dir: Path = ROOT / "var"
    app_host: str = "127.0.0.1"
    app_port: int = 8000
    bot_port: int = 5005
    # The bot processes the app balances over; empty: the one local bot on `bot_port`.
    bot_urls: list[str] = []
    bot_timeout_seconds: float = 30.0
    bot_api_token: SecretStr = Field(default=SecretStr(""))
    action_token: SecretStr = Field(default=SecretStr(""))
    secret_key: SecretStr = Field(default=SecretStr(""))
    database_url: str = ""
    tracker_store_url: str = ""
    # Redis, shared by several app processes (console notices, held locations, web chat pushes)
    # and by several bot processes (Rasa's lock store); empty: one process of each, no Redis.
    redis_url: str = ""
    # This app process's name among several (it owns conversation leases under it).
    instance: str = "app"
    model_dir: Path = ROOT / "models"
    log_level: str = "INFO"
    message_max_chars: int = 4000
    webchat_allowed_origins: list[str] = []
    default_language: str = "en"
    retention_days: int = 90
    directory_file: Path = ROOT / "data" / "hotlines.yml"
    # Directory entries last verified longer ago than this are flagged to admins (DNH-39).
    directory_max_age_days: int = 180
    purge_interval_hours: float = 24.0
    public_url: str = ""
    line_channel_secret: SecretStr = Field(default=SecretStr(""))
    line_channel_access_token: SecretStr = Field(default=SecretStr(""))
    line_api_base: str = "https://api.line.me"
    telegram_bot_token: SecretStr = Field(default=SecretStr(""))
    telegram_webhook_secret: SecretStr = Field(default=SecretStr(""))
    telegram_api_base: str = "https://api.telegram.org/bot"
    # One or more keys, comma-separated: the first encrypts, all decrypt (see core/crypto.py).
    encryption_key: SecretStr = Field(default=SecretStr(""))
    # After this long without an operator taking a case, the person is told and given the hotlines.
    claim_timeout_seconds: float = 120.0
    console_session_hours: float = 8.0
    console_idle_minutes: float = 30.0
    # Optional alerts of waiting urgent cases to an operators' group (no personal data): the
    # channel ("telegram" or "line") and the group's id there (a Telegram chat id, a LINE group id).
    alert_channel: str = ""
    alert_group: str = ""

    def resolved_bot_urls(self) -> list[str]:
        """Where the app reaches the bot: `SAPHAN_BOT_URLS`, or the local bot on `bot_port`."""
        return self.bot_urls or [f"http://127.0.0.1:{self.bot_port}"]

    def resolved_database_url(self) -> str:
        """The app's database URL; SQLite under `var/` unless one is set."""
        return self.database_url or f"sqlite:///{self.var_dir / 'saphan.db'}"

    def resolved_tracker_store_url(self) -> str:
        """The URL of Rasa's tracker store; SQLite under `var/` unless one is set."""
        return self.tracker_store_url or f"sqlite:///{self.var_dir / 'tracker.db'}"

    def action_endpoint_url(self) -> str:
        """Where the bot calls the app's action endpoint."""
        return f"http://127.0.0.1:{self.app_port}/actions/webhook"

    def as_environment(self) -> dict[str, str]:
        """These settings as `SAPHAN_*` variables, for the processes the launcher starts."""
        env: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, list):
                value = json.dumps(value)
            env[f"SAPHAN_{name.upper()}"] = str(value)
        return env

    def require_secrets(self) -> None:
        """Fail with a clear message when a secret the app needs is unset.

        Raises:
            ValueError: names the missing variable, never a value.
        """
        for name in ("bot_api_token", "action_token", "secret_key", "encryption_key"):
            if not getattr(self, name).get_secret_value():
                raise ValueError(f"SAPHAN_{name.upper()} is not set (./saphan run creates it in var/local.env)")
