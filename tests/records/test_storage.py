"""The records and the bot's transcripts behave the same on SQLite and on PostgreSQL.

Every test here runs twice, on a fresh SQLite file and on a fresh PostgreSQL database (see
conftest.py): the schema the migrations build, redelivery ids, consent decisions, "forget me"
and the changes the app makes to Rasa's `events` table.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Float, Integer, MetaData, Sequence, String, Table, Text, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from core.consent import ConsentLog
from core.crypto import Sealer
from core.data_rights import PersonalData
from core.inbox import LEASE, Inbox
from core.locales import Catalog
from core.locations import SharedLocations
from core.messages import Inbound, LocationContent, TextContent
from core.records.db import Database
from core.records.models import Base, ChannelEvent, Conversation, utcnow
from core.records.transcripts import Transcripts
from core.settings import ROOT, Settings
from launcher import processes
from tests.core.test_data_rights import rows_mentioning
from tests.core.test_transcripts import user_event
from tests.records.conftest import postgresql_database

# Rasa 3.6's tracker store table, declared as SQLTrackerStore.SQLEvent declares it
# (rasa/core/tracker_store.py), so each database gets the column types Rasa would create.
RASA_EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, Sequence("events_seq", optional=True), primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
PERSON, SOMEONE_ELSE = "conv-person-7f3a", "conv-someone-else-9c1d"


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def transcripts(tracker_url):
    transcripts = Transcripts(tracker_url)
    yield transcripts
    transcripts.dispose()


def add_events(url: str, rows: list[tuple[str, str, str, float]]) -> None:
    """Create Rasa's `events` table if needed and add (sender, type, data, timestamp) rows."""
    engine = create_engine(url)
    RASA_EVENTS.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            RASA_EVENTS.insert(),
            [{"sender_id": s, "type_name": k, "data": d, "timestamp": t} for s, k, d, t in rows],
        )
    engine.dispose()


