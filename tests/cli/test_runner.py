"""How a command runs: where its log lines go, and which exit code each failure gives."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console
from rich.logging import RichHandler

import typer

from goldenthread.cli import runner
from goldenthread.mappings.config import ConfigError, ConfigProblem


def test_logs_go_through_rich_on_a_terminal_so_they_share_the_progress_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for terminal in (True, False):
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=terminal, width=100)
        monkeypatch.setattr(runner, "err", console)
        monkeypatch.setattr("sys.stderr", buf)
        runner.setup_logging(False)
        try:
            handler = runner._log_handler
            assert isinstance(handler, RichHandler) is terminal
            if terminal:
                assert handler.console is console  # the console progress bars are drawn on
            logging.getLogger("goldenthread.test").info("hello from the log")
        finally:
            runner._remove_log_handler()
        assert "hello from the log" in buf.getvalue()
        assert handler not in logging.getLogger().handlers


class _Refused(Exception):
    exit_code = 3


@pytest.mark.parametrize(("failure", "code", "says"), [
    (ConfigError([ConfigProblem("gt.yaml", 4, "jira.backlog_jql", "bad")]), 2, "gt.yaml:4 (jira.backlog_jql): error: bad"),
    (RuntimeError("boom"), 1, "error: check failed: boom"),
    (_Refused("not allowed"), 3, "error: check: not allowed"),
])  # fmt: skip
def test_guarded_turns_each_failure_into_one_line_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, failure: Exception, code: int, says: str,
) -> None:
    buf = io.StringIO()
    monkeypatch.setattr(runner, "err", Console(file=buf, width=200))
    monkeypatch.setattr(runner, "setup_logging", lambda verbose: None)

    def body() -> None:
        raise failure

    with pytest.raises(typer.Exit) as info:
        runner.guarded("check", body)
    assert info.value.exit_code == code
    assert says in buf.getvalue()
