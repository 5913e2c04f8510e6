"""Two `goldenthread serve` processes on one PostgreSQL store (the replica deployment), against
the sandbox on loopback: every delivery, whichever replica it reached and however often, is
processed exactly once, and the scheduled sync runs once although both replicas see its tick.
One replica runs its worker in-process, the other with --worker-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from goldenthread.cli.demo import _demo_people, build_demo_config
from goldenthread.sandbox import RunningSandbox, SandboxState
from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import load_events
from goldenthread.sync.store.jobs import load_job_runs
from goldenthread.webhooks.signature import build_signature
from tests.webhooks.test_serve_process import ROOT, SECRET, _free_port, sandbox, status_webhook_of, wait_for

__all__ = ["sandbox"]  # the fixture, shared with test_serve_process


def status_webhooks(sb: RunningSandbox, state: SandboxState) -> list[tuple[str, bytes]]:
    """`jira:issue_updated` for the latest status change of every backlog issue that has one."""
    return [(issue.key, status_webhook_of(sb, state, issue))
            for issue in sorted(state.data.backlog_issues(), key=lambda i: i.key)
            if issue.histories and issue.histories[-1].items[0].field == "status"]


def _log_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


Replica = tuple[subprocess.Popen[bytes], Path, httpx.Client]


def wait_all(what: str, check: Callable[[], Any], replicas: list[Replica], timeout: float) -> Any:
    """`wait_for` watching every replica: polls `check` until truthy, fails early if one exits."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        for proc, log, _ in replicas:
            if proc.poll() is not None:
                pytest.fail(f"{log.name}: serve exited with {proc.returncode} while waiting for {what}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n" + "\n".join(log.read_text()[-2000:] for _, log, _ in replicas))
        time.sleep(0.1)
    return value


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_two_serve_processes_on_postgresql_process_each_event_once_and_run_the_sync_once(
    tmp_path: Path, store_url: str, sandbox: tuple[RunningSandbox, SandboxState]
) -> None:
    sb, state = sandbox
    # a daily sync whose last tick was a minute ago: due at start (within the grace period) on
    # both replicas, and no second tick while the test runs
    tick = datetime.now(UTC) - timedelta(minutes=1)
    people, rules = _demo_people()
    config = tmp_path / "goldenthread.yaml"
    config.write_text(build_demo_config(people, rules, state.data.now)
                      + f"\nschedule:\n  sync: '{tick.minute} {tick.hour} * * *'\n  monthly_report: null\n", encoding="utf-8")
    env = {
        **os.environ,
        "JIRA_URL": sb.jira_url, "JIRA_USER": sb.user, "JIRA_TOKEN": sb.token,
        "CONFLUENCE_URL": sb.confluence_url, "CONFLUENCE_USER": sb.user, "CONFLUENCE_TOKEN": sb.token,
        "GOLDENTHREAD_DATABASE_URL": store_url, "GOLDENTHREAD_WEBHOOK_SECRET": SECRET,
    }
    hooks = status_webhooks(sb, state)
    assert len(hooks) >= 5
    replicas: list[Replica] = []
    try:
        for name, mode in (("a", []), ("b", ["--worker-process"])):
            port, log = _free_port(), tmp_path / f"serve-{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "goldenthread", "serve", "--config", str(config), "--host", "127.0.0.1",
                     "--port", str(port), *mode],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                )
            replicas.append((proc, log, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)))
        for proc, log, client in replicas:
            wait_for("/healthz", lambda c=client: c.get("/healthz").status_code == 200, proc, log, timeout=60)  # type: ignore[misc]

        # every delivery reaches both replicas (a redelivery landing elsewhere), alternating which
        # gets it first; deliveries without an identifier collapse on the body hash instead
        for i, (_key, body) in enumerate(hooks):
            headers = {"Content-Type": "application/json", "X-Hub-Signature": build_signature(SECRET, body)}
            if i % 3:
                headers["X-Atlassian-Webhook-Identifier"] = f"replicas-{i}"
            order = replicas if i % 2 else replicas[::-1]
            answers = [client.post("/webhooks/jira", content=body, headers=headers) for _, _, client in order]
            assert [(r.status_code, r.json()["duplicate"]) for r in answers] == [(202, False), (202, True)]

        store = Store.open(store_url)
        try:
            def all_done() -> list[dict[str, object]] | None:
                rows = load_events(store)
                return rows if len(rows) == len(hooks) and all(r["status"] != "pending" and r["status"] != "processing"
                                                               for r in rows) else None

            rows = wait_all("every event processed", all_done, replicas, timeout=90)
            # one row per delivery (its redelivery counted), claimed once, applied once
            assert [(r["issue_key"], r["status"], r["attempts"], r["duplicates"]) for r in rows] == [
                (key, "done", 1, 1) for key, _ in hooks
            ]
            # claimed_by is "<host>:<serve pid>:<nonce>/<worker>": only the two serve processes claimed
            pids = {str(p.pid) for p, _, _ in replicas}
            assert {str(r["claimed_by"]).rsplit("/", 1)[0].rsplit(":", 2)[1] for r in rows} <= pids

            def processed_counted() -> float | None:
                # the worker counters of both replicas (b's relayed from its worker process)
                total = sum(sample.value for _, _, client in replicas
                            for family in text_string_to_metric_families(client.get("/metrics").text)
                            if family.name == "goldenthread_webhook_events_processed" for sample in family.samples
                            if sample.name.endswith("_total"))
                return total if total >= len(hooks) else None

            assert wait_all("the processed counters", processed_counted, replicas, timeout=30) == len(hooks)

            def tick_seen_by_both() -> list[list[str]] | None:
                msgs = [[str(line["msg"]) for line in _log_lines(log) if line.get("job") == "sync"]
                        for _, log, _ in replicas]
                return msgs if all(msgs) and any("job ok" in m for m in msgs) else None

            msgs = wait_all("both schedulers at the sync tick", tick_seen_by_both, replicas, timeout=120)
            assert sorted(m for ms in msgs for m in ms) == ["job ok", "job tick claimed by another replica"]
            runs = [(r["job"], r["status"]) for r in load_job_runs(store)]
            assert runs == [("sync", "ok")]
            assert [r["status"] for r in store.load_runs(limit=10) if r["kind"] == "sync"] == ["ok"]
        finally:
            store.close()

        for proc, _, _ in replicas:
            proc.send_signal(signal.SIGTERM)
        for proc, log, _ in replicas:
            assert proc.wait(timeout=40) == 0, log.read_text()[-3000:]
    finally:
        for proc, _, client in replicas:
            client.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for _, log, _ in replicas:
        assert "Traceback" not in log.read_text()