def stored_events(url: str) -> list[tuple[str, dict]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, data FROM events ORDER BY id")).all()
    engine.dispose()
    return [(sender, json.loads(data)) for sender, data in rows]


def add_conversations(database: Database, *ids: str) -> None:
    with database.session() as session:
        session.add_all(Conversation(id=i, channel="line", language="km", language_chosen=True) for i in ids)
        session.commit()


def test_migrations_build_exactly_the_schema_of_the_models(database_url):
    database = Database(database_url)
    database.migrate()
    database.migrate()  # a second run finds nothing to do
    head = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"), ini_section="alembic")).get_current_head()
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert set(inspect(connection).get_table_names()) == {*Base.metadata.tables, "alembic_version"}
    database.dispose()


def test_a_postgresql_url_in_any_spelling_reaches_the_database_through_psycopg():
    with postgresql_database() as url:
        for spelling in ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://"):
            database = Database(url.replace("postgresql://", spelling, 1))
            assert database.engine.dialect.driver == "psycopg" and database.ping(), spelling
            database.dispose()


def test_the_bot_is_given_its_tracker_store_on_postgresql_through_psycopg2_and_sqlite_as_it_is(tmp_path):
    hosted = "postgres://saphan:p%40ss%2Fword@db.example.org:6543/tracker?sslmode=require"
    bot = processes.bot_environment(Settings(var_dir=tmp_path, tracker_store_url=hosted))
    assert bot["SAPHAN_TRACKER_STORE_URL"] == (
        "postgresql+psycopg2://saphan:p%40ss%2Fword@db.example.org:6543/tracker?sslmode=require"
    )
    bot = processes.bot_environment(Settings(var_dir=tmp_path, tracker_store_url=""))
    assert bot["SAPHAN_TRACKER_STORE_URL"] == f"sqlite:///{tmp_path / 'tracker.db'}"


def test_a_redelivered_event_is_kept_once_and_old_ids_are_forgotten(database):
    inbox = Inbox(database, Sealer("test-key"), "app")

    def event(channel: str, event_id: str) -> Inbound:
        return Inbound(channel, "u1", TextContent("hello"), event_id=event_id)

    assert inbox.store("c1", event("line", "event-1")) is True
    assert inbox.store("c1", event("line", "event-1")) is False
    assert inbox.store("c1", event("telegram", "event-1")) is True  # another platform's ids are its own
    assert inbox.store("c1", event("line", "event-2")) is True
    with database.session() as session:
        assert session.scalar(text("SELECT count(*) FROM inbox_events")) == 3  # the redelivery was not kept
    with database.session() as session:
        session.add(ChannelEvent(channel="line", event_hash="0" * 64, received_at=utcnow() - timedelta(days=8)))
        session.commit()
    assert inbox.forget_old_event_ids() == 1
    assert inbox.store("c1", event("line", "event-1")) is False  # a week's ids are kept


def test_one_process_at_a_time_holds_a_conversation_until_its_lease_runs_out(database):
    first, second = (Inbox(database, Sealer("test-key"), owner) for owner in ("app-1", "app-2"))
    assert first.claim("c1") is True
    assert first.claim("c1") is True  # renewing its own
    assert second.claim("c1") is False
    assert second.claim("c2") is True  # another conversation is free
    first.release("c1")
    assert second.claim("c1") is True
    assert first.claim("c1", now=utcnow() + LEASE + timedelta(seconds=1)) is True  # run out: taken over
    first.store("c1", Inbound("line", "u1", TextContent("a")))
    second.store("c2", Inbound("line", "u2", TextContent("b")))
    # Each sees only what no live lease of the other covers.
    assert first.waiting_conversations() == ["c1"] and second.waiting_conversations() == ["c2"]


def test_consent_is_logged_read_back_and_withdrawn(database):
    add_conversations(database, PERSON, SOMEONE_ELSE)
    consents = ConsentLog(database, Catalog.load())
    assert consents.current(PERSON) == {}  # no decision at all is a no
    consents.record(PERSON, "location", False, "km")
    given = consents.record(PERSON, "location", True, "th")
    consents.record(SOMEONE_ELSE, "location", True, "km")

    assert [(d.granted, d.language) for d in consents.history(PERSON)] == [(False, "km"), (True, "th")]
    current = consents.current(PERSON)["location"]
    assert (current.granted, current.language, current.text_version) == (True, "th", given.text_version)

    assert [d.kind for d in consents.withdraw_all(PERSON, "th")] == ["location"]
    assert consents.current(PERSON)["location"].granted is False
    assert len(consents.history(PERSON)) == 3
    assert consents.withdraw_all(PERSON, "th") == []  # nothing is a yes any more
    assert consents.current(SOMEONE_ELSE)["location"].granted is True


def test_a_consent_needs_its_conversation(database):
    with pytest.raises(IntegrityError):
        ConsentLog(database, Catalog.load()).record("conv-never-recorded", "location", True, "en")


def test_forget_deletes_every_trace_of_one_conversation_and_nothing_else(database, tracker_url, transcripts):
    words = "they took my passport"
    add_events(tracker_url, [(who, "user", user_event(words, None), 1.0) for who in (PERSON, PERSON, SOMEONE_ELSE)])
    add_conversations(database, PERSON, SOMEONE_ELSE)
    locations, consents = SharedLocations(), ConsentLog(database, Catalog.load())
    for conversation in (PERSON, SOMEONE_ELSE):
        consents.record(conversation, "location", True, "km")
        locations.consent(conversation)
        locations.receive(conversation, LocationContent(11.55, 104.92))
    data = PersonalData(database, transcripts, locations, consents)
    tracker = create_engine(tracker_url)
    assert rows_mentioning(database.engine, PERSON) and rows_mentioning(tracker, PERSON)

    data.forget(PERSON)

    assert rows_mentioning(database.engine, PERSON) == []
    assert rows_mentioning(tracker, PERSON) == []
    assert data.summary(PERSON).consents == () and data.summary(PERSON).has_transcript is False
    assert locations.for_hotline(PERSON) is None
    assert rows_mentioning(database.engine, SOMEONE_ELSE) and data.summary(SOMEONE_ELSE).has_transcript
    assert [(who, event["text"]) for who, event in stored_events(tracker_url)] == [(SOMEONE_ELSE, words)]
    tracker.dispose()


def test_an_unsent_message_is_blanked_in_the_transcript_and_nowhere_else(tracker_url, transcripts):
    add_events(
        tracker_url,
        [
            (PERSON, "user", user_event("they took my passport", "ref-1"), 1.0),
            (PERSON, "user", user_event("I am in Bangkok", "ref-2"), 2.0),
            (SOMEONE_ELSE, "user", user_event("someone else's words", "ref-1"), 3.0),
            (PERSON, "action", json.dumps({"event": "action", "name": "action_listen"}), 4.0),
        ],
    )
    assert transcripts.blank(PERSON, "ref-1") == 1
    events = stored_events(tracker_url)
    assert events[0][1]["text"] == ""
    assert events[0][1]["parse_data"] == {"text": "", "intent": {"name": "x"}, "entities": []}
    assert [event.get("text") for _, event in events[1:]] == ["I am in Bangkok", "someone else's words", None]


def test_transcripts_are_found_erased_and_purged_by_age(tracker_url, transcripts):
    add_events(
        tracker_url,
        [
            (PERSON, "user", user_event("hello", None), 100.0),
            (PERSON, "user", user_event("still here", None), 900.0),
            (SOMEONE_ELSE, "user", user_event("long ago", None), 100.0),
            ("conv-third", "user", user_event("hello", None), 900.0),
        ],
    )
    assert transcripts.has_events(PERSON) and not transcripts.has_events("conv-nobody")
    assert transcripts.erase_older_than(500.0) == 1  # only the conversation whose newest event is old
    assert not transcripts.has_events(SOMEONE_ELSE) and transcripts.has_events(PERSON)
    assert transcripts.erase(PERSON) == 2
    assert not transcripts.has_events(PERSON)
    assert [who for who, _ in stored_events(tracker_url)] == ["conv-third"]


def test_before_the_bot_has_kept_anything_there_is_nothing_to_change(transcripts):
    assert transcripts.has_events(PERSON) is False
    assert transcripts.blank(PERSON, "ref-1") == 0
    assert transcripts.erase(PERSON) == 0
    assert transcripts.erase_older_than(1e12) == 0
