"""Statements for the hottest paths, compiled once and, on SQLite, run straight on the driver's connection.

SQLAlchemy spends ~50 µs on each execution (parameter setup, events, result wrapping) where SQLite itself
takes ~5 µs. A `Prepared` statement keeps SQLAlchemy's SQL and its column types' own conversions (the
stored form of datetimes, JSON and fractions is exactly what the rest of the code reads and writes), and
skips the rest. On other databases it is an ordinary `conn.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any] | None


class _Compiled:
    def __init__(self, statement: Any, dialect: Dialect, column_keys: Sequence[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None, "a positional SQLite compile"
        self.sql = compiled.string
        self.names = list(compiled.positiontup)
        self.binds: list[Processor] = [
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        ]
        columns = list(getattr(statement, "selected_columns", ()))
        self.keys = [column.key for column in columns]
        self.results: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [
            params[name] if process is None else process(params[name])
            for name, process in zip(self.names, self.binds, strict=True)
        ]

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        return {
            key: value if process is None else process(value)
            for key, process, value in zip(self.keys, self.results, values, strict=True)
        }


class Prepared:
    """One statement; `column_keys` names the columns an INSERT or UPDATE sets (its parameters)."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._column_keys = column_keys
        self._compiled: tuple[Dialect, _Compiled] | None = None

    def _for(self, conn: Connection) -> _Compiled | None:
        """The SQLite compilation for this connection's dialect, or None off SQLite."""
        if conn.dialect.name != "sqlite":
            return None
        cached = self._compiled
        if cached is None or cached[0] is not conn.dialect:
            cached = (conn.dialect, _Compiled(self.statement, conn.dialect, self._column_keys))
            self._compiled = cached
        return cached[1]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Mapping[Any, Any] | None:
        """The first row as a mapping of column keys (labels) to values, or None."""
        compiled = self._for(conn)
        if compiled is None:
            return conn.execute(self.statement, dict(params)).mappings().first()
        values = _driver(conn).execute(compiled.sql, compiled.args(params)).fetchone()
        return None if values is None else compiled.row(values)

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Mapping[Any, Any]]:
        """Every row, each a mapping of column keys (labels) to values."""
        compiled = self._for(conn)
        if compiled is None:
            return list(conn.execute(self.statement, dict(params)).mappings())
        return [compiled.row(values) for values in _driver(conn).execute(compiled.sql, compiled.args(params))]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        compiled = self._for(conn)
        if compiled is None:
            conn.execute(self.statement, dict(params))
        else:
            _driver(conn).execute(compiled.sql, compiled.args(params))

    def insert(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT; the new row's integer primary key."""
        compiled = self._for(conn)
        if compiled is None:
            return int(conn.execute(self.statement, dict(params)).inserted_primary_key[0])  # type: ignore[index]
        return int(_driver(conn).execute(compiled.sql, compiled.args(params)).lastrowid)


def _driver(conn: Connection) -> Any:
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi
