"""The production profile for a local trial: PostgreSQL and Redis on this machine.

`./saphan run --production` runs several bot and app processes on PostgreSQL (the app's records
and Rasa's tracker store, in two databases) and Redis (Rasa's lock store, the app's notices and
shared values). Settings already given (`SAPHAN_DATABASE_URL`, `SAPHAN_TRACKER_STORE_URL`,
`SAPHAN_REDIS_URL`) are kept; the others default to the servers on this machine, and missing
databases are created. On real servers, see docs/deployment.md.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.records.db import with_postgresql_driver
from core.settings import Settings

LOCAL_POSTGRESQL = "postgresql://postgres@127.0.0.1:5432"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def trial_settings(settings: Settings) -> Settings:
    """`settings` with PostgreSQL and Redis filled in where unset, their databases created.

    Raises:
        SystemExit: a database is not PostgreSQL, or the server does not answer (says which).
    """
    filled = settings.model_copy(
        update={
            "database_url": settings.database_url or f"{LOCAL_POSTGRESQL}/saphan",
            "tracker_store_url": settings.tracker_store_url or f"{LOCAL_POSTGRESQL}/saphan_tracker",
            "redis_url": settings.redis_url or LOCAL_REDIS,
        }
    )
    for url in (filled.database_url, filled.tracker_store_url):
        ensure_postgresql_database(url)
    return filled


def ensure_postgresql_database(url: str) -> None:
    """Create the PostgreSQL database `url` names, unless it exists.

    Raises:
        SystemExit: the URL is not PostgreSQL's, or its server does not answer.
    """
    target = make_url(with_postgresql_driver(url, "psycopg"))
    if target.get_backend_name() != "postgresql":
        raise SystemExit(f"saphan: the production profile needs PostgreSQL, not {target.get_backend_name()}")
    if not re.fullmatch(r"[A-Za-z0-9_]+", target.database or ""):
        raise SystemExit("saphan: a database name may have only letters, digits and _")
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if found.first() is None:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except Exception as error:  # the driver's own error types; the person needs to know which server
        raise SystemExit(f"saphan: PostgreSQL at {target.host}:{target.port} is not reachable ({type(error).__name__})")
    finally:
        server.dispose()
