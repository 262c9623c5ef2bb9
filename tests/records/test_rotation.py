"""Key rotation re-encrypts every sealed field with the new key, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.crypto import Sealer, UnreadableField
from core.records.db import Database
from core.records.models import Conversation, Handoff, HandoffMessage, utcnow
from core.records.rotation import rotate


def test_after_rotation_only_the_new_key_is_needed_and_a_foreign_field_changes_nothing(database_url):
    database = Database(database_url)
    database.migrate()
    old = Sealer("old-key")
    with database.session() as session:
        session.add(Conversation(id="c1", channel="line", language="th", language_chosen=True))
        session.add(Handoff(id="h1", conversation_id="c1", channel="line", address=old.seal("U123"), language="th",
                            risk="high", urgent=False, families=[], triage=old.seal('{"risk": "high"}'),
                            reason="person", team="th-1300", state="queued", requested_at=utcnow()))  # fmt: skip
        session.add(HandoffMessage(handoff_id="h1", author="person", text=old.seal("they took my passport")))
        session.commit()

    assert rotate(database, Sealer("new-key,old-key")) == 3
    new_only = Sealer("new-key")
    with database.session() as session:
        row = session.get(Handoff, "h1")
        assert new_only.open(row.address) == "U123" and new_only.open(row.triage) == '{"risk": "high"}'
        assert new_only.open(session.scalar(select(HandoffMessage.text))) == "they took my passport"

    with pytest.raises(UnreadableField):
        rotate(database, Sealer("another-key"))  # the fields are unreadable with it: nothing changes
    with database.session() as session:
        assert new_only.open(session.get(Handoff, "h1").address) == "U123"
    database.dispose()
