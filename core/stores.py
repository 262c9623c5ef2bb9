"""Everything the app keeps, opened together from the settings: one way to build them.

The app factory and the launcher's one-shot commands (`./saphan purge`) both use `open_stores`,
so a store is never wired two ways.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.crypto import Sealer
from core.data_rights import PersonalData
from core.inbox import Inbox
from core.locales import Catalog
from core.locations import SharedLocations
from core.records.db import Database
from core.records.transcripts import Transcripts
from core.redis_link import RedisLink, SharedValues
from core.retention import Retention
from core.settings import Settings
from core.training import TrainingChats


@dataclass(frozen=True)
class Stores:
    """The app's database, the bot's transcripts and what is built on them."""

    database: Database
    link: RedisLink | None
    transcripts: Transcripts
    locations: SharedLocations
    consents: ConsentLog
    personal_data: PersonalData
    inbox: Inbox
    case_records: CaseRecords
    training: TrainingChats
    retention: Retention

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.transcripts.dispose()
        self.database.dispose()


def open_stores(settings: Settings, catalog: Catalog) -> Stores:
    """The stores for `settings` (nothing is connected until first use)."""
    database = Database(settings.resolved_database_url())
    sealer = Sealer(settings.encryption_key.get_secret_value())
    link = RedisLink(settings.redis_url, sealer) if settings.redis_url else None
    transcripts = Transcripts(settings.resolved_tracker_store_url())
    locations = SharedLocations(SharedValues(link, settings.retention_days * 24 * 3600))
    consents = ConsentLog(database, catalog)
    personal_data = PersonalData(database, transcripts, locations, consents)
    inbox = Inbox(database, sealer, settings.instance)
    case_records = CaseRecords(database, consents)
    training = TrainingChats(database, personal_data, settings.secret_key.get_secret_value())
    retention = Retention(database, transcripts, personal_data, inbox, case_records, training)
    return Stores(
        database, link, transcripts, locations, consents, personal_data, inbox, case_records, training, retention
    )
