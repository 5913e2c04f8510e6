"""The store: SQLite by default (WAL), PostgreSQL by URL. Schema created/upgraded by Alembic on open.

Every write is an idempotent upsert so re-delivered webhooks and overlapping sync windows are
harmless. Timestamps are stored timezone-aware and always come back as UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    select,
    true,
    update,
)

from goldenthread.mappings.records import (
    Issue,
    IssueSnapshot,
    StatusCategory,
    StatusChange,
    StatusInfo,
    UserRef,
)
from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.reports.goals import OutcomeTables
from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store import outcomes as store_outcomes
from goldenthread.sync.store import reads as store_reads
from goldenthread.sync.store import schema as t
from goldenthread.sync.store import tables as store_tables
from goldenthread.sync.store.bulk import save_rows
from goldenthread.sync.store.upgrade import upgrade_schema



def build_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets the webhook receiver write while a sync or the status page reads
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _issue_row(issue: Issue, synced_at: datetime) -> tuple[Any, ...]:
    """One `issues` row in the table's column order (see `_ISSUE_COLUMNS`)."""
    reporter, assignee = issue.reporter, issue.assignee
    return (
        issue.key, issue.id, issue.project, issue.summary, issue.description, issue.issue_type,
        issue.status, issue.status_category, issue.created, issue.updated, issue.resolution_date,
        issue.url,
        reporter.id if reporter else None, reporter.name if reporter else None,
        assignee.id if assignee else None, assignee.name if assignee else None,
        list(issue.labels), list(issue.components),
        issue.reach, issue.impact, issue.confidence, issue.effort, issue.business_value,
        issue.time_criticality, issue.risk_reduction, issue.adoption, issue.satisfaction,
        issue.objective, issue.target, issue.team,
        [[u.id, u.name] for u in issue.stakeholders],
        synced_at,
        # seeing an issue again in the backlog brings it back if it had been removed
        None, None,
        issue.release_note, issue.project_name,
    )


_ISSUE_COLUMNS = (
    "key", "id", "project", "summary", "description", "issue_type", "status", "status_category", "created",
    "updated", "resolution_date", "url", "reporter_id", "reporter_name", "assignee_id", "assignee_name",
    "labels", "components", "reach", "impact", "confidence", "effort", "business_value", "time_criticality",
    "risk_reduction", "adoption", "satisfaction", "objective", "target", "team", "stakeholders", "synced_at",
    "removed_at", "removed_reason", "release_note", "project_name",
)
if tuple(c.name for c in t.issues.columns) != _ISSUE_COLUMNS:  # a schema edit must update _issue_row too
    raise RuntimeError("store._ISSUE_COLUMNS no longer matches schema.issues")


_ISSUE_UPDATE_COLS = [c.name for c in t.issues.columns if c.name != "key"]


def _issue_from_columns(m: Mapping[str, Any]) -> Issue:
    """An `Issue` from one `issues` row by column name (JSON decoded; timestamps as the
    driver hands them over or as SQLite's text: `utc` takes both)."""
    return Issue(
        key=m["key"],
        id=m["id"],
        project=m["project"],
        summary=m["summary"],
        description=m["description"],
        issue_type=m["issue_type"],
        status=m["status"],
        status_category=m["status_category"],
        created=parse_datetime(m["created"]),  # type: ignore[arg-type]
        updated=parse_datetime(m["updated"]),  # type: ignore[arg-type]
        resolution_date=parse_datetime(m["resolution_date"]),
        url=m["url"],
        reporter=UserRef(m["reporter_id"], m["reporter_name"] or "") if m["reporter_id"] else None,
        assignee=UserRef(m["assignee_id"], m["assignee_name"] or "") if m["assignee_id"] else None,
        labels=tuple(m["labels"] or ()),
        components=tuple(m["components"] or ()),
        reach=m["reach"],
        impact=m["impact"],
        confidence=m["confidence"],
        effort=m["effort"],
        business_value=m["business_value"],
        time_criticality=m["time_criticality"],
        risk_reduction=m["risk_reduction"],
        adoption=m["adoption"],
        satisfaction=m["satisfaction"],
        objective=m["objective"],
        target=m["target"],
        team=m["team"],
        stakeholders=tuple(UserRef(i, n) for i, n in (m["stakeholders"] or ())),
        release_note=m["release_note"],
        project_name=m["project_name"],
    )


