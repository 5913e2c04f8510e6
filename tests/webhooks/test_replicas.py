"""Several workers / schedulers on one store; kill -9 mid-event; serve refuses without a secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from goldenthread.sync.store.inbox import load_events
from goldenthread.webhooks.observability import Metrics
from goldenthread.sync.store.jobs import load_job_runs
from goldenthread.webhooks.scheduler import Job, Scheduler, compute_last_slot
from tests.webhooks.helpers import FakeClock, FakeJira, updated_payload
from tests.webhooks.test_worker import drain, enqueue, make_worker

ROOT = Path(__file__).resolve().parents[2]


def test_two_workers_process_every_event_exactly_once(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    keys = [f"IPM-{i}" for i in range(60)]
    for k in keys:
        jira.full(k)
        enqueue(store, clock, updated_payload(k), ident=f"e-{k}")
    workers = [make_worker(store, jira, clock, worker_id=f"w{i}", batch=3) for i in range(2)]
    start = threading.Barrier(2)
    claimed: dict[str, int] = {}

    def run(w):  # type: ignore[no-untyped-def]
        start.wait()
        claimed[w.worker_id] = drain(w)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(jira.fetched) == sorted(keys)  # each once, none twice
    assert sum(claimed.values()) == len(keys)
    rows = load_events(store)
    assert {r["status"] for r in rows} == {"done"} and all(r["attempts"] == 1 for r in rows)


def test_two_schedulers_run_each_tick_once(store) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC))
    calls: list[tuple[str, datetime]] = []
    lock = threading.Lock()

    def job(name):  # type: ignore[no-untyped-def]
        def run(slot):  # type: ignore[no-untyped-def]
            with lock:
                calls.append((name, slot))
            return {"issues": 3}
        return run

    jobs = {"sync": Job("*/15 * * * *", job("sync")), "monthly_report": Job("0 8 1 * *", job("monthly"))}
    scheds = [Scheduler(store, jobs, Metrics(), replica=f"r{i}", clock=clock) for i in range(2)]
    for _ in range(3):  # three sync ticks: 09:00, 09:15, 09:30
        barrier = threading.Barrier(2)

        def tick(s):  # type: ignore[no-untyped-def]
            barrier.wait()
            s.run_once()
            s.run_once()  # a second look at the same tick changes nothing

        threads = [threading.Thread(target=tick, args=(s,)) for s in scheds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        clock.advance(15 * 60)
    slots = [datetime(2026, 11, 2, 9, m, tzinfo=UTC) for m in (0, 15, 30)]
    assert sorted(calls) == [("sync", s) for s in slots]  # monthly: last tick Nov 1st 08:00, past grace
    runs = load_job_runs(store)
    assert sorted((r["job"], r["status"]) for r in runs) == [("sync", "ok")] * 3


def test_missed_tick_within_grace_runs_once_on_start(store) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2026, 12, 1, 8, 20, tzinfo=UTC))
    months = []
    s = Scheduler(store, {"monthly_report": Job("0 8 1 * *", lambda slot: months.append(slot))}, Metrics(), replica="r", clock=clock)
    s.run_once()
    Scheduler(store, {"monthly_report": Job("0 8 1 * *", lambda slot: months.append(slot))}, Metrics(), replica="r2", clock=clock).run_once()
    assert months == [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]


def test_compute_last_slot_on_the_tick() -> None:
    assert compute_last_slot("*/15 * * * *", datetime(2026, 1, 1, 10, 15, tzinfo=UTC)) == datetime(2026, 1, 1, 10, 15, tzinfo=UTC)
    assert compute_last_slot("*/15 * * * *", datetime(2026, 1, 1, 10, 14, 59, tzinfo=UTC)) == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_advisory_lock_skips_a_tick_while_previous_run_is_running(pg_schema_url) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store import Store

    store = Store.open(pg_schema_url)
    try:
        clock = FakeClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        started, release = threading.Event(), threading.Event()

        def slow(slot):  # type: ignore[no-untyped-def]
            started.set()
            release.wait(60)

        a = Scheduler(store, {"lockjob": Job("*/15 * * * *", slow)}, Metrics(), replica="a", clock=clock)
        b = Scheduler(store, {"lockjob": Job("*/15 * * * *", lambda s: None)}, Metrics(), replica="b", clock=clock)
        t = threading.Thread(target=a.run_once)
        t.start()
        assert started.wait(30)
        clock.advance(15 * 60)
        assert b.run_once() == [("lockjob", datetime(2026, 11, 2, 9, 15, tzinfo=UTC), "skipped")]
        release.set()
        t.join(30)
        statuses = sorted((r["replica"], r["status"]) for r in load_job_runs(store) if r["job"] == "lockjob")
        assert statuses == [("a", "ok"), ("b", "skipped")]
    finally:
        store.close()


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_replicas_opening_a_fresh_postgresql_store_together_all_start(store_url) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store import Store

    barrier = threading.Barrier(4)
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        barrier.wait()
        try:
            opened.append(Store.open(store_url))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert errors == [] and len(opened) == 4
        assert opened[0].count("webhook_inbox") == 0
    finally:
        for s in opened:
            s.close()


def test_worker_killed_mid_event_is_processed_after_restart(store, store_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(datetime.now(UTC)), FakeJira()
    jira.full("IPM-9")
    enqueue(store, clock, updated_payload("IPM-9"), ident="kill-me")
    marker = tmp_path / "claimed"
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.webhooks.hang_worker", store_url, str(marker)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():  # waiting for a condition, not for a race
            assert proc.poll() is None, "worker subprocess exited early"
            assert time.monotonic() < deadline, "worker never claimed the event"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    (row,) = load_events(store)
    assert (row["status"], row["claimed_by"]) == ("processing", "doomed")
    restarted = make_worker(store, jira, clock, worker_id="restarted", lease=timedelta(minutes=5))
    claimed_at = row["claimed_at"].replace(tzinfo=UTC) if row["claimed_at"].tzinfo is None else row["claimed_at"]
    clock.now = claimed_at + timedelta(minutes=4)
    assert drain(restarted) == 0  # lease still held by the dead worker
    clock.now = claimed_at + timedelta(minutes=5, seconds=1)
    assert drain(restarted) == 1
    (row,) = load_events(store)
    assert (row["status"], row["claimed_by"], row["attempts"]) == ("done", "restarted", 2)
    assert store.load_live_keys() == {"IPM-9"}


def test_serve_refuses_to_start_without_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "goldenthread.yaml"
    cfg.write_text("jira:\n  backlog_jql: 'labels = internal-product'\n")
    env = {k: v for k, v in os.environ.items() if k != "GOLDENTHREAD_WEBHOOK_SECRET"}
    env |= {"GOLDENTHREAD_DATABASE_URL": f"sqlite:///{tmp_path / 'gt.db'}", "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-m", "goldenthread", "serve", "--config", str(cfg), "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert res.returncode == 2
    assert "GOLDENTHREAD_WEBHOOK_SECRET" in res.stderr and "--insecure-no-signature" in res.stderr
    assert not (tmp_path / "gt.db").exists()  # refused before touching anything
