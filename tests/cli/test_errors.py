"""What an admin sees when something is wrong: one line naming the command, the system and the
variable to fix, and the contract's exit code (2 bad config or usage, 1 a run that failed).

Each test is a case an admin met (issue 17), run through the CLI against the sandbox or a host
that cannot be reached. Retry waits are recorded by an injected sleep, never slept."""

from __future__ import annotations

import socket
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.cli.app import app, move_verbose_first
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.http import transport
from tests.cli.conftest import NOW, point_at
from tests.sync.http.test_transport import Waits

runner = CliRunner()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    """The retry waits of every session the CLI builds, recorded instead of slept."""
    sleep = Waits()
    monkeypatch.setattr(transport, "DEFAULT_POLICY", transport.RetryPolicy(sleep=sleep))
    return sleep


def refused_url() -> str:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def set_space(home: Path, space: str) -> None:
    cfg = home / "goldenthread.yaml"
    text = cfg.read_text()
    assert "  space: IPM" in text
    cfg.write_text(text.replace("  space: IPM", f"  space: {space}"))


def cfg_lines(home: Path) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for number, text in enumerate((home / "goldenthread.yaml").read_text().splitlines(), start=1):
        found.setdefault(text, []).append(number)
    return found


# --- the configured space is the one used -------------------------------------------------


def test_publish_to_a_space_that_does_not_exist_is_a_config_error_and_writes_nothing(
    sandbox: SandboxState, home: Path
) -> None:
    assert runner.invoke(app, ["publish"]).exit_code == 0  # published once to IPM
    writes = sandbox.stats.writes
    set_space(home, "NOPE")
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 2, result.output
    line = next(iter(cfg_lines(home)["  space: NOPE"]))
    # the file, the line to fix and what is wrong, as every config error says it
    assert result.output.startswith(f"goldenthread.yaml:{line} (publish.space): error: Confluence space 'NOPE' "
                                    "does not exist at ")
    assert sandbox.stats.writes == writes  # nothing written anywhere
    assert "unchanged" not in result.output


def test_publish_follows_a_change_of_space_instead_of_updating_the_old_one(
    sandbox: SandboxState, home: Path
) -> None:
    assert runner.invoke(app, ["publish"]).exit_code == 0
    ops = sandbox.confluence.add_space("OPS", "Operations", NOW)
    set_space(home, "OPS")
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 0, result.output
    assert "Roadmap: created" in result.output and "/spaces/OPS/" in result.output
    in_ops = {p.title for p in sandbox.confluence.pages.values() if p.space_id == ops.id}
    assert {"Roadmap", "What's new", "Internal products"} <= in_ops


