"""The record reads of the store (`Store.load_issues`, `load_status_changes`): statements
built with SQLAlchemy Core (their filters and orders are the caller's), run on the engine's
plain DBAPI connection and read column by column like the report tables (`store.reads`), and
the bridge that runs `store.reads` on an engine.

Tests: tests/sync/store/test_tables.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Engine, String, select, type_coerce

from goldenthread.mappings.records import StatusChange
from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store import reads
from goldenthread.sync.store import schema as t
from goldenthread.sync.store.reads import CHANGE_COLUMNS, decode_json_column

T = TypeVar("T")


@contextmanager
def dbapi_connection(engine: Engine) -> Iterator[Any]:
    """The engine's DBAPI connection (sqlite3 / psycopg), checked out of its pool for the block."""
    with engine.connect() as conn:
        yield conn.connection.dbapi_connection


def run_read(engine: Engine, read: Callable[[Any], T]) -> T:
    """One of `store.reads` on the engine: the same SQL the SQLAlchemy-free path runs."""
    with dbapi_connection(engine) as conn:
        return read(conn)


def fetch_columns(engine: Engine, stmt: Any, width: int) -> list[tuple[Any, ...]]:
    """The result of the Core statement `stmt` as one tuple per column (plain DBAPI values)."""
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with dbapi_connection(engine) as conn:
        return reads.fetch_columns(conn, sql, width)


def load_issue_rows(engine: Engine, where: Any, order_by: Sequence[Any]) -> list[dict[str, Any]]:
    """Every column of the `issues` rows matching `where`, one dict per row, from plain DBAPI
    tuples with each JSON column decoded at once (`decode_json_column`); timestamps stay as the
    driver returns them (`mappings.values.parse_datetime` reads both kinds). Through SQLAlchemy Rows and its
    per-value JSON and DateTime processing, 100k issues took 3.3-4.8 s; now ~2.9 s, most of it
    building the frozen `Issue` records."""
    names = [col.name for col in t.issues.columns]
    stmt = select(*[_raw_ts(t.issues.c[n]) for n in names]).where(where).order_by(*order_by)
    values = fetch_columns(engine, stmt, len(names))
    columns = [decode_json_column(v) if isinstance(t.issues.c[n].type, JSON) else v
               for n, v in zip(names, values, strict=True)]  # fmt: skip
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def load_status_change_records(engine: Engine, where: Any, order_by: Sequence[Any]) -> list[StatusChange]:
    """`StatusChange` records from plain DBAPI tuples (see `fetch_columns`): 543k changes took
    8 s through SQLAlchemy Rows and its per-value DateTime processing, most of a 100k-issue
    publish."""
    sc = t.status_changes
    stmt = select(*[_raw_ts(sc.c[n]) for n in CHANGE_COLUMNS]).where(where).order_by(*order_by)
    keys, ids, ats, froms, tos, authors = fetch_columns(engine, stmt, len(CHANGE_COLUMNS))
    return list(map(StatusChange, keys, ids, map(parse_datetime, ats), froms, tos, authors))


def _raw_ts(col: Any) -> Any:
    # SQLite keeps timestamps as text and SQLAlchemy would parse each one in Python; reading
    # the text lets the whole column be parsed at once (naive text is UTC, see `store.utc`).
    if isinstance(col.type, DateTime):
        return type_coerce(col, String).label(col.name)
    return col
