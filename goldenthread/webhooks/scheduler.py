"""Cron jobs inside `serve` (periodic sync safety net, monthly report), once per tick across
replicas.

Each tick is claimed by inserting (job, slot) into job_runs: the unique constraint lets exactly
one replica win, on SQLite and PostgreSQL alike. On PostgreSQL the run also holds a session
advisory lock per job, so a long sync on one replica never overlaps the next tick's run on
another (that tick is recorded as `skipped`)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from goldenthread.sync import schema as t
from goldenthread.sync.store import Store, utc
from goldenthread.webhooks.observability import Metrics

log = logging.getLogger("goldenthread.scheduler")
runs = t.job_runs


@dataclass(frozen=True)
class Job:
    cron: str
    run: Callable[[datetime], Mapping[str, Any] | None]  # gets the tick it runs for


def compute_last_slot(cron: str, now: datetime) -> datetime:
    """The most recent tick at or before `now` (UTC)."""
    it = croniter(cron, now + timedelta(microseconds=1))
    return utc(it.get_prev(datetime))  # type: ignore[return-value]


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


def _lock_id(job: str) -> int:
    return int.from_bytes(hashlib.sha256(f"goldenthread:{job}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _job_lock(store: Store, job: str) -> Any:
    """Yield True when this replica may run `job` now (always on SQLite, advisory lock on PG)."""
    if store.dialect != "postgresql":
        yield True
        return
    with store.engine.connect() as conn:
        got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(job)}))
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(job)})
                conn.commit()


class Scheduler:
    def __init__(
        self,
        store: Store,
        jobs: Mapping[str, Job],
        metrics: Metrics,
        *,
        replica: str,
        clock: Callable[[], datetime],
        grace: timedelta = timedelta(hours=1),
    ) -> None:
        # `grace`: a tick missed while every replica was down still runs if we start within it
        self.store, self.jobs, self.metrics = store, dict(jobs), metrics
        self.replica, self.clock, self.grace = replica, clock, grace
        self._seen: dict[str, datetime] = {}

    def run_once(self) -> list[tuple[str, datetime, str]]:
        """Run every due tick this replica wins; returns (job, slot, status) for each claimed."""
        done = []
        for name, job in self.jobs.items():
            now = self.clock()
            slot = compute_last_slot(job.cron, now)
            if now - slot > self.grace or self._seen.get(name) == slot:
                continue
            self._seen[name] = slot
            run_id = save_job_claim(self.store, name, slot, self.replica, now)
            if run_id is None:
                # once per tick and replica: says which replicas saw the tick, not only the winner
                log.info("job tick claimed by another replica", extra={"gt_job": name, "gt_slot": slot.isoformat()})
                continue
            done.append((name, slot, self._run(name, job, slot, run_id)))
        return done

    def _run(self, name: str, job: Job, slot: datetime, run_id: int) -> str:
        extra = {"gt_job": name, "gt_slot": slot.isoformat()}
        with _job_lock(self.store, name) as allowed:
            if not allowed:
                save_job_result(self.store, run_id, "skipped", self.clock(), "previous run still in progress")
                self.metrics.job_runs.labels(name, "skipped").inc()
                log.warning("job skipped: previous run still in progress", extra=extra)
                return "skipped"
            started = time.monotonic()
            try:
                stats = job.run(slot) or {}
            except Exception as exc:  # noqa: BLE001 - recorded; the next tick tries again
                save_job_result(self.store, run_id, "failed", self.clock(), f"{type(exc).__name__}: {exc}"[:2000])
                self.metrics.job_runs.labels(name, "failed").inc()
                log.error("job failed: %s: %s", type(exc).__name__, exc, extra=extra)
                return "failed"
            finally:
                self.metrics.sync_duration.labels(name).observe(time.monotonic() - started)
        issues = stats.get("issues") if isinstance(stats, Mapping) else None
        if isinstance(issues, int):
            self.metrics.sync_issues.inc(issues)
        save_job_result(self.store, run_id, "ok", self.clock())
        self.metrics.job_runs.labels(name, "ok").inc()
        log.info("job ok", extra=extra)
        return "ok"

    def run(self, stop: threading.Event, interval: float = 5.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - store outage: try again next interval
                log.exception("scheduler loop error")
            stop.wait(interval)
