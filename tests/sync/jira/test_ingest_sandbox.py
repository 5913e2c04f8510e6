"""Jira sync against the bundled sandbox over loopback: Cloud and Data Center, incremental cost,
census, and a `goldenthread sync` subprocess killed with SIGKILL mid-run, then rerun."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.sync.context import AppContext
from goldenthread.sync.jira.ingest import REMOVED_REASON, run_sync
from goldenthread.sandbox.server import RunningSandbox, start_sandbox
from goldenthread.sandbox.state import SandboxState
from goldenthread.sync.settings import Settings

CONFIG = """jira:
  backlog_jql: 'labels = internal-product'
fields:
  reach: Reach
  impact: Impact
  confidence: Confidence
  effort: Story Points
  objective: Objective
  stakeholders: Stakeholders
  team: Team
"""


@pytest.fixture(params=["cloud", "datacenter"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    # with the escaping corpus: markup, CDATA ends, RTL text and very long summaries must arrive intact
    state = SandboxState.build(seed=11, issues=260, jira_mode=request.param, hostile=True)
    with start_sandbox(state) as sb:
        yield sb


def ctx_for(sb: RunningSandbox, db_url: str) -> AppContext:
    pat = sb.state.jira_mode == "datacenter"
    settings = Settings(jira_url=sb.jira_url, jira_user="" if pat else sb.user,
                        jira_token=SecretStr(sb.token))  # type: ignore[arg-type]
    config, lines = parse_config(CONFIG)
    return AppContext(settings=settings, config=config, lines=lines, database_url=db_url)


def expected_history(sb: RunningSandbox) -> dict[str, list[tuple[str | None, str]]]:
    out: dict[str, list[tuple[str | None, str]]] = {}
    for issue in sb.state.data.backlog_issues():
        steps = []
        for h in sorted(issue.histories, key=lambda h: (h.created, h.id)):
            steps += [(it.from_string, it.to_string or "") for it in h.items if it.field_id == "status"]
        out[issue.key] = steps
    return out


def test_full_then_incremental_then_census(sandbox: RunningSandbox, store_url: str) -> None:
    ctx = ctx_for(sandbox, store_url)
    result = run_sync(ctx)
    backlog = sandbox.state.data.backlog_issues()
    assert result.upserted == len(backlog) and result.census
    stored = {i.key: i for i in ctx.store.load_issues()}
    assert set(stored) == {i.key for i in backlog}
    got: dict[str, list[tuple[str | None, str]]] = {k: [] for k in stored}
    for c in ctx.store.load_status_changes():
        got[c.issue_key].append((c.from_status, c.to_status))
    assert got == expected_history(sandbox)
    assert {k: i.summary for k, i in stored.items()} == {i.key: i.summary for i in backlog}
    assert any("<script>" in i.summary for i in stored.values())
    sample = backlog[0]
    assert stored[sample.key].status == sample.status
    reach_id = sandbox.state.data.field_by_name("Reach").id  # type: ignore[union-attr]
    want = sample.custom.get(reach_id)
    assert stored[sample.key].reach == (float(want) if want is not None else None)

    sandbox.state.stats.reset()
    again = run_sync(ctx)
    assert again.mode == "incremental" and again.requests <= 2
    assert sandbox.state.stats.snapshot()["total"] <= 2

    # relabel one issue out of the backlog: the census marks it removed, with why
    gone = backlog[3]
    gone.labels = [x for x in gone.labels if x != "internal-product"]
    gone.updated = sandbox.state.data.now + timedelta(minutes=1)
    sandbox.state.bump()
    third = run_sync(ctx)
    assert third.removed == 1
    [(key, _at, why)] = ctx.store.load_removed()
    assert key == gone.key and why == REMOVED_REASON


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_sync_then_rerun_equals_clean_sync(tmp_path: Path) -> None:
    state = SandboxState.build(seed=5, issues=1500, jira_mode="cloud")
    state.faults.latency_ms = 30  # slow enough that the kill lands mid-run
    cfg = tmp_path / "goldenthread.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    killed_db = tmp_path / "killed.db"
    with start_sandbox(state) as sb:
        env = {**os.environ, "JIRA_URL": sb.jira_url, "JIRA_USER": sb.user, "JIRA_TOKEN": sb.token,
               "GOLDENTHREAD_DATABASE_URL": f"sqlite:///{killed_db}", "GOLDENTHREAD_CONFIG": str(cfg)}
        proc = subprocess.Popen([sys.executable, "-m", "goldenthread", "sync"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            # wait for the condition "some pages committed", then kill -9 the process
            while _count(killed_db, "issues") == 0 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert proc.poll() is None, "the sync finished before it could be killed"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        partial = _count(killed_db, "issues")
        total = len(state.data.backlog_issues())
        assert 0 < partial < total
        state.faults.latency_ms = 0
        resumed = ctx_for(sb, f"sqlite:///{killed_db}")
        run_sync(resumed)
        clean = ctx_for(sb, f"sqlite:///{tmp_path / 'clean.db'}")
        run_sync(clean)
        assert resumed.store.load_issues(include_removed=True) == clean.store.load_issues(include_removed=True)
        assert resumed.store.load_status_changes() == clean.store.load_status_changes()
