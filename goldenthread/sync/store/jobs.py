"""Scheduled-job bookkeeping: one row per (job, tick) in job_runs, and the PostgreSQL advisory
lock that keeps a long run on one replica from overlapping the next tick's run on another.

Tests: tests/webhooks/test_replicas.py"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from goldenthread.sync.store import schema as t
from goldenthread.sync.store.core import Store

runs = t.job_runs


def save_job_claim(store: Store, job: str, slot: datetime, replica: str, now: datetime) -> int | None:
    """Claim one tick; the run id, or None when another replica already has it."""
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    stmt = (
        dialect.insert(runs)
        .values(job=job, slot=slot, replica=replica, started_at=now, status="running")
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(runs.c.id)
    )
    try:
        with store.begin() as conn:
            return conn.scalar(stmt)
    except IntegrityError:
        return None


def save_job_result(store: Store, run_id: int, status: str, now: datetime, error: str | None = None) -> None:
    with store.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(status=status, finished_at=now, error=error))


def load_job_runs(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(runs).order_by(runs.c.slot.desc(), runs.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def _lock_id(job: str, schema: str) -> int:
    # advisory locks are database-wide: the schema is part of the key, so deployments (or test
    # sessions) sharing one database in separate schemas never hold each other's jobs back
    return int.from_bytes(hashlib.sha256(f"goldenthread:{schema}:{job}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(store: Store, job: str) -> Iterator[bool]:
    """Yield True when this replica may run `job` now (always on SQLite, advisory lock on PG)."""
    if store.dialect != "postgresql":
        yield True
        return
    with store.engine.connect() as conn:
        key = _lock_id(job, str(conn.scalar(text("SELECT current_schema()"))))
        got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
