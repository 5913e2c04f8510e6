"""SQLAlchemy table definitions. Alembic migrations in `migrations/versions` must match these
(tests/sync/store/test_core.py compares them), so an upgrade keeps data.

Tests: tests/sync/store/test_core.py"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

TS = DateTime(timezone=True)

issues = Table(
    "issues",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("id", String(64), nullable=False),
    Column("project", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("issue_type", String(128), nullable=False),
    Column("status", String(128), nullable=False),
    Column("status_category", String(32), nullable=False),
    Column("created", TS, nullable=False),
    Column("updated", TS, nullable=False),
    Column("resolution_date", TS),
    Column("url", Text, nullable=False, default=""),
    Column("reporter_id", String(128)),
    Column("reporter_name", Text),
    Column("assignee_id", String(128)),
    Column("assignee_name", Text),
    Column("labels", JSON, nullable=False),
    Column("components", JSON, nullable=False),
    Column("reach", Float),
    Column("impact", Float),
    Column("confidence", Float),
    Column("effort", Float),
    Column("business_value", Float),
    Column("time_criticality", Float),
    Column("risk_reduction", Float),
    Column("adoption", Float),
    Column("satisfaction", Float),
    Column("objective", Text),
    Column("target", Text),
    Column("team", Text),
    Column("stakeholders", JSON, nullable=False),
    Column("synced_at", TS, nullable=False),
    Column("removed_at", TS),
    Column("removed_reason", Text),
    Column("release_note", Text),
    Column("project_name", Text),  # NULL on rows synced before migration 0006
)
Index("ix_issues_updated", issues.c.updated)
Index("ix_issues_id", issues.c.id)  # a moved issue keeps its id under a new key

status_changes = Table(
    "status_changes",
    metadata,
    Column("issue_key", String(64), primary_key=True),
    Column("change_id", String(64), primary_key=True),
    Column("at", TS, nullable=False),
    Column("from_status", String(128)),
    Column("to_status", String(128), nullable=False),
    Column("author_id", String(128)),
)

statuses = Table(
    "statuses",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("category", String(32), nullable=False),
    Column("status_id", String(64), nullable=False, default=""),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", TS, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("stats", JSON, nullable=False),
    Column("error", Text),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # X-Atlassian-Webhook-Identifier, else "sha256:<body hash>": duplicates collapse on it
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("event", String(128), nullable=False),
    Column("issue_key", String(64)),
    Column("payload", Text, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("status", String(16), nullable=False),  # pending | processing | done | failed | ignored
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", TS, nullable=False),
    Column("claimed_by", String(128)),
    Column("claimed_at", TS),
    Column("processed_at", TS),
    Column("error", Text),
    Column("duplicates", Integer, nullable=False, default=0),
)
Index("ix_inbox_status_available", webhook_inbox.c.status, webhook_inbox.c.available_at)
# Only deliveries that were repeated: the status page's duplicates total reads these few index
# entries instead of every inbox row (on SQLite through each row's ~5 KiB payload pages).
# Migration 0003 creates it partial (WHERE duplicates > 0). The WHERE is not declared here:
# `sqlite_where=` / `postgresql_where=` make SQLAlchemy import both dialects when this module
# loads, 25-40 ms of every command's start-up (`metrics` included) for an index only the
# migration creates. Alembic's comparison (tests/sync/store) does not look at index WHEREs.
Index("ix_inbox_duplicated", webhook_inbox.c.duplicates)

published_pages = Table(
    "published_pages",
    metadata,
    Column("page_key", String(128), primary_key=True),  # roadmap | whats_new | monthly:2026-10 ...
    Column("title", Text, nullable=False),
    Column("page_id", String(64)),
    Column("space", String(64), nullable=False),
    Column("version", Integer),
    Column("content_hash", String(64)),
    Column("url", Text),
    Column("published_at", TS),
    Column("dirty", Boolean, nullable=False, default=False),
    Column("dirty_since", TS),
    Column("last_result", Text),
    # the last version a person saved since our previous publish (it stays in the page history)
    Column("manual_edit_version", Integer),
    Column("manual_edit_by", String(128)),
    Column("manual_edit_at", TS),
)

# One minutes page per monthly meeting: created once, then never written again. The row is kept
# when the page is deleted in Confluence, so a deleted page is not recreated on every run.
minutes_pages = Table(
    "minutes_pages",
    metadata,
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("title", Text, nullable=False),
    Column("page_id", String(64), nullable=False),
    Column("url", Text),
    Column("created_at", TS, nullable=False),
    Column("how", String(16), nullable=False),  # created | found (the title existed already)
    Column("gone_at", TS),  # when a run found the page deleted
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(64), nullable=False),
    Column("slot", TS, nullable=False),  # the cron tick this run is for
    Column("replica", String(128), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
    Column("status", String(16), nullable=False),
    Column("error", Text),
    # one run per job and tick, whatever the number of replicas
    UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
)

# KPI readings and survey answers read from `outcomes.measurements` / `outcomes.surveys` on every
# sync. Rows are upserted and never deleted: a file that loses a row, or cannot be read, leaves
# what was stored before (first_seen_at says since when a row is known, updated_at its last read).
kpi_readings = Table(
    "kpi_readings",
    metadata,
    Column("kpi", String(255), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("value", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("line", Integer),
    Column("first_seen_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    # source + content digest + occurrence (mappings.outcomes.build_answer_ids)
    Column("answer_id", String(64), primary_key=True),
    Column("date", Date, nullable=False),
    Column("score", Integer, nullable=False),
    Column("objective", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("line", Integer),
    Column("first_seen_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
)
