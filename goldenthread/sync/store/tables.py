"""Columnar reads of the store for reports: the plain tables of `reports.tables`, straight
from SQL, without building a record object (or a SQLAlchemy Row) per issue or change; and the
record reads (`Store.load_issues`, `load_status_changes`) over the same plain DBAPI columns.

What the time goes into for 100k issues / 540k changes on SQLite is the driver turning rows
into Python values, so these reads fetch only the columns the tables hold, as plain DBAPI
tuples, and leave every per-value conversion to one vectorised call per column:
- timestamps: SQLite's DATETIME text is parsed per column by numpy (`reports.tables._stamps`);
  PostgreSQL hands back aware datetimes already;
- JSON arrays (labels, components, stakeholders): on SQLite, one `json.loads` of the whole
  column joined into a single array instead of one call per row;
- removed issues: changes are filtered with `NOT IN (removed keys)`, a handful of keys, rather
  than `IN (live keys)`, which made SQLite probe a 100k-key set for every change (+40%).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import JSON, DateTime, Engine, String, select, type_coerce

from goldenthread.mappings.records import StatusChange
from goldenthread.mappings.values import parse_datetime
from goldenthread.reports.tables import (
    TABLE_ISSUE_COLUMNS,
    build_change_table_from_columns,
    build_issue_table_from_columns,
    compute_user_names,
)
from goldenthread.sync.store import schema as t

CHANGE_COLUMNS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "author_id",
)  # fmt: skip
_JSON_LISTS = ("labels", "components")


def load_issue_table(engine: Engine) -> pd.DataFrame:
    """Live issues as the plain issue table (TABLE_ISSUE_COLUMNS), in no particular order:
    `build_frames_from_tables` puts them in natural key order."""
    return _load_issue_table(engine, None)


def load_issue_table_and_names(engine: Engine) -> tuple[pd.DataFrame, dict[str, str]]:
    """`load_issue_table` and, from the same read, user id -> the display name Jira last gave
    (reporters, assignees, stakeholders): the pages name people; the table keeps only ids."""
    names: dict[str, str] = {}
    return _load_issue_table(engine, names), names


def _load_issue_table(engine: Engine, names: dict[str, str] | None) -> pd.DataFrame:
    c = t.issues.c
    columns = [n for n in TABLE_ISSUE_COLUMNS if n not in ("number", "stakeholder_ids")]
    extra = [c.reporter_name, c.assignee_name] if names is not None else []
    stmt = select(*[_raw_ts(c[n]) for n in columns], *extra, c.stakeholders).where(c.removed_at.is_(None))
    values = fetch_columns(engine, stmt, len(columns) + len(extra) + 1)
    cols: dict[str, Any] = dict(zip(columns, values, strict=False))
    for n in _JSON_LISTS:
        cols[n] = [tuple(v) if v else () for v in decode_json_column(cols[n])]
    # stakeholders are stored as [[id, name], ...]; the table keeps the ids
    stakeholders = decode_json_column(values[-1])
    cols["stakeholder_ids"] = [tuple(u[0] for u in v) if v else () for v in stakeholders]
    if names is not None:
        names.update(compute_user_names(
            ((uid, name) for users in stakeholders for uid, name in users or ()),
            zip(cols["reporter_id"], values[-3], strict=True), zip(cols["assignee_id"], values[-2], strict=True),
        ))  # fmt: skip
    return build_issue_table_from_columns(cols)


def load_change_table(engine: Engine) -> pd.DataFrame:
    """Status changes of live issues as the plain change table (unsorted: the derivation
    orders them)."""
    return _load_change_table(engine)


def _load_change_table(engine: Engine) -> pd.DataFrame:
    sc = t.status_changes
    removed = select(t.issues.c.key).where(t.issues.c.removed_at.is_not(None))
    stmt = select(*[_raw_ts(sc.c[n]) for n in CHANGE_COLUMNS]).where(sc.c.issue_key.not_in(removed))
    values = fetch_columns(engine, stmt, len(CHANGE_COLUMNS))
    return build_change_table_from_columns(dict(zip(CHANGE_COLUMNS, values, strict=True)))


def fetch_columns(engine: Engine, stmt: Any, width: int) -> list[tuple[Any, ...]]:
    """The result of `stmt` as one tuple per column (plain DBAPI values)."""
    # Plain DBAPI tuples: SQLAlchemy's per-row Row objects and per-value type processing
    # cost more than the query itself for 500k rows. The statements carry no user input.
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute(sql)
            rows = cur.fetchall()
            return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
        finally:
            cur.close()


def decode_json_column(values: Sequence[Any]) -> list[Any]:
    """A JSON column read raw: decoded values (None for SQL NULL or JSON null).

    SQLite returns the stored text, PostgreSQL the decoded value. Text is decoded in one
    `json.loads` over all rows: each value is a complete JSON document, so joining them with
    commas inside brackets is a JSON array of them (one C-level parse instead of 100k calls)."""
    kinds = set(map(type, values))
    if str not in kinds:
        return list(values)
    if kinds == {str}:
        decoded = json.loads("[" + ",".join(values) + "]")
        if len(decoded) == len(values):
            return decoded
    return [json.loads(v) if isinstance(v, str) else v for v in values]


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
