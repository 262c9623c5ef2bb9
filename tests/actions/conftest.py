"""What the actions are built with, on a fresh SQLite database per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.data_rights import PersonalData
from core.directory import Directory
from core.handover import Handover
from core.locales import Catalog
from core.locations import SharedLocations
from core.records.db import Database
from core.records.models import Conversation
from core.records.transcripts import Transcripts
from core.teams import Teams


@dataclass
class Stores:
    """The app's stores the actions use, and the database behind them."""

    database: Database
    locations: SharedLocations
    consents: ConsentLog
    personal_data: PersonalData
    transcripts: Transcripts
    handover: Handover
    case_records: CaseRecords

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
    handover = Handover(consents, Directory.load(), Teams.load(), locations, record_days=90)
    personal_data = PersonalData(database, transcripts, locations, consents)
    yield Stores(database, locations, consents, personal_data, transcripts, handover, CaseRecords(database, consents))
    transcripts.dispose()
    database.dispose()
