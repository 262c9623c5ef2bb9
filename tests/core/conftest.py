"""A real `Handoffs` on a fresh SQLite database, with the bot and the channels recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from core.bus import Bus
from core.case_records import CaseRecords
from core.consent import ConsentLog
from core.crypto import Sealer
from core.directory import Directory
from core.handoff import Handoffs
from core.handover import Handover
from core.locales import Catalog
from core.locations import SharedLocations
from core.messages import Outbound, Replies
from core.outbox import Outbox
from core.records.db import Database
from core.records.models import Conversation, Operator
from core.teams import Teams
from tests.records.conftest import database_url, databases  # noqa: F401  (fixtures: SQLite, then PostgreSQL)
from triage import cues


class RecordingBot:
    """The bot's API as the handoff uses it: messages, resumes and triage, recorded."""

    def __init__(self) -> None:
        self.resumed: list[str] = []
        self.sent: list[tuple[str, str, dict]] = []
        self.triage_slot: dict | None = None

    async def send(self, conversation_id: str, message: str, metadata: dict) -> list[Outbound]:
        self.sent.append((conversation_id, message, metadata))
        return [Outbound.keys("thanks.welcome")]

    async def resume(self, conversation_id: str) -> None:
        self.resumed.append(conversation_id)

    async def triage(self, conversation_id: str) -> dict | None:
        return self.triage_slot


@dataclass
class HandoffKit:
    """Everything a handoff test looks at."""

    database: Database
    handoffs: Handoffs
    bot: RecordingBot
    bus: Bus
    consents: ConsentLog
    catalog: Catalog
    locations: SharedLocations
    case_records: CaseRecords
    delivered: list[tuple[str, str, Replies]] = field(default_factory=list)
    on_duty: set[str] = field(default_factory=set)

    def texts_to(self, address: str) -> list[str]:
        """Every text sent to `address`, in order."""
        return [m.text for _, to, replies in self.delivered if to == address for m in replies.messages]

    def add_conversation(self, key: str = "conv-1", language: str = "th") -> str:
        """A conversation's row, as the router makes it before a case opens."""
        with self.database.session() as session:
            session.add(Conversation(id=key, channel="line", language=language, language_chosen=True))
            session.commit()
        return key

    def add_operator(self, username: str, teams: list[str], role: str = "operator") -> int:
        """An operator row (the console's accounts are tested on their own)."""
        with self.database.session() as session:
            row = Operator(username=username, display_name=username.title(), password_hash="-", role=role, teams=teams)
            session.add(row)
            session.commit()
            return row.id


def open_kit(url: str) -> HandoffKit:
    """A migrated database at `url` with a `Handoffs` on it (dispose `kit.database` after)."""
    database = Database(url)
    database.migrate()
    catalog = Catalog.load()
    bus, outbox, bot = Bus(), Outbox(), RecordingBot()
    consents = ConsentLog(database, catalog)
    locations, case_records = SharedLocations(), CaseRecords(database, consents)
    kit = HandoffKit(database, None, bot, bus, consents, catalog, locations, case_records)  # type: ignore[arg-type]
    teams, directory = Teams.load(), Directory.load()

    async def record(inbound, replies: Replies) -> None:
        kit.delivered.append((inbound.channel, inbound.channel_user, replies))

    for channel in ("line", "telegram", "webchat"):
        outbox.register(channel, record)
    kit.handoffs = Handoffs(
        database=database,
        sealer=Sealer("test-key"),
        teams=teams,
        bus=bus,
        outbox=outbox,
        catalog=catalog,
        directory=directory,
        bot=bot,  # type: ignore[arg-type]
        consents=consents,
        handover=Handover(consents, directory, teams, locations, record_days=90),
        case_records=case_records,
        someone_on_duty=lambda team: team in kit.on_duty,
        safety_cues=cues.load_all().values(),
        claim_timeout_seconds=120,
    )
    return kit


@pytest.fixture()
def kit(database_url):  # noqa: F811  (the imported fixture)
    """A handoff kit on SQLite, then on PostgreSQL."""
    kit = open_kit(database_url)
    yield kit
    kit.database.dispose()


@pytest.fixture()
def handoff_kit(tmp_path):
    """A handoff kit on SQLite."""
    kit = open_kit(f"sqlite:///{tmp_path / 'saphan.db'}")
    yield kit
    kit.database.dispose()
