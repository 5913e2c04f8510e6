"""Bulk upserts through the driver's own executemany, for the sync's hot path.

Why not `conn.execute(insert(...), rows)`: for a full sync (20k issues, 120k status changes)
SQLAlchemy's per-row parameter processing cost more CPU than SQLite's own work. Here the SQL is
rendered once per table and dialect, each row is a plain tuple, and the values still go through
SQLAlchemy's own bind processors for the column types (so a DATETIME or JSON value is stored
exactly as the ORM path would store it and reads back the same).

Tests: tests/sync/store/test_core.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, DateTime, Table
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=32)
def _statement(table: Table, dialect: Dialect, keys: tuple[str, ...], update_cols: tuple[str, ...]) -> tuple[str, tuple[Processor, ...]]:
    """(SQL, one bind processor per column) for an INSERT … ON CONFLICT upsert of every column."""
    names = [c.name for c in table.columns]
    pg = dialect.name == "postgresql"
    marks = []
    for c in table.columns:
        # psycopg sends str as text; a json column needs the explicit cast SQLAlchemy would render
        marks.append(("%s::json" if isinstance(c.type, JSON) else "%s") if pg else "?")
    conflict = ", ".join(keys)
    if update_cols:
        action = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update_cols)
    else:
        action = "DO NOTHING"
    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({quoted}) "
           f"VALUES ({', '.join(marks)}) ON CONFLICT ({conflict}) {action}")
    procs = tuple(
        format_json if isinstance(c.type, JSON)
        else format_sqlite_datetime if not pg and isinstance(c.type, DateTime)
        else c.type.dialect_impl(dialect).bind_processor(dialect)
        for c in table.columns
    )
    return sql, procs


def format_json(value: Any) -> str | None:
    """JSON text for a JSON column (the stdlib encoder was a fifth of the write time). Readers
    decode it, so its spacing differs harmlessly from SQLAlchemy's json.dumps."""
    return None if value is None else orjson.dumps(value).decode()


def format_sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage format ("2026-07-13 03:30:19.000000", the zone
    dropped) in one C call: its own processor was a tenth of a full sync's CPU. The store's
    datetimes are UTC. tests/sync/store/test_core.py checks both agree."""
    return None if value is None else value.isoformat(" ", "microseconds")[:26]


def save_rows(
    conn: Connection, table: Table, rows: Iterable[Sequence[Any]], *, keys: Sequence[str], update_cols: Sequence[str],
) -> int:
    """Upsert `rows` (tuples in the table's column order); returns how many were sent."""
    sql, procs = _statement(table, conn.dialect, tuple(keys), tuple(update_cols))
    active = [(i, p) for i, p in enumerate(procs) if p is not None]
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        if active:
            values = list(row)
            for i, p in active:
                values[i] = p(values[i])
            batch.append(tuple(values))
        else:
            batch.append(tuple(row))
    if batch:
        conn.exec_driver_sql(sql, batch)
    return len(batch)
