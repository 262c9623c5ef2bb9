"""Forget me deletes everything kept about a conversation, and nothing of anyone else's."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.locales import Catalog
from core.locations import SharedLocations
from core.messages import LocationContent
from core.records.db import Database
from core.records.models import Conversation
from core.records.transcripts import Transcripts
from tests.core.test_transcripts import RASA_EVENTS, user_event


def rows_mentioning(database_engine, value: str) -> list[str]:
    """Every table and column, in every table of a database, that holds `value` anywhere."""
    found = []
    with database_engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                found += [f"{table}.{column}" for column, cell in row.items() if value in str(cell)]
    return found


def test_forget_deletes_the_row_the_consents_the_location_and_the_transcript(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    transcripts = Transcripts(tracker_url)
    with transcripts._engine.begin() as connection:
        connection.execute(text(RASA_EVENTS))
        for sender in ("c1", "c1", "other"):
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', :d)"),
                {"s": sender, "d": user_event("they took my passport", None)},
            )
    locations, consents = SharedLocations(), ConsentLog(database, Catalog.load())
    data = PersonalData(database, transcripts, locations, consents)
    with database.session() as session:
        for conversation in ("c1", "other"):
            session.add(Conversation(id=conversation, channel="line", language="km", language_chosen=True))
        session.commit()
    for conversation in ("c1", "other"):
        consents.record(conversation, "location", True, "km")
        locations.consent(conversation)
        locations.receive(conversation, LocationContent(11.55, 104.92))
    kept = data.summary("c1")
    assert (
        kept.language == "km" and kept.has_transcript and kept.consents == ("location",) and kept.location_for_hotline
    )

    data.forget("c1")

    assert rows_mentioning(database.engine, "c1") == []
    assert rows_mentioning(transcripts._engine, "c1") == []
    assert locations.for_hotline("c1") is None and not locations.has_consent("c1")
    assert data.summary("c1").has_transcript is False and data.summary("c1").consents == ()
    # Someone else's data is untouched.
    assert rows_mentioning(database.engine, "other") and rows_mentioning(transcripts._engine, "other")
    assert locations.for_hotline("other") is not None
    with transcripts._engine.connect() as connection:
        texts = [json.loads(d)["text"] for (d,) in connection.execute(text("SELECT data FROM events"))]
    assert texts == ["they took my passport"]
    transcripts.dispose()
    database.dispose()
