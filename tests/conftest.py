"""Fixtures: real SQLite and real PostgreSQL stores, a fixed clock, seeded worlds."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from accord.bootstrap import Services, build_services
from accord.clock import FixedClock
from accord.storage.engine import make_engine
from accord.storage.migrate import upgrade
from accord.storage.schema import metadata
from tests.support import World

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("ACCORD_REQUIRE_POSTGRES") == "1"


def _pg_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A private PostgreSQL database for this test session (created here, dropped at the end)."""
    problem = _pg_available()
    if problem is not None:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {problem}"
        if REQUIRE_PG:
            pytest.fail(message + " (ACCORD_REQUIRE_POSTGRES=1 makes PostgreSQL tests mandatory)")
        pytest.skip(message)
    name = f"accord_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "accord.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated store: SQLite, then the same test on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "accord.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_server_url")
    _truncate(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated SQLite store only (for face tests that need not run twice)."""
    path = tmp_path / "accord.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def services(store_url: str, clock: FixedClock) -> Iterator[Services]:
    s = build_services(store_url, clock)
    yield s
    s.close()


@pytest.fixture
def world(services: Services) -> World:
    return World(services)
