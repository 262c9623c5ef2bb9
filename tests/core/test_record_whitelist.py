"""Nothing is stored that is not on the record whitelist (DO_NO_HARM.md §2.6, DNH-33).

Every column of every table the app creates is listed here with why it may be kept. A new
column fails this test until it is added here, on purpose, with its reason.
"""

from sqlalchemy import inspect

from core.records.db import Database

WHITELIST = {
    "conversations": {
        "id": "pseudonymous conversation id (an HMAC; the channel's user id is never stored)",
        "channel": "the channel kind (line, telegram, webchat), for rendering",
        "language": "the language of the chat (on the minimal record)",
        "language_chosen": "whether the person chose the language",
        "created_at": "for retention",
        "last_active_at": "for retention",
        "closed_at": "the person blocked the chat: nothing more may be sent",
    },
    "consent_decisions": {
        "id": "row id",
        "conversation_id": "whose decision (pseudonymous)",
        "kind": "which consent",
        "granted": "yes or no",
        "text_key": "the question asked (consent log)",
        "text_version": "the question's version (consent log)",
        "language": "the language it was shown in (consent log)",
        "decided_at": "when (consent log)",
    },
    "channel_events": {
        "channel": "the channel kind",
        "event_hash": "a hash of the platform's event id, to process a redelivery once",
        "received_at": "to forget it after a week",
    },
    "alembic_version": {"version_num": "the schema's version"},
}


def test_every_stored_column_is_on_the_whitelist(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    inspector = inspect(database.engine)
    stored = {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names()}
    database.dispose()
    assert stored == {table: set(columns) for table, columns in WHITELIST.items()}