def test_publish_to_a_missing_space_on_data_center_is_the_same_clear_error(home: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    state = SandboxState.build(seed=5, issues=5, now=NOW, jira_mode="datacenter", confluence_mode="datacenter")
    with start_sandbox(state) as sb:
        point_at(sb, monkeypatch)
        set_space(home, "NOPE")
        result = runner.invoke(app, ["publish"])
    assert result.exit_code == 2, result.output
    assert "'NOPE' does not exist" in result.output and state.stats.writes == 0


# --- errors name the system and its variables --------------------------------------------


def test_a_bad_confluence_token_is_reported_as_confluence_not_jira(
    sandbox: SandboxState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFLUENCE_TOKEN", "not-the-token")
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line.startswith("error: publish failed: ")
    assert "Confluence" in line and "CONFLUENCE_USER / CONFLUENCE_TOKEN" in line
    assert "JIRA" not in line and "Jira refused" not in line
    assert "not-the-token" not in result.output


def test_a_bad_confluence_token_after_a_sync_is_refused_by_confluence_itself(
    sandbox: SandboxState, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["sync"]).exit_code == 0  # caches the deployment: no /serverInfo at publish
    monkeypatch.setenv("CONFLUENCE_TOKEN", "not-the-token")
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert "Confluence refused GET" in line and "/wiki/" in line and "CONFLUENCE_USER / CONFLUENCE_TOKEN" in line


# --- unreachable hosts fail fast, under the command's own name ---------------------------


@pytest.mark.parametrize("command", [["check"], ["fields"], ["sync"]])
def test_a_refused_jira_fails_fast_naming_the_command(home: Path, waits: Waits,
                                                     monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    url = refused_url()
    monkeypatch.setenv("JIRA_URL", url)
    monkeypatch.setenv("JIRA_TOKEN", "t")
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line == (f"error: {command[0]} failed: could not reach Jira at {url} "
                    "(connection refused, 3 attempts): check JIRA_URL")
    assert "assuming" not in result.output  # no guess from the hostname before failing anyway
    assert sum(waits.calls) < 5, waits.calls


def test_an_unresolvable_jira_fails_fast_and_says_so(home: Path, waits: Waits,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # .invalid never resolves (RFC 6761)
    monkeypatch.setenv("JIRA_URL", "https://jira.invalid")
    monkeypatch.setenv("JIRA_TOKEN", "t")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert line.startswith("error: check failed: could not reach Jira at https://jira.invalid")
    assert "host name does not resolve" in line and line.endswith("check JIRA_URL")
    assert sum(waits.calls) < 5, waits.calls


def test_a_refused_confluence_names_confluence_and_its_url(home: Path, waits: Waits,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    url = refused_url()
    monkeypatch.setenv("CONFLUENCE_URL", f"{url}/wiki")
    monkeypatch.setenv("CONFLUENCE_TOKEN", "t")
    result = runner.invoke(app, ["publish"])
    assert result.exit_code == 1, result.output
    [line] = error_lines(result.output)
    assert f"could not reach Confluence at {url} (connection refused" in line and line.endswith("check CONFLUENCE_URL")
    assert sum(waits.calls) < 5


def test_a_url_without_a_scheme_says_what_is_wrong(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", "127.0.0.1:9")
    monkeypatch.setenv("JIRA_TOKEN", "t")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    [line] = error_lines(result.output)
    assert line.startswith("error: check: JIRA_URL='127.0.0.1:9' is not an http(s) URL")
    assert "did you mean https://127.0.0.1:9?" in line
    assert "connection adapters" not in result.output


# --- exit codes: config and usage 2, failed runs 1, everywhere ----------------------------


def test_missing_jira_and_missing_confluence_settings_are_both_exit_2_alike(home: Path) -> None:
    jira = runner.invoke(app, ["check"])
    confluence = runner.invoke(app, ["publish"])
    assert (jira.exit_code, confluence.exit_code) == (2, 2), (jira.output, confluence.output)
    assert error_lines(jira.output)[0].startswith("error: check: Jira is not configured: set JIRA_URL and JIRA_TOKEN")
    assert error_lines(confluence.output)[0].startswith(
        "error: publish: Confluence is not configured: set CONFLUENCE_URL and CONFLUENCE_TOKEN")


def test_a_directory_as_config_is_one_clear_line(home: Path) -> None:
    (home / "configs").mkdir()
    result = runner.invoke(app, ["check", "--offline", "-c", "configs"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == ("configs: error: is a directory; pass the YAML file itself, "
                                     "e.g. -c configs/goldenthread.yaml")


def test_a_database_url_no_driver_takes_is_exit_2_naming_the_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", "foo://user:hunter2@db/gt")
    result = runner.invoke(app, ["metrics"])
    assert result.exit_code == 2, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: metrics: GOLDENTHREAD_DATABASE_URL='foo://user:***@db/gt' is not a database URL")
    assert "hunter2" not in result.output


def test_a_refused_postgresql_is_one_line_and_a_failed_run(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = refused_url().rsplit(":", 1)[1]
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", f"postgresql://gt:hunter2@127.0.0.1:{port}/gt")
    result = runner.invoke(app, ["metrics"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"error: metrics failed: cannot open the store at postgresql://gt:***@127.0.0.1:{port}/gt")
    assert "Connection refused" in lines[0] and "GOLDENTHREAD_DATABASE_URL" in lines[0]
    assert len(lines) == 1 and "sqlalche.me" not in result.output and "hunter2" not in result.output


# --- -v after the command, --version --------------------------------------------------------


def test_verbose_is_accepted_after_the_command(home: Path) -> None:
    for args in (["check", "--offline", "-v"], ["check", "-v", "--offline"], ["-v", "check", "--offline"],
                 ["check", "--offline", "--verbose"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "No such option" not in result.output


def test_verbose_flags_move_in_front_but_not_past_a_double_dash() -> None:
    assert move_verbose_first(["report", "monthly", "-v", "--month", "2026-01"]) == \
        ["-v", "report", "monthly", "--month", "2026-01"]
    assert move_verbose_first(["init", "--", "-v"]) == ["init", "--", "-v"]


def test_version_prints_the_installed_version(home: Path) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"goldenthread {version('goldenthread')}"
