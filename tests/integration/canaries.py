"""Canary values for the privacy test, new on every run, and the searches that look for them.

A canary is a value nobody else would write: a text, a phone number, a name and a passport
number inside messages, the platforms' ids of a person, a web chat session token, and a place.
Finding one where it must not be (a log line, a database cell) is a leak; each finding names
the canary by its label and says exactly where it was found.
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, text

# What a search looks for: a label (for the report) → the exact value.
Needles = Mapping[str, str]


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def _letters(count: int) -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(count))


def _coordinate(whole: int) -> float:
    """`whole` with six random decimals, the last one not 0 (so it is written with all six)."""
    return float(f"{whole}.{_digits(5)}{secrets.choice('123456789')}")


@dataclass(frozen=True)
class Canaries:
    """One run's canary values."""

    text: str  # a word inside messages
    phone: str  # a Thai mobile number, as people type it
    name: str  # a person's name (the surname is the canary)
    surname: str
    passport: str  # a passport number
    unsent: str  # only in the LINE message that is taken back
    forgotten: str  # only in the web chat conversation that is forgotten
    line_tag: str  # the LINE user id is "U" + tag; the test's reply tokens and event ids carry it too
    telegram_chat: int  # the Telegram person's chat (and user) id
    telegram_group: int  # a Telegram group's chat id (negative, as Telegram's are)
    latitude: float
    longitude: float

    @classmethod
    def new(cls) -> Canaries:
        """Fresh canaries, different on every run."""
        surname = _letters(9).capitalize()
        return cls(
            text=f"CANARY-{uuid.uuid4().hex}",
            phone=f"08{_digits(8)}",
            name=f"Malai {surname}",
            surname=surname,
            passport=f"MA{_digits(7)}",
            unsent=f"CANARY-UNSENT-{uuid.uuid4().hex}",
            forgotten=f"CANARY-FORGOTTEN-{uuid.uuid4().hex}",
            line_tag=uuid.uuid4().hex,
            telegram_chat=7_000_000_000 + secrets.randbelow(999_999_999),
            telegram_group=-(4_000_000_000 + secrets.randbelow(999_999_999)),
            latitude=_coordinate(13),
            longitude=_coordinate(100),
        )

    @property
    def line_user(self) -> str:
        """The LINE user id, shaped as LINE's are."""
        return f"U{self.line_tag}"

    def contents(self) -> dict[str, str]:
        """What people wrote: allowed in the bot's transcript only."""
        return {
            "message text": self.text,
            "phone number": self.phone,
            "name": self.surname,
            "passport number": self.passport,
            "unsent message text": self.unsent,
            "forgotten message text": self.forgotten,
        }

    def identities(self, webchat_sessions: Iterable[str]) -> dict[str, str]:
        """Who and where people are: allowed nowhere, not even in the bot's transcript.

        Coordinates are searched as written with their six decimals.
        """
        found = {
            "LINE user id": self.line_tag,
            "Telegram chat id": str(self.telegram_chat),
            "Telegram group id": str(abs(self.telegram_group)),
            "latitude": f"{self.latitude:.6f}",
            "longitude": f"{self.longitude:.6f}",
        }
        found.update({f"web chat session token {n}": token for n, token in enumerate(webchat_sessions, start=1)})
        return found


def lines_containing(paths: Iterable[Path], needles: Needles) -> list[str]:
    """Every line of the files `paths` holding a needle: "file:line [label] the line"."""
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            found += [f"{path.name}:{number} [{label}] {line}" for label, value in needles.items() if value in line]
    return found


def _cells(connection: Connection) -> Iterator[tuple[str, str, str]]:
    """Every cell of every table: "table.column", "row <id>" (if the table has ids), the value as text."""
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
            where = f"row {row['id']}" if "id" in row else ""
            for column, cell in row.items():
                yield f"{table}.{column}", where, str(cell)


def cells_containing(database_url: str, needles: Needles) -> list[str]:
    """Every cell, in every table and column of a database, holding a needle:
    "table.column [label] row <id>"."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [
                f"{place} [{label}] {where}".rstrip()
                for place, where, cell in _cells(connection)
                for label, value in needles.items()
                if value in cell
            ]
    finally:
        engine.dispose()


def files_holding(paths: Iterable[Path], needles: Needles) -> list[str]:
    """The files among `paths` whose bytes hold a needle (also in deleted rows SQLite has not
    overwritten yet): "file [label]"."""
    found = []
    for path in paths:
        raw = path.read_bytes()
        found += [f"{path.name} [{label}]" for label, value in needles.items() if value.encode() in raw]
    return found
