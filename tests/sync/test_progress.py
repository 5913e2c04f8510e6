"""Progress reporters: every one is used as `with reporter.task(...) as task:` (the Reporter
protocol), closes its task when the work fails, and the log reporter stays quiet between steps."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from goldenthread.sync.progress import LogReporter, NullReporter, Reporter, RichReporter, build_reporter


class Boom(Exception):
    pass


def run(reporter: Reporter, n: int, total: int | None = None) -> None:
    with reporter.task("Syncing Jira", total=total) as task:
        for _ in range(n):
            task.advance()


def test_log_reporter_logs_start_every_tenth_and_done(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="goldenthread")
    run(LogReporter(), 100, total=100)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "Syncing Jira: started" and lines[-1] == "Syncing Jira: done (100)"
    counts = lines[1:-1]
    # the first item, then one line per 10 % (not one per item)
    assert counts == [f"Syncing Jira: {n}/100" for n in (1, 11, 21, 31, 41, 51, 61, 71, 81, 91)]


def test_log_reporter_learns_a_total_given_late(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="goldenthread")
    with LogReporter().task("census") as task:
        task.advance(1)
        task.advance(4, total=50)
    assert "census: 1" in [r.getMessage() for r in caplog.records]
    assert caplog.records[-1].getMessage() == "census: done (5)"


@pytest.mark.parametrize("make", [LogReporter, NullReporter, lambda: RichReporter(Console(file=io.StringIO()))])
def test_every_reporter_is_a_context_manager_that_lets_failures_through(make) -> None:  # type: ignore[no-untyped-def]
    reporter: Reporter = make()
    with pytest.raises(Boom), reporter.task("publish", total=3) as task:
        task.advance()
        raise Boom


def test_rich_reporter_draws_the_bar_with_counts() -> None:
    out = io.StringIO()
    run(RichReporter(Console(file=out, width=80, force_terminal=True)), 3, total=3)
    assert "Syncing Jira" in out.getvalue() and "3/3" in out.getvalue()


def test_build_reporter_logs_when_not_on_a_terminal() -> None:
    assert isinstance(build_reporter(Console(file=io.StringIO())), LogReporter)