class Store:
    """All persistence. Open with `Store.open(url)`; the schema is migrated on open."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        engine = build_engine(url)
        upgrade_schema(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> str:
        """The store's URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # --- issues -------------------------------------------------------------------------
    def save_snapshots(self, snapshots: Iterable[IssueSnapshot], synced_at: datetime, *, full_history: bool = True) -> int:
        """Upsert issues and their status history in one transaction; returns the count.

        With `full_history` the given changes replace the stored ones (the changelog fetch is
        complete); otherwise they are merged (a webhook carries only the latest change)."""
        snaps = list(snapshots)
        if not snaps:
            return 0
        with self.engine.begin() as conn:
            self.save_snapshots_in(conn, snaps, synced_at, full_history=full_history)
        return len(snaps)

    def save_snapshots_in(self, conn: Connection, snaps: list[IssueSnapshot], synced_at: datetime, *, full_history: bool = True) -> None:
        save_rows(conn, t.issues, (_issue_row(s.issue, synced_at) for s in snaps), keys=["key"],
                  update_cols=_ISSUE_UPDATE_COLS)
        _retire_moved(conn, {s.issue.id: s.issue.key for s in snaps if s.issue.id}, synced_at)
        keys = [s.issue.key for s in snaps]
        if full_history:
            for chunk in _chunks(keys, 500):
                conn.execute(delete(t.status_changes).where(t.status_changes.c.issue_key.in_(chunk)))
        # columns: issue_key, change_id, at, from_status, to_status, author_id
        change_rows = ((c.issue_key, c.change_id, c.at, c.from_status, c.to_status, c.author_id)
                       for s in snaps for c in s.changes)
        save_rows(conn, t.status_changes, change_rows, keys=["issue_key", "change_id"],
                  update_cols=["at", "from_status", "to_status", "author_id"])

    def load_issues(self, *, include_removed: bool = False) -> list[Issue]:
        where = true() if include_removed else t.issues.c.removed_at.is_(None)
        rows = store_tables.load_issue_rows(self.engine, where, (t.issues.c.key,))
        return list(map(_issue_from_columns, rows))

    def load_issue(self, key: str) -> Issue | None:
        """One issue, live or removed (the same read as `load_issues`)."""
        rows = store_tables.load_issue_rows(self.engine, t.issues.c.key == key, ())
        return _issue_from_columns(rows[0]) if rows else None

    def load_issue_states(self, keys: Iterable[str]) -> dict[str, tuple[datetime, bool]]:
        """key -> (updated, live) for those of `keys` the store has, in one read: what the sync
        and the webhook worker need to know of an issue before deciding to fetch or write it."""
        out: dict[str, tuple[datetime, bool]] = {}
        c = t.issues.c
        with self.engine.connect() as conn:
            for chunk in _chunks(sorted(set(keys)), 500):
                rows = conn.execute(select(c.key, c.updated, c.removed_at).where(c.key.in_(chunk)))
                for key, updated, removed_at in rows:
                    out[key] = (parse_datetime(updated), removed_at is None)  # type: ignore[assignment]
        return out

    def load_status_changes(self, *, include_removed: bool = False) -> list[StatusChange]:
        sc = t.status_changes
        live = select(t.issues.c.key).where(t.issues.c.removed_at.is_(None))
        where = true() if include_removed else sc.c.issue_key.in_(live)
        order = (sc.c.issue_key, sc.c.at, sc.c.change_id)
        return store_tables.load_status_change_records(self.engine, where, order)

    # --- columnar reads for reports: no per-issue record objects, the SQL of store.reads ---
    def load_issue_table(self) -> pd.DataFrame:
        """Live issues as the plain issue table of `reports.tables` (TABLE_ISSUE_COLUMNS),
        read column by column from SQL; feed it to `build_frames_from_tables`."""
        return store_tables.run_read(self.engine, store_reads.load_issue_table)

    def load_change_table(self) -> pd.DataFrame:
        """Status changes of live issues as the plain change table of `reports.tables`
        (unsorted: the derivation orders them)."""
        return store_tables.run_read(self.engine, store_reads.load_change_table)

    def load_issue_table_and_names(self) -> tuple[pd.DataFrame, dict[str, str]]:
        """`load_issue_table` and user id -> display name from the same read (the pages' input)."""
        return store_tables.run_read(self.engine, store_reads.load_issue_table_and_names)

    def load_project_names(self) -> dict[str, str]:
        """Project key -> the name Jira last gave it (`store.reads.load_project_names`)."""
        return store_tables.run_read(self.engine, store_reads.load_project_names)

    def load_never_synced(self) -> bool:
        """No sync ever ran against the store and it holds no issue (`store.reads`)."""
        return store_tables.run_read(self.engine, store_reads.load_never_synced)

    def load_first_created(self) -> datetime | None:
        """When the earliest issue in the store was created; None for an empty store."""
        with self.engine.connect() as conn:
            return parse_datetime(conn.scalar(select(func.min(t.issues.c.created))))

    def load_live_keys(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(t.issues.c.key).where(t.issues.c.removed_at.is_(None))))

    def mark_removed(self, keys: Iterable[str], reason: str, at: datetime) -> int:
        """Retire live issues (kept in history); returns how many were live. An issue already
        removed keeps its first reason."""
        with self.engine.begin() as conn:
            return mark_removed_in(conn, keys, reason, at)

    def load_removed(self) -> list[tuple[str, datetime, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.issues.c.key, t.issues.c.removed_at, t.issues.c.removed_reason)
                .where(t.issues.c.removed_at.is_not(None))
                .order_by(t.issues.c.key)
            )
            return [(r.key, parse_datetime(r.removed_at), r.removed_reason or "") for r in rows]  # type: ignore[misc]

    # --- KPI readings and survey answers (see store.outcomes) ----------------------------
    def save_kpi_readings(self, readings: Iterable[KpiReading], at: datetime) -> int:
        return store_outcomes.save_kpi_readings(self.engine, readings, at)

    def save_survey_answers(self, answers: Iterable[SurveyAnswer], at: datetime) -> int:
        return store_outcomes.save_survey_answers(self.engine, answers, at)

    def load_outcome_tables(self) -> OutcomeTables:
        return store_tables.run_read(self.engine, store_reads.load_outcome_tables)

    # --- statuses -----------------------------------------------------------------------
    def save_statuses(self, infos: Iterable[StatusInfo]) -> None:
        rows = [(s.name, s.category, s.id) for s in infos]
        with self.engine.begin() as conn:
            save_rows(conn, t.statuses, rows, keys=["name"], update_cols=["category", "status_id"])

    def load_statuses(self) -> dict[str, StatusCategory]:
        return store_tables.run_read(self.engine, store_reads.load_statuses)

    # --- sync state and runs ------------------------------------------------------------
    def load_state(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(t.sync_state.c.value).where(t.sync_state.c.name == name))

    def save_state(self, name: str, value: str, at: datetime, conn: Connection | None = None) -> None:
        row = [(name, value, at)]
        if conn is not None:
            save_rows(conn, t.sync_state, row, keys=["name"], update_cols=["value", "updated_at"])
            return
        with self.engine.begin() as c:
            save_rows(c, t.sync_state, row, keys=["name"], update_cols=["value", "updated_at"])

    def start_run(self, kind: str, started_at: datetime) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                t.sync_runs.insert().values(kind=kind, started_at=started_at, status="running", stats={})
            )
            # typed Optional by SQLAlchemy; a single-row INSERT always has its key
            return int(res.inserted_primary_key[0])  # type: ignore[index]

    def finish_run(self, run_id: int, status: str, finished_at: datetime, stats: dict[str, Any], error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(t.sync_runs)
                .where(t.sync_runs.c.id == run_id)
                .values(status=status, finished_at=finished_at, stats=json.loads(json.dumps(stats, default=str)), error=error)
            )

    def load_runs(self, limit: int = 20, kind: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.sync_runs).order_by(t.sync_runs.c.id.desc()).limit(limit)
        if kind:
            stmt = stmt.where(t.sync_runs.c.kind == kind)
        with self.engine.connect() as conn:
            out = []
            for r in conn.execute(stmt):
                d = dict(r._mapping)
                d["started_at"], d["finished_at"] = parse_datetime(d["started_at"]), parse_datetime(d["finished_at"])
                out.append(d)
            return out

    # --- published pages ----------------------------------------------------------------
    def load_published(self, page_key: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.published_pages).where(t.published_pages.c.page_key == page_key)).first()
        if row is None:
            return None
        d = dict(row._mapping)
        d["published_at"], d["dirty_since"] = parse_datetime(d["published_at"]), parse_datetime(d["dirty_since"])
        return d

    def load_all_published(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.published_pages).order_by(t.published_pages.c.page_key))
            return [dict(r._mapping) for r in rows]

    def save_published(self, page_key: str, **values: Any) -> None:
        cols = {c.name for c in t.published_pages.columns}
        unknown = set(values) - cols
        if unknown:
            raise ValueError(f"unknown published_pages columns: {sorted(unknown)}")
        # defaults only fill a new row; an update touches just the columns given
        row = {"title": page_key, "space": "", "dirty": False, **values, "page_key": page_key}
        with self.engine.begin() as conn:
            save_rows(conn, t.published_pages, [tuple(row.values())], keys=["page_key"],
                      update_cols=list(values) or ["title"], columns=list(row))

    def count(self, table: str) -> int:
        tbl = t.metadata.tables[table]
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(tbl)) or 0)


