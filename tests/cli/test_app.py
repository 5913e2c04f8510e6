"""`init`, `check --offline` and settings: exit codes and messages from the user's side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.sync.settings import Settings
from goldenthread.cli.app import app

runner = CliRunner()


def test_init_writes_a_starter_that_check_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "backlog_jql" in (tmp_path / "goldenthread.yaml").read_text()
    again = runner.invoke(app, ["init"])
    assert again.exit_code == 2 and "already exists" in again.output
    checked = runner.invoke(app, ["check", "--offline"])
    assert checked.exit_code == 0, checked.output


def test_check_names_line_and_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "gt.yaml"
    cfg.write_text("jira:\n  backlog_jql: x\nprioritisation:\n  next_size: -3\n")
    result = runner.invoke(app, ["check", "--offline", "-c", str(cfg)])
    assert result.exit_code == 2
    assert f"{cfg}:4 (prioritisation.next_size)" in result.output


def test_missing_config_file_says_how_to_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "--offline", "-c", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "goldenthread init" in result.output


def test_settings_read_environment_and_hide_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", "https://example.atlassian.net")
    monkeypatch.setenv("JIRA_TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", "postgresql://db/gt")
    s = Settings()
    assert s.jira_url == "https://example.atlassian.net"
    assert s.goldenthread_database_url == "postgresql://db/gt"
    assert "s3cr3t-token-value" not in repr(s) and "s3cr3t-token-value" not in str(s.model_dump())
    assert s.secrets() == ["s3cr3t-token-value"]


def test_bad_usage_exit_2() -> None:
    result = runner.invoke(app, ["metrics", "--format", "xml"])
    assert result.exit_code == 2


def test_metrics_on_a_store_nothing_synced_says_so_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", f"sqlite:///{tmp_path}/fresh.db")
    result = runner.invoke(app, ["metrics", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backlog"]["total"] == 0  # stdout stays plain JSON
    assert "no sync has run" in result.stderr and "goldenthread sync" in result.stderr


def test_config_bombs_exit_2_with_one_line(tmp_path: Path) -> None:
    from tests.mappings.test_config import BILLION_LAUGHS

    bomb, big = tmp_path / "bomb.yaml", tmp_path / "big.yaml"
    bomb.write_text(BILLION_LAUGHS)
    big.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    for path, why in ((bomb, "aliases"), (big, "over 1024 KiB")):
        result = runner.invoke(app, ["check", "--offline", "-c", str(path)])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(str(path)) and "refused" in lines[0] and why in lines[0]
