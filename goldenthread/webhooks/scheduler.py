"""Cron jobs inside `serve` (periodic sync safety net, monthly report), once per tick across
replicas.

Each tick is claimed by inserting (job, slot) into job_runs: the unique constraint lets exactly
one replica win, on SQLite and PostgreSQL alike. On PostgreSQL the run also holds a session
advisory lock per job, so a long sync on one replica never overlaps the next tick's run on
another (that tick is recorded as `skipped`).

Tests: tests/webhooks/test_replicas.py"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store import Store
from goldenthread.sync.store.jobs import job_lock, save_job_claim, save_job_result
from goldenthread.webhooks.observability import Metrics

log = logging.getLogger("goldenthread.scheduler")


@dataclass(frozen=True)
class Job:
    cron: str
    run: Callable[[datetime], Mapping[str, Any] | None]  # gets the tick it runs for


def compute_last_slot(cron: str, now: datetime) -> datetime:
    """The most recent tick at or before `now` (UTC)."""
    it = croniter(cron, now + timedelta(microseconds=1))
    return parse_datetime(it.get_prev(datetime))  # type: ignore[return-value]


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
        with job_lock(self.store, name) as allowed:
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
