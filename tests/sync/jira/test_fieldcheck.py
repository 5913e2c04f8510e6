"""`goldenthread check` and `goldenthread fields` against the sandbox's live /field list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.sandbox.server import RunningSandbox, start_sandbox
from goldenthread.sandbox.state import SandboxState

CONFIG = """jira:
  backlog_jql: 'labels = internal-product'
fields:
  reach: Reach
  impact: Impact
  confidence: Confidance
  effort: Story point estimate
  objective: Objective
  stakeholders: Stakeholders
  adoption: Adoption ratio
  team: objective
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_sandbox(SandboxState.build(seed=3, issues=20)) as sb:
        yield sb


@pytest.fixture
def env(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JIRA_URL", sandbox.jira_url)
    monkeypatch.setenv("JIRA_USER", sandbox.user)
    monkeypatch.setenv("JIRA_TOKEN", sandbox.token)
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", f"sqlite:///{tmp_path / 'gt.db'}")
    cfg = tmp_path / "goldenthread.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return cfg


def test_check_reports_unknown_type_duplicate_and_optional(env: Path) -> None:
    from goldenthread.cli.app import app

    result = CliRunner().invoke(app, ["check", "--config", str(env)])
    assert result.exit_code == 2, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    text = "\n".join(lines)
    # line numbers: jira(1) backlog(2) fields(3) reach(4) impact(5) confidence(6) effort(7) objective(8) ...
    assert f"{env}:6 (fields.confidence): error: no Jira field named or with id 'Confidance'; did you mean 'Confidence'" in text
    # a text field mapped to effort (the sandbox's "Story point estimate" is a textfield)
    assert f"{env}:7 (fields.effort): error: 'Story point estimate' (customfield_10016) is a string field" in text
    assert f"{env}:11 (fields.team): error:" in text and "also mapped to objective" in text
    assert f"{env}:10 (fields.adoption): warning:" in text and "did you mean 'Adoption rate'" in text


def test_check_offline_finds_the_duplicate_without_jira(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from goldenthread.cli.app import app

    monkeypatch.setenv("JIRA_URL", "http://127.0.0.1:9")  # nothing listens: offline must not call it
    result = CliRunner().invoke(app, ["check", "--offline", "--config", str(env)])
    assert result.exit_code == 2, result.output
    assert f"{env}:11 (fields.team): error: 'objective' is already mapped to objective" in " ".join(result.output.split())


def test_fields_lists_id_name_type(env: Path) -> None:
    from goldenthread.cli.app import app

    result = CliRunner().invoke(app, ["fields", "--json", "--config", str(env)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Reach"]["id"] == "customfield_10100" and by_name["Reach"]["type"] == "number"
    assert by_name["Stakeholders"]["type"] == "array of user"
    assert rows[0]["custom"] is True  # custom fields first: those are what admins map