def mark_removed_in(conn: Connection, keys: Iterable[str], reason: str, at: datetime) -> int:
    """`Store.mark_removed` inside the caller's transaction."""
    count = 0
    for chunk in _chunks(list(keys), 500):
        res = conn.execute(
            update(t.issues)
            .where(t.issues.c.key.in_(chunk), t.issues.c.removed_at.is_(None))
            .values(removed_at=at, removed_reason=reason)
        )
        count += res.rowcount or 0
    return count


def _retire_moved(conn: Connection, keys_by_id: dict[str, str], at: datetime) -> None:
    """An issue moved to another project comes back under a new key with the same id: the row of
    its old key leaves the pages now (marked removed, kept in history) instead of at the next census."""
    c = t.issues.c
    moved: dict[str, list[str]] = {}
    for chunk in _chunks(list(keys_by_id), 500):
        rows = conn.execute(select(c.key, c.id).where(c.id.in_(chunk), c.removed_at.is_(None)))
        for key, issue_id in rows:
            if key != keys_by_id[issue_id]:
                moved.setdefault(keys_by_id[issue_id], []).append(key)
    for new_key, old_keys in moved.items():
        conn.execute(update(t.issues).where(c.key.in_(old_keys), c.removed_at.is_(None))
                     .values(removed_at=at, removed_reason=f"moved: now {new_key}"))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
