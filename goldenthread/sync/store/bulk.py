"""Upserts: the store's one INSERT … ON CONFLICT implementation, through the driver's own
executemany (every upsert of the store, the sync's hot path included, goes through `save_rows`).

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


@lru_cache(maxsize=64)
def _statement(
    table: Table, dialect: Dialect, columns: tuple[str, ...], keys: tuple[str, ...],
    update_cols: tuple[str, ...], keep_cols: tuple[str, ...],
) -> tuple[str, tuple[Processor, ...]]:
    """(SQL, one bind processor per column) for an INSERT … ON CONFLICT upsert of `columns`."""
    pg = dialect.name == "postgresql"
    cols = [table.c[name] for name in columns]
    marks = []
    for c in cols:
        # psycopg sends str as text; a json column needs the explicit cast SQLAlchemy would render
        marks.append(("%s::json" if isinstance(c.type, JSON) else "%s") if pg else "?")
    conflict = ", ".join(keys)
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    sets = [f"{quote(c)} = excluded.{quote(c)}" for c in update_cols]
    # keep_cols: a value already stored wins (e.g. the first time a page was marked dirty)
    sets += [f"{quote(c)} = COALESCE({target}.{quote(c)}, excluded.{quote(c)})" for c in keep_cols]
    action = "DO UPDATE SET " + ", ".join(sets) if sets else "DO NOTHING"
    quoted = ", ".join(quote(n) for n in columns)
    sql = (f"INSERT INTO {target} ({quoted}) "
           f"VALUES ({', '.join(marks)}) ON CONFLICT ({conflict}) {action}")
    procs = tuple(
        format_json if isinstance(c.type, JSON)
        else format_sqlite_datetime if not pg and isinstance(c.type, DateTime)
        else c.type.dialect_impl(dialect).bind_processor(dialect)
        for c in cols
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
    conn: Connection, table: Table, rows: Iterable[Sequence[Any]], *, keys: Sequence[str],
    update_cols: Sequence[str], keep_cols: Sequence[str] = (), columns: Sequence[str] | None = None,
) -> int:
    """Upsert `rows`, tuples in the order of `columns` (default: every column of the table);
    on a conflict on `keys` the row's `update_cols` are overwritten and its `keep_cols` only
    filled when NULL (neither: the stored row is left alone). Returns how many were sent.
    Columns left out get their server default or NULL (no Python-side defaults: pass them)."""
    names = tuple(c.name for c in table.columns) if columns is None else tuple(columns)
    sql, procs = _statement(table, conn.dialect, names, tuple(keys), tuple(update_cols), tuple(keep_cols))
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
