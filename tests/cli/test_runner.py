"""How a command runs: where its log lines go, and which exit code each failure gives."""

from __future__ import annotations

import io
import logging
from typing import cast

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


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("tty", "env", "built", "terminal"), [
    (False, {}, False, False),  # a pipe: answered without building rich's console
    (True, {}, True, True),
    (False, {"FORCE_COLOR": "1"}, True, True),  # rich's own rules decide once one is set
    (False, {"TTY_COMPATIBLE": "0"}, True, False),
])  # fmt: skip
def test_the_cli_console_is_built_only_when_rich_must_answer(
    monkeypatch: pytest.MonkeyPatch, tty: bool, env: dict[str, str], built: bool, terminal: bool,
) -> None:
    for name in ("FORCE_TERMINAL", "FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = _Stream(tty)
    monkeypatch.setattr("sys.stderr", stream)
    console = runner._DeferredConsole(stderr=True, width=60)
    assert console.is_terminal is terminal
    assert ("console" in console.__dict__) is built
    console.print("a line through rich", markup=False)  # anything else is rich's console
    assert "console" in console.__dict__ and console.width == 60
    assert stream.getvalue().endswith("a line through rich\n")


def test_rich_draws_progress_bars_and_logs_on_the_cli_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich's Live (under every bar) enters its console as a context manager: the deferred one
    # must be as good as rich's own, bars and log lines on the same terminal
    from goldenthread.sync.progress import RichReporter

    buf = _Stream(True)
    monkeypatch.setattr("sys.stderr", buf)
    console = runner._DeferredConsole(stderr=True, force_terminal=True, width=80)
    monkeypatch.setattr(runner, "err", console)
    runner.setup_logging(False)
    try:
        assert isinstance(runner._log_handler, RichHandler)
        with RichReporter(cast(Console, console)).task("Syncing Jira", total=2) as task:
            logging.getLogger("goldenthread.test").info("a log line between two steps")
            task.advance(2)
    finally:
        runner._remove_log_handler()
    text = buf.getvalue()
    assert "Syncing Jira" in text and "2/2" in text and "a log line between two steps" in text
