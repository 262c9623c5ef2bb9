"""The database: one engine per process, one session per unit of work, schema by Alembic.

The app's records live in SQLite by default and in PostgreSQL when the URL names it; the app
reaches PostgreSQL through psycopg 3, whichever driver (or `postgres://` shorthand) the URL names.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from core.settings import ROOT


class Database:
    """An engine and its session factory for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = with_postgresql_driver(url, "psycopg")
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not reachable" for health
            return False

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
        config.attributes["url"] = self.url
        command.upgrade(config, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def with_postgresql_driver(url: str, driver: str) -> str:
    """`url` with PostgreSQL reached through `driver`; any other database's URL as it is.

    The app has psycopg 3 (`psycopg`) and Rasa's SQLAlchemy 1.4 has psycopg2 (`psycopg2`), so
    one PostgreSQL URL, in any spelling, serves both.

    Raises:
        sqlalchemy.exc.ArgumentError: `url` is not a database URL.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
