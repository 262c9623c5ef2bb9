"""The real bot and app on PostgreSQL: one URL each, and both keep their data there.

The stack here is its own (not the shared `stack`, which runs on SQLite): the app's records and
Rasa's tracker store are fresh PostgreSQL databases on 127.0.0.1:5432, dropped afterwards.
"""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import create_engine, text

from core.identity import conversation_id
from core.menus import language_payload
from launcher import processes
from launcher.scratch import scratch_settings
from tests.integration.test_webchat_conversation import TEXTS, Chat, bot_texts
from tests.records.conftest import postgresql_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgresql_stack(model, tmp_path_factory):
    """The bot and the app with both databases on PostgreSQL; yields their settings."""
    with postgresql_database() as database_url, postgresql_database() as tracker_url:
        var_dir = tmp_path_factory.mktemp("var-postgresql")
        settings = scratch_settings(var_dir, database_url=database_url, tracker_store_url=tracker_url)
        log_dir = var_dir / "log"
        log_dir.mkdir()
        supervisor = processes.Supervisor(processes.children(settings, model, log_dir))
        supervisor.start()
        try:
            yield settings
        finally:
            supervisor.stop()


def test_a_web_chat_conversation_is_kept_in_postgresql_by_the_app_and_the_bot(postgresql_stack):
    settings = postgresql_stack
    health = httpx.get(f"http://127.0.0.1:{settings.app_port}/healthz", timeout=10)
    assert health.json() == {
        "status": "ok", "database": "ok", "bot": "ok", "bot_processes": "1/1", "redis": "off"
    }  # fmt: skip

    chat = Chat(f"ws://127.0.0.1:{settings.app_port}/chat/ws")
    try:
        chat.hello()
        assert TEXTS["km"]["language.changed"] in bot_texts(chat.press(language_payload("km")))
        assert TEXTS["km"]["hotline.intro"] in bot_texts(chat.press("/ask_hotline"))
    finally:
        chat.close()

    key = conversation_id(settings.secret_key.get_secret_value(), "webchat", chat.session)
    app_db, tracker_db = create_engine(settings.database_url), create_engine(settings.tracker_store_url)
    try:
        with app_db.connect() as connection:
            row = connection.execute(text("SELECT channel, language FROM conversations WHERE id = :id"), {"id": key})
            assert row.all() == [("webchat", "km")]
        with tracker_db.connect() as connection:
            events = connection.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :id ORDER BY id"), {"id": key}
            ).all()
    finally:
        app_db.dispose()
        tracker_db.dispose()
    said = [json.loads(data).get("text") for kind, data in events if kind == "user"]
    assert said == ["/greet", language_payload("km"), "/ask_hotline"]  # the greeting, then the two presses
    assert any(kind == "bot" for kind, _ in events)
    # Nothing went to the SQLite files the defaults would use.
    assert not (settings.var_dir / "saphan.db").exists() and not (settings.var_dir / "tracker.db").exists()
