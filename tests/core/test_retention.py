"""Retention: what is untouched for the retention period is deleted, everything newer stays."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from core.locales import Catalog
from core.messages import LocationContent
from core.records.models import Conversation, utcnow
from core.settings import ROOT
from core.stores import open_stores
from launcher.scratch import scratch_settings
from tests.core.test_data_rights import rows_mentioning
from tests.core.test_transcripts import RASA_EVENTS, user_event

DAY = 24 * 3600


@pytest.fixture()
def stores(tmp_path):
    stores = open_stores(scratch_settings(tmp_path), Catalog.load())
    stores.database.migrate()
    with stores.transcripts._engine.begin() as connection:
        connection.execute(text(RASA_EVENTS))
    yield stores
    stores.dispose()


def add_conversation(stores, conversation: str, days_ago: float) -> None:
    with stores.database.session() as session:
        at = utcnow() - timedelta(days=days_ago)
        session.add(
            Conversation(id=conversation, channel="line", language="vi", language_chosen=True, last_active_at=at)
        )
        session.commit()
    stores.consents.record(conversation, "location", True, "vi")
    stores.locations.consent(conversation)
    stores.locations.receive(conversation, LocationContent(10.77, 106.7))
    with stores.transcripts._engine.begin() as connection:
        connection.execute(
            text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
            {"s": conversation, "t": time.time() - days_ago * DAY, "d": user_event("họ giữ hộ chiếu của tôi", None)},
        )


def test_only_what_is_older_than_the_period_is_deleted(stores):
    add_conversation(stores, "old", days_ago=91)
    add_conversation(stores, "recent", days_ago=89)
    with stores.transcripts._engine.begin() as connection:  # a bot-only transcript, never in the app
        connection.execute(
            text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('bot-only', 'user', :t, '{}')"),
            {"t": time.time() - 100 * DAY},
        )
    purged = stores.retention.purge(90)
    assert (purged.conversations, purged.transcripts) == (1, 1)  # "old" with its transcript, then "bot-only"
    for engine in (stores.database.engine, stores.transcripts._engine):
        assert rows_mentioning(engine, "old") == [] and rows_mentioning(engine, "bot-only") == []
        assert rows_mentioning(engine, "recent")
    assert stores.locations.for_hotline("old") is None and stores.locations.for_hotline("recent") is not None


def test_a_period_below_one_day_is_refused(stores):
    add_conversation(stores, "today", days_ago=0)
    with pytest.raises(ValueError):
        stores.retention.purge(0)
    assert rows_mentioning(stores.database.engine, "today")


def test_the_purge_command_reports_what_it_deleted_and_refuses_a_bad_period(tmp_path):
    env = {**os.environ, "SAPHAN_VAR_DIR": str(tmp_path)}
    command = [sys.executable, str(ROOT / "saphan"), "purge"]
    done = subprocess.run([*command, "--days", "30"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "deleted 0 conversations and 0 other transcripts untouched for 30 days" in done.stdout
    assert "reduced 0 ended cases without an agreed record to statistics" in done.stdout
    refused = subprocess.run([*command, "--days", "0"], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "at least one day" in refused.stderr
