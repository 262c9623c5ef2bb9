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

# The PostgreSQL advisory lock that migrations hold (any number only Saphan uses).
MIGRATION_LOCK = 7_243_001


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
        """True when the database answers a trivial query (see `health` for writes)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not reachable" for health
            return False

    def health(self) -> str:
        """ "ok" when the database answers and takes writes, "read-only" when it answers but
        refuses a write (read-only, or its disk is full), "down" when it does not answer."""
        if not self.ping():
            return "down"
        try:
            with self.engine.begin() as connection:  # the migration made the row
                connection.execute(text("UPDATE health_probe SET written_at = CURRENT_TIMESTAMP WHERE id = 1"))
            return "ok"
        except Exception:  # any driver error on the write means "no writes" for health
            return "read-only"

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config(str(ROOT / "alembic.ini"))
        config.set_main_option("script_location", str(ROOT / "migrations"))
        config.attributes["url"] = self.url
        if self.engine.dialect.name != "postgresql":
            command.upgrade(config, "head")
            return
        # Several app processes start at once on one PostgreSQL: one migrates, the others wait.
        with self.engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                command.upgrade(config, "head")
            finally:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})

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
