"""Engines for SQLite (WAL, foreign keys, busy timeout, immediate writes) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, make_url

from accord.domain.errors import NoStoreError, UnavailableError

BUSY_TIMEOUT_MS = 30_000
VERSION_TABLE = "alembic_version"  # Alembic's own table: present with a row once `accord init` has run


def normalize_url(raw: str) -> URL:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs; everything else as given."""
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_path(url: URL) -> Path | None:
    """The absolute file of a SQLite URL (None for an in-memory database)."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().absolute()


def display_url(raw: str) -> str:
    """The store's URL as people should read it: a SQLite file as an absolute path, passwords hidden."""
    try:
        url = make_url(raw)
    except Exception:  # an unparsable URL is shown as given (create_engine will say what is wrong)
        return raw
    path = sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path}"
    return url.render_as_string(hide_password=True)


def make_engine(raw_url: str, *, create: bool = True) -> Engine:
    """An engine for `raw_url`, configured so every rule holds across processes sharing the store.

    With `create=False` a SQLite file is opened in a mode that cannot create it (nor its folder): a store that
    vanishes after `open_store` checked it makes the next statement fail instead of leaving an empty file."""
    url = normalize_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, create=create)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=40)


def open_store(raw_url: str) -> Engine:
    """An engine on the initialised store at `raw_url`, creating nothing.

    Raises NoStoreError ("no Accord store at <url>: run `accord init` first ...") when no store is there: a
    SQLite file or folder that does not exist, a file (or PostgreSQL database) without Accord's schema; and
    UnavailableError when the store cannot be read (a file that is not a database, a server that is down)."""
    url = normalize_url(raw_url)
    missing = NoStoreError(
        f"no Accord store at {display_url(raw_url)}: run `accord init` first (or set ACCORD_DATABASE_URL)",
        url=display_url(raw_url),
    )
    path = sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        if path is not None and not _sqlite_has_store(path, display_url(raw_url)):
            raise missing
        return make_engine(raw_url, create=False)
    engine = make_engine(raw_url)
    try:
        with engine.connect() as conn:
            found = _has_version(conn)
    except Exception:
        engine.dispose()
        raise
    if not found:
        engine.dispose()
        raise missing
    return engine


def _has_version(conn: Connection) -> bool:
    if not inspect(conn).has_table(VERSION_TABLE):
        return False
    return bool(conn.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar_one() > 0)


def _sqlite_has_store(path: Path, shown: str) -> bool:
    """Whether `path` holds an initialised store, read without creating or changing anything."""
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
            ).fetchone()
            return found is not None and conn.execute(f"SELECT count(*) FROM {VERSION_TABLE}").fetchone()[0] > 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise UnavailableError(f"the store at {shown} cannot be read: {exc}", url=shown) from None


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = sqlite_path(url)
    connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    options: dict[str, Any] = {"connect_args": connect_args, "pool_size": 20}
    if path is not None and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path is not None:
        # mode=rw: SQLite opens the file only if it exists (never creates it); the URI quotes any odd character.
        uri = f"{path.as_uri()}?mode=rw"
        options["creator"] = lambda: sqlite3.connect(uri, uri=True, **connect_args)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE is ours to issue.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers (UnitOfWork(write=True), migrations) ask for IMMEDIATE: they take the lock up front so two
        # transactions never both read-then-write (no lost updates). Plain reads stay DEFERRED.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine
