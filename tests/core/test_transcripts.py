"""Blanking an unsent message in the bot's transcript (Rasa's `events` table)."""

import json

from sqlalchemy import create_engine, text

from core.records.transcripts import Transcripts

# The columns of Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent).
RASA_EVENTS = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
    "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
    "action_name VARCHAR(255), data TEXT)"
)


def user_event(text_: str, ref: str | None) -> str:
    metadata = {"language": "en", **({"message_ref": ref} if ref else {})}
    return json.dumps(
        {"event": "user", "text": text_, "metadata": metadata, "parse_data": {"text": text_, "intent": {"name": "x"}}}
    )


def test_only_the_unsent_message_of_that_conversation_is_blanked(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    rows = [
        ("c1", "user", user_event("they took my passport", "ref-1")),
        ("c1", "user", user_event("I am in Bangkok", "ref-2")),
        ("c2", "user", user_event("someone else's words", "ref-1")),
        ("c1", "action", json.dumps({"event": "action", "name": "action_listen"})),
    ]
    with engine.begin() as connection:
        connection.execute(text(RASA_EVENTS))
        for sender, kind, data in rows:
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, :k, :d)"),
                {"s": sender, "k": kind, "d": data},
            )
    transcripts = Transcripts(url)
    assert transcripts.blank("c1", "ref-1") == 1
    with engine.connect() as connection:
        stored = [json.loads(d) for (d,) in connection.execute(text("SELECT data FROM events ORDER BY id"))]
    assert stored[0]["text"] == "" and stored[0]["parse_data"]["text"] == ""
    assert stored[0]["parse_data"]["intent"] == {"name": "x"}  # the dialogue's history stays readable
    assert stored[1]["text"] == "I am in Bangkok"
    assert stored[2]["text"] == "someone else's words"
    transcripts.dispose()


def test_no_tracker_store_yet_means_nothing_to_blank(tmp_path):
    transcripts = Transcripts(f"sqlite:///{tmp_path / 'absent.db'}")
    assert transcripts.blank("c1", "ref-1") == 0
    transcripts.dispose()


def test_a_later_event_quoting_the_unsent_message_whole_is_blanked_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    unsent, kept = "I am 16 and they took my passport", "I am in Bangkok"
    triage_slot = {"event": "slot", "name": "triage",
                   "value": {"indicators": [{"evidence": {"text": unsent}}, {"evidence": {"text": kept}}]}}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text(RASA_EVENTS))
        for kind, data in (("user", user_event(unsent, "ref-1")), ("user", user_event(kept, "ref-2")),
                           ("slot", json.dumps(triage_slot))):  # fmt: skip
            connection.execute(
                text("INSERT INTO events (sender_id, type_name, data) VALUES ('c1', :k, :d)"), {"k": kind, "d": data}
            )
    assert Transcripts(url).blank("c1", "ref-1") == 2
    with engine.connect() as connection:
        stored = [d for (d,) in connection.execute(text("SELECT data FROM events ORDER BY id"))]
    assert all(unsent not in data for data in stored)
    assert kept in stored[1] and kept in stored[2]
