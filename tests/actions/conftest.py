"""What the actions are built with, on a fresh SQLite database per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.locales import Catalog
from core.locations import SharedLocations
from core.records.db import Database
from core.records.models import Conversation
from core.records.transcripts import Transcripts


@dataclass
class Stores:
    """The app's stores the actions use, and the database behind them."""

    database: Database
    locations: SharedLocations
    consents: ConsentLog
    personal_data: PersonalData
    transcripts: Transcripts

    def open_conversation(self, conversation: str, language: str = "en") -> None:
        """Create the conversation's row, as the router does before it asks the bot."""
        with self.database.session() as session:
            session.add(Conversation(id=conversation, channel="webchat", language=language, language_chosen=True))
            session.commit()


@pytest.fixture()
def stores(tmp_path) -> Stores:
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    transcripts = Transcripts(f"sqlite:///{tmp_path / 'tracker.db'}")
    locations, consents = SharedLocations(), ConsentLog(database, Catalog.load())
    yield Stores(database, locations, consents, PersonalData(database, transcripts, locations, consents), transcripts)
    transcripts.dispose()
    database.dispose()
