"""The store opened for reading only, without SQLAlchemy: what `goldenthread metrics` reads.

Importing SQLAlchemy is ~0.15 s of a command that computes its metrics in about as much, and a
report only reads. So GOLDENTHREAD_DATABASE_URL is parsed here and the driver (sqlite3,
psycopg) connected directly; the reads are `store.reads`, the very functions `Store` runs on
its engine. Anything this opener is not sure of hands over to `Store.open` (None): a URL form
it does not know, a SQLite file that does not exist yet, a database that refuses the
connection (Store.open then reports it in its words), and a schema that is not at head (or
absent): Store.open migrates it.

Tests: tests/sync/store/test_readonly.py
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pandas as pd

from goldenthread.mappings.records import StatusCategory
from goldenthread.reports.goals import OutcomeTables
from goldenthread.sync.store import reads
from goldenthread.sync.store.revision import load_head_revision

Dialect = Literal["sqlite", "postgresql"]
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_PG_SCHEMES = ("postgresql", "postgresql+psycopg")


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a database URL points, in the terms of its driver: a SQLite file's path, or a libpq
    connection URI (query options such as `options=-csearch_path%3Dschema` kept as given)."""

    dialect: Dialect
    target: str


def parse_database_url(url: str) -> DatabaseTarget | None:
    """The driver's view of the URLs `Store.open` takes: `sqlite:///relative/path`,
    `sqlite:////absolute/path`, `postgresql://` and `postgresql+psycopg://` URLs; None for any
    other form (an in-memory SQLite, a query on a SQLite URL, another driver): `Store.open`
    knows what to make of those, or says what is wrong with them."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    if scheme in _SQLITE_SCHEMES:
        # sqlite:/// + path: a relative path after three slashes, an absolute one after four
        if not rest.startswith("/") or any(c in rest for c in "?#%"):
            return None
        path = rest[1:]
        return None if path in ("", ":memory:") else DatabaseTarget("sqlite", path)
    if scheme in _PG_SCHEMES:
        try:
            urlsplit(url).port  # a malformed port is Store.open's to report
        except ValueError:
            return None
        return DatabaseTarget("postgresql", "postgresql://" + rest)
    return None


def connect(target: DatabaseTarget) -> Any | None:
    """A DBAPI connection to an existing database; None when there is none to read (a SQLite
    file not created yet) or the driver cannot connect."""
    if target.dialect == "sqlite":
        if not Path(target.target).is_file():
            return None
        # the same busy timeout as Store's engine: a sync may be writing (WAL lets us read)
        return sqlite3.connect(target.target, timeout=30, check_same_thread=False)
    try:
        import psycopg

        return psycopg.connect(target.target)
    except Exception:  # noqa: BLE001 - any failure: Store.open connects again and reports it
        return None


class ReadStore:
    """The report reads of `Store` (`runs.TableStore`, `OutcomeStore`) on one plain DBAPI
    connection to a database whose schema is at head."""

    def __init__(self, conn: Any, target: DatabaseTarget) -> None:
        self.conn = conn
        self.target = target
        self.dialect = target.dialect

    @property
    def where(self) -> str:
        """The URL as `Store.where` shows it (no password)."""
        if self.target.dialect == "sqlite":
            return f"sqlite:///{self.target.target}"  # no password, and nothing to re-encode
        from sqlalchemy.engine import make_url  # only to name an empty store: its exact rendering

        url = "postgresql+psycopg://" + self.target.target.removeprefix("postgresql://")
        return make_url(url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.conn.close()

    def load_issue_table(self) -> pd.DataFrame:
        return reads.load_issue_table(self.conn)

    def load_change_table(self) -> pd.DataFrame:
        return reads.load_change_table(self.conn)

    def load_issue_table_and_names(self) -> tuple[pd.DataFrame, dict[str, str]]:
        return reads.load_issue_table_and_names(self.conn)

    def load_project_names(self) -> dict[str, str]:
        return reads.load_project_names(self.conn)

    def load_statuses(self) -> dict[str, StatusCategory]:
        return reads.load_statuses(self.conn)

    def load_outcome_tables(self) -> OutcomeTables:
        return reads.load_outcome_tables(self.conn)

    def load_never_synced(self) -> bool:
        return reads.load_never_synced(self.conn)


def open_read_store(url: str) -> ReadStore | None:
    """A `ReadStore` on the database at `url` when its schema is at head; None when `Store.open`
    must open it (see the module's docstring)."""
    target = parse_database_url(url)
    conn = None if target is None else connect(target)
    if target is None or conn is None:
        return None
    try:
        at_head = load_head_revision() is not None and reads.load_schema_revision(conn) == load_head_revision()
    except Exception:  # noqa: BLE001 - no alembic_version table (a new database) or no schema yet
        at_head = False
    if not at_head:
        conn.close()
        return None
    return ReadStore(conn, target)
