"""Settings: defaults for a local run, and a faithful hand-over to child processes."""

import pytest
from pydantic import SecretStr

from core.settings import Settings


def test_bot_urls_follow_the_bot_port_unless_set():
    assert Settings(bot_port=6123).resolved_bot_urls() == ["http://127.0.0.1:6123"]
    urls = ["http://bot-1:5005", "http://bot-2:5005"]
    assert Settings(bot_port=6123, bot_urls=urls).resolved_bot_urls() == urls


def test_databases_default_to_sqlite_under_var(tmp_path):
    settings = Settings(var_dir=tmp_path)
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/saphan.db"
    assert settings.resolved_tracker_store_url() == f"sqlite:///{tmp_path}/tracker.db"


def test_environment_round_trip_reproduces_the_settings(tmp_path, monkeypatch):
    original = Settings(
        var_dir=tmp_path, app_port=8123, secret_key=SecretStr("k"), webchat_allowed_origins=["https://a"]
    )
    for name, value in original.as_environment().items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_missing_secret_is_named_without_any_value():
    with pytest.raises(ValueError, match="SAPHAN_SECRET_KEY"):
        Settings(bot_api_token=SecretStr("a"), action_token=SecretStr("b"), secret_key=SecretStr("")).require_secrets()
