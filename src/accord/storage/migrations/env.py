"""Alembic environment: runs against the connection or URL that accord.storage.migrate hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from accord.storage.engine import make_engine
from accord.storage.schema import metadata

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///./accord.db")
    with engine.connect() as conn:
        run(conn)
