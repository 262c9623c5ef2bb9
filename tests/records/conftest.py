"""Fresh databases for the storage tests: a SQLite file, or a new database on PostgreSQL.

Every storage test runs on both. PostgreSQL is the server on 127.0.0.1:5432 (user `postgres`,
trust auth), which `.ci/run` starts when it is down. Each test gets its own uniquely named
databases, dropped afterwards. An unreachable server fails the PostgreSQL case; it is never
skipped, so a green run means both databases were tested.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRESQL_SERVER = "postgresql://postgres@127.0.0.1:5432"
START_POSTGRESQL = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A new, empty, uniquely named PostgreSQL database: yields its URL, then drops it."""
    name = f"saphan_test_{secrets.token_hex(8)}"
    server = create_engine(
        f"{POSTGRESQL_SERVER}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    refused = _create_database(server, name)
    if refused:
        server.dispose()
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRESQL_SERVER} ({refused}). "
            f"Start it with `{START_POSTGRESQL}` (.ci/run does this).",
            pytrace=False,
        )
    try:
        yield f"{POSTGRESQL_SERVER}/{name}"
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        server.dispose()


def _create_database(server: Engine, name: str) -> str:
    """Create database `name`; the driver's reason when the server cannot be reached, else ""."""
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        return str(error.orig).strip()
    return ""


class FreshDatabases:
    """Makes new, empty databases of one kind for one test."""

    def __init__(self, kind: str, directory: Path, cleanup: ExitStack) -> None:
        self.kind = kind
        self._directory = directory
        self._cleanup = cleanup

    def new(self) -> str:
        """The URL of a new, empty database (removed when the test ends)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self._directory / secrets.token_hex(8)}.db"
        return self._cleanup.enter_context(postgresql_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FreshDatabases]:
    """Fresh databases on SQLite, then on PostgreSQL: every test using it runs on both."""
    with ExitStack() as cleanup:
        yield FreshDatabases(request.param, tmp_path, cleanup)


@pytest.fixture
def database_url(databases: FreshDatabases) -> str:
    """The URL of a fresh database for the app's records, on SQLite and on PostgreSQL."""
    return databases.new()


@pytest.fixture
def tracker_url(databases: FreshDatabases) -> str:
    """The URL of a fresh database for Rasa's tracker store, of the same kind as `database_url`."""
    return databases.new()
