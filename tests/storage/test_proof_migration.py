"""Migration 0008_proof on a store that already has events: chained in place, ids kept, a key made."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Engine, column, insert, select, table, text

from accord.bootstrap import build_services
from accord.proof import chain
from accord.storage import tables as t
from accord.storage.engine import make_engine
from accord.storage.migrate import alembic_config
from accord.storage.proof_tables import signing_keys
from accord.storage.types import UTCDateTime
from tests.conftest import PG_ADMIN_URL
from tests.support import World

AT = datetime(2025, 6, 1, 9, 30, 0, 250000, tzinfo=UTC)
OLD_EVENTS = table(  # the events table as it was before 0008_proof
    "events", column("id"), column("at", UTCDateTime()), column("type"), column("actor"), column("data", JSON())
)


def migrate(engine: Engine, target: str) -> None:
    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, target)
        conn.commit()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store with no tables at all (a database of its own on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    request.getfixturevalue("pg_server_url")  # skips (or fails) when PostgreSQL is absent
    name = f"accord_mig_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_existing_events_are_chained_and_new_ones_follow(empty_url: str) -> None:
    engine = make_engine(empty_url)
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    for head in heads:
        if head != "0008_proof":
            migrate(engine, head)
    migrate(engine, "0005_group_policy")
    with engine.begin() as conn:  # the old sequence left a gap (3, 4 were rolled back)
        for event_id, data in [(1, {"name": "admin"}), (2, {"n": 2**60}), (5, {"vote": "yes", "w": 0.7})]:
            conn.execute(insert(OLD_EVENTS).values(id=event_id, at=AT, type="legacy", actor="admin", data=data))
    migrate(engine, "heads")
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(t.events).order_by(t.events.c.id)).mappings()]
        keys = conn.execute(select(signing_keys)).mappings().all()
        if engine.dialect.name == "postgresql":
            default = conn.execute(
                text(
                    "SELECT column_default FROM information_schema.columns"
                    " WHERE table_name = 'events' AND column_name = 'id'"
                )
            ).scalar_one()
            assert default is None  # ids come from the chain's lock, never from a sequence
    assert [(r["id"], r["prev_id"]) for r in rows] == [(1, None), (2, 1), (5, 2)]
    assert rows[1]["data"] == {"n": str(2**60)}  # no canonical form: kept as text so it can be chained
    assert chain.verify(rows).ok
    assert len(keys) == 1 and keys[0]["private_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    engine.dispose()

    services = build_services(empty_url)
    try:
        world = World(services)  # init adds its own event after the legacy ones
        result = world.api("admin").audit_verify()
        assert result["ok"] and result["head"]["id"] == 6 and result["verified"] == 4
        assert len(world.api("admin").show_keys()["keys"]) == 1  # init kept the migration's key
    finally:
        services.close()
