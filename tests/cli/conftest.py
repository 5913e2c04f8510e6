"""CLI test fixtures: a clean working directory and a sandbox the environment points at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.cli.app import app
from goldenthread.sandbox import RunningSandbox, SandboxState, start_sandbox
from goldenthread.sandbox.state import DEFAULT_TOKEN, DEFAULT_USER

ENV_VARS = ("JIRA_URL", "JIRA_USER", "JIRA_TOKEN", "CONFLUENCE_URL", "CONFLUENCE_USER", "CONFLUENCE_TOKEN",
            "GOLDENTHREAD_CONFIG", "GOLDENTHREAD_DATABASE_URL", "GOLDENTHREAD_WEBHOOK_SECRET")
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def bare_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working directory with a fresh store and no Atlassian settings (no config file)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", f"sqlite:///{tmp_path / 'gt.db'}")
    return tmp_path


@pytest.fixture
def home(bare_home: Path) -> Path:
    """`bare_home` with the starter goldenthread.yaml `init` writes."""
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    return bare_home


def point_at(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """JIRA_* and CONFLUENCE_* as an admin would export them for this sandbox."""
    for prefix, url in (("JIRA", sandbox.jira_url), ("CONFLUENCE", sandbox.confluence_url)):
        monkeypatch.setenv(f"{prefix}_URL", url)
        monkeypatch.setenv(f"{prefix}_USER", DEFAULT_USER)
        monkeypatch.setenv(f"{prefix}_TOKEN", DEFAULT_TOKEN)


@pytest.fixture
def sandbox(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxState]:
    """A small sandbox (20 issues) the environment points at, with the starter config."""
    state = SandboxState.build(seed=5, issues=20, now=NOW)
    with start_sandbox(state) as running:
        point_at(running, monkeypatch)
        yield state
