"""`goldenthread serve` as a real process: started like an admin would (env + --config), against
the sandbox on loopback; signed webhook in, worker and scheduled sync at work, the operations
endpoints answer, and SIGTERM ends it cleanly (exit 0, shutdown logged, no traceback)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from goldenthread.cli.demo import _demo_people, build_demo_config
from goldenthread.sandbox import RunningSandbox, SandboxState, start_sandbox
from goldenthread.sandbox.jira_render import render_history, render_user
from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import load_events
from goldenthread.webhooks.signature import build_signature

SECRET = "whsec-serve-process-5f1c0e"
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> Any:
    """Poll an external process until `check` returns something truthy (it is not ours to signal us)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"serve exited with {proc.returncode} while waiting for {what}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)


@pytest.fixture
def sandbox() -> Iterator[tuple[RunningSandbox, SandboxState]]:
    state = SandboxState.build(seed=11, issues=30)
    with start_sandbox(state) as sb:
        yield sb, state


def status_webhook(sb: RunningSandbox, state: SandboxState) -> tuple[str, bytes]:
    """A `jira:issue_updated` for the latest status change of a backlog issue, as Jira sends it."""
    issue = next(i for i in sorted(state.data.backlog_issues(), key=lambda i: i.key)
                 if i.histories and i.histories[-1].items[0].field == "status")
    return issue.key, status_webhook_of(sb, state, issue)


def status_webhook_of(sb: RunningSandbox, state: SandboxState, issue: Any) -> bytes:
    """The `jira:issue_updated` body Jira sends for `issue`'s latest history (a status change)."""
    history = issue.histories[-1]
    raw_issue = httpx.get(f"{sb.url}/rest/api/2/issue/{issue.key}", auth=(sb.user, sb.token)).json()
    rendered = render_history(history, issue, state.data, "cloud2", sb.url)
    assert rendered is not None
    author = state.data.users_by_name[history.author] if history.author else state.data.users[0]
    payload = {
        "timestamp": int(history.created.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": render_user(author, "cloud2", sb.url),
        "issue": raw_issue,
        "changelog": {"id": rendered["id"], "items": rendered["items"]},
    }
    return json.dumps(payload).encode()


@pytest.mark.parametrize("mode", [[], ["--worker-process"]], ids=["worker-thread", "worker-process"])
def test_serve_process_accepts_processes_reports_and_stops_on_sigterm(
    tmp_path: Path, sandbox: tuple[RunningSandbox, SandboxState], mode: list[str]
) -> None:
    sb, state = sandbox
    people, rules = _demo_people()
    config = tmp_path / "goldenthread.yaml"
    config.write_text(build_demo_config(people, rules, state.data.now), encoding="utf-8")
    db_url = f"sqlite:///{tmp_path / 'gt.db'}"
    port = _free_port()
    env = {
        **os.environ,
        "JIRA_URL": sb.jira_url, "JIRA_USER": sb.user, "JIRA_TOKEN": sb.token,
        "CONFLUENCE_URL": sb.confluence_url, "CONFLUENCE_USER": sb.user, "CONFLUENCE_TOKEN": sb.token,
        "GOLDENTHREAD_DATABASE_URL": db_url, "GOLDENTHREAD_WEBHOOK_SECRET": SECRET,
    }
    key, body = status_webhook(sb, state)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # `python -m goldenthread` rather than the console script: the venv's script can be stale
        proc = subprocess.Popen(
            [sys.executable, "-m", "goldenthread", "serve", "--config", str(config), "--host", "127.0.0.1",
             "--port", str(port), *mode],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_for("/healthz", lambda: client.get("/healthz").status_code == 200, proc, log)
            assert client.get("/healthz").json() == {"status": "ok"}

            unsigned = client.post("/webhooks/jira", content=body, headers={"Content-Type": "application/json"})
            assert unsigned.status_code == 401
            headers = {"Content-Type": "application/json", "X-Hub-Signature": build_signature(SECRET, body),
                       "X-Atlassian-Webhook-Identifier": "serve-process-1"}
            accepted = client.post("/webhooks/jira", content=body, headers=headers)
            assert (accepted.status_code, accepted.json()) == (202, {"status": "accepted", "duplicate": False})
            again = client.post("/webhooks/jira", content=body, headers=headers)
            assert (again.status_code, again.json()) == (202, {"status": "accepted", "duplicate": True})

            def processed() -> str | None:
                # with --worker-process the worker counts in the child, which relays to this /metrics
                text = client.get("/metrics").text
                return text if 'goldenthread_webhook_events_processed_total{action="fetch",event="jira:issue_updated"} 1.0' in text else None

            metrics = wait_for("the event to be processed", processed, proc, log)
            assert 'goldenthread_webhook_requests_rejected_total{code="401"} 1.0' in metrics
            assert "goldenthread_webhook_events_duplicate_total 1.0" in metrics
            assert "goldenthread_inbox_depth 0.0" in metrics

            # the periodic sync is due at start (its last tick is within the grace period)
            # finished, not just started: /readyz shows a sync in progress as "running"
            ready = wait_for("the scheduled sync to finish",
                             lambda: (r := client.get("/readyz").json()).get("last_sync")
                             and r["last_sync"]["status"] != "running" and r, proc, log)
            assert ready["status"] == "ready" and ready["last_sync"]["status"] == "ok"
            # the scheduler's and the Jira client's counters too, whichever process they ran in
            wait_for("the sync's counters", lambda: 'goldenthread_job_runs_total{job="sync",status="ok"} 1.0'
                     in client.get("/metrics").text, proc, log)
            assert 'goldenthread_atlassian_requests_total{service="jira",status="200"}' in client.get("/metrics").text

            page = client.get("/")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert SECRET not in page.text and sb.token not in page.text
            assert client.get("/docs").status_code == 200

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line["msg"] == "stopped on SIGTERM" for line in lines), text[-3000:]
    assert "Traceback" not in text
    assert SECRET not in text and sb.token not in text

    store = Store.open(db_url)
    try:
        assert [(e["issue_key"], e["status"], e["duplicates"]) for e in load_events(store)] == [(key, "done", 1)]
        assert store.load_issue(key) is not None
        runs = store.load_runs(limit=5)
        assert [r["status"] for r in runs if r["kind"] == "sync"][:1] == ["ok"]
    finally:
        store.close()
