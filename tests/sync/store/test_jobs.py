"""Scheduled-job locks: one run at a time per job and per schema of a PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from goldenthread.sync.store import Store
from goldenthread.sync.store.jobs import job_lock


@pytest.mark.postgres
def test_the_job_lock_is_per_schema(pg_schema_url: str) -> None:
    """Advisory locks are database-wide: two deployments in two schemas of one database (or two
    test sessions) used to skip each other's ticks ("previous run still in progress")."""
    base = pg_schema_url.rsplit("options=", 1)[0]
    schemas = [f"gt_lock_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    admin = create_engine(pg_schema_url)
    with admin.begin() as conn:
        for name in schemas:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    a, b = (Store.open(f"{base}options=-csearch_path%3D{name}") for name in schemas)
    try:
        with job_lock(a, "sync") as first:
            with job_lock(a, "sync") as again, job_lock(b, "sync") as other:
                assert (first, again, other) == (True, False, True)
        with job_lock(a, "sync") as after:
            assert after
    finally:
        a.close()
        b.close()
        with admin.begin() as conn:
            for name in schemas:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
