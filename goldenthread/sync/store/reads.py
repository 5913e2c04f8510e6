"""The reads a report needs, as plain SQL over a DBAPI connection (sqlite3 or psycopg): the
plain tables of `reports.tables` (issues and their user names, status changes), project names, the statuses,
the KPI readings and survey answers, and the schema's revision. This module imports no
SQLAlchemy: `goldenthread metrics` reads through it on a connection of its own
(`store.readonly`) without loading SQLAlchemy, and `Store` runs the same functions on its
engine's DBAPI connection, so there is one implementation of each read.

What the time goes into for 100k issues / 540k changes on SQLite is the driver turning rows
into Python values, so these reads fetch only the columns the tables hold, as plain DBAPI
tuples, and leave every per-value conversion to one vectorised call per column:
- timestamps: SQLite's DATETIME text is parsed per column by numpy (`reports.tables._stamps`);
  PostgreSQL hands back aware datetimes already;
- JSON arrays (labels, components, stakeholders): on SQLite, one `orjson.loads` of the whole
  column joined into a single array instead of one call per row (psycopg decodes JSON itself);
- removed issues: changes are filtered with `NOT IN (removed keys)`, a handful of keys, rather
  than `IN (live keys)`, which made SQLite probe a 100k-key set for every change (+40%).

The SQL is the text SQLAlchemy compiled for these statements on both dialects ("key" quoted:
a keyword in SQLite), so both paths ask the database the same question.

Tests: tests/sync/store/test_readonly.py, tests/sync/store/test_tables.py, tests/sync/store/test_project_names.py
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson
import pandas as pd

from goldenthread.mappings.records import StatusCategory
from goldenthread.reports.goals import OutcomeTables, build_outcome_tables_from_columns
from goldenthread.reports.tables import (
    TABLE_ISSUE_COLUMNS,
    build_change_table_from_columns,
    build_issue_table_from_columns,
    compute_project_names,
    compute_user_names,
)


class DBAPIConnection(Protocol):
    def cursor(self) -> Any: ...


CHANGE_COLUMNS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "author_id",
)  # fmt: skip
_JSON_LISTS = ("labels", "components")
_ISSUE_TABLE_COLUMNS = [n for n in TABLE_ISSUE_COLUMNS if n not in ("number", "stakeholder_ids")]


def _quoted(name: str) -> str:
    return '"key"' if name == "key" else name


def fetch_columns(conn: DBAPIConnection, sql: str, width: int) -> list[tuple[Any, ...]]:
    """The result of `sql` as one tuple per column (plain DBAPI values)."""
    # Plain DBAPI tuples: SQLAlchemy's per-row Row objects and per-value type processing
    # cost more than the query itself for 500k rows. The statements carry no user input.
    cur = conn.cursor()
    try:
        cur.execute(sql)
        rows = cur.fetchall()
        return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    finally:
        cur.close()


def decode_json_column(values: Sequence[Any]) -> list[Any]:
    """A JSON column read raw: decoded values (None for SQL NULL or JSON null).

    SQLite returns the stored text, PostgreSQL the decoded value. Text is decoded in one
    `orjson.loads` over all rows (~3x the stdlib's parser): each value is a complete JSON
    document, so joining them with commas inside brackets is a JSON array of them (one C-level
    parse instead of 100k calls)."""
    kinds = set(map(type, values))
    if str not in kinds:
        return list(values)
    if kinds == {str}:
        decoded = orjson.loads("[" + ",".join(values) + "]")
        if len(decoded) == len(values):
            return decoded
    return [orjson.loads(v) if isinstance(v, str) else v for v in values]


def load_issue_table(conn: DBAPIConnection) -> pd.DataFrame:
    """Live issues as the plain issue table (TABLE_ISSUE_COLUMNS), in no particular order:
    `build_frames_from_tables` puts them in natural key order."""
    return _load_issue_table(conn, None)


def load_issue_table_and_names(conn: DBAPIConnection) -> tuple[pd.DataFrame, dict[str, str]]:
    """`load_issue_table` and, from the same read, user id -> the display name Jira last gave
    (reporters, assignees, stakeholders): the pages name people; the table keeps only ids."""
    names: dict[str, str] = {}
    return _load_issue_table(conn, names), names


def _load_issue_table(conn: DBAPIConnection, names: dict[str, str] | None) -> pd.DataFrame:
    columns = _ISSUE_TABLE_COLUMNS
    extra = ["reporter_name", "assignee_name"] if names is not None else []
    selected = ", ".join(f"issues.{_quoted(n)}" for n in [*columns, *extra, "stakeholders"])
    sql = f"SELECT {selected} FROM issues WHERE issues.removed_at IS NULL"
    values = fetch_columns(conn, sql, len(columns) + len(extra) + 1)
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


def load_project_names(conn: DBAPIConnection) -> dict[str, str]:
    """Project key -> its name as Jira last gave it (`tables.compute_project_names`); a project
    whose rows were all synced before the store kept names (migration 0006) is not in it."""
    # one row per project and name, not per issue: a renamed project has a few
    sql = ("SELECT issues.project, issues.project_name, max(issues.updated) FROM issues "
           "WHERE issues.removed_at IS NULL AND issues.project_name IS NOT NULL "
           "GROUP BY issues.project, issues.project_name")
    projects, names, updated = fetch_columns(conn, sql, 3)
    return compute_project_names(zip(projects, names, updated, strict=True))


def load_change_table(conn: DBAPIConnection) -> pd.DataFrame:
    """Status changes of live issues as the plain change table (unsorted: the derivation
    orders them)."""
    selected = ", ".join(f"status_changes.{n}" for n in CHANGE_COLUMNS)
    sql = (f"SELECT {selected} FROM status_changes WHERE (status_changes.issue_key NOT IN "
           '(SELECT issues."key" FROM issues WHERE issues.removed_at IS NOT NULL))')
    values = fetch_columns(conn, sql, len(CHANGE_COLUMNS))
    return build_change_table_from_columns(dict(zip(CHANGE_COLUMNS, values, strict=True)))


def load_statuses(conn: DBAPIConnection) -> dict[str, StatusCategory]:
    """Status name -> its category, as Jira last described them."""
    names, categories, _ = fetch_columns(conn, "SELECT statuses.name, statuses.category, statuses.status_id "
                                               "FROM statuses", 3)
    return dict(zip(names, categories, strict=True))


def load_outcome_tables(conn: DBAPIConnection) -> OutcomeTables:
    """Every stored KPI reading and survey answer as the report's tables (dates come as date
    objects or, from SQLite, ISO text: the tables read both)."""
    r = fetch_columns(conn, "SELECT kpi_readings.kpi, kpi_readings.date, kpi_readings.value FROM kpi_readings", 3)
    a = fetch_columns(conn, "SELECT survey_answers.date, survey_answers.score, survey_answers.objective "
                            "FROM survey_answers", 3)
    return build_outcome_tables_from_columns(
        {"kpi": list(r[0]), "date": list(r[1]), "value": list(r[2])},
        {"date": list(a[0]), "score": list(a[1]), "objective": list(a[2])},
    )


def load_schema_revision(conn: DBAPIConnection) -> str | None:
    """The migration the database is at (Alembic's `alembic_version`); None for a database
    without our schema. Errors (no such table) are the caller's: a failed statement leaves a
    PostgreSQL transaction aborted, which only the caller can roll back."""
    cur = conn.cursor()
    try:
        cur.execute("SELECT version_num FROM alembic_version")
        row = cur.fetchone()
        return None if row is None else str(row[0])
    finally:
        cur.close()


def load_never_synced(conn: DBAPIConnection) -> bool:
    """No sync has run against this database and it holds no issue: most often, the wrong store."""
    runs = fetch_columns(conn, "SELECT sync_runs.id FROM sync_runs LIMIT 1", 1)[0]
    issues = fetch_columns(conn, "SELECT count(*) FROM issues", 1)[0]
    return not runs and issues[0] == 0
