"""Alembic environment: runs Saphan's migrations against the URL the caller sets."""

from alembic import context
from sqlalchemy import create_engine

from core.records.models import Base

url = context.config.attributes.get("url") or context.config.get_main_option("sqlalchemy.url")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
