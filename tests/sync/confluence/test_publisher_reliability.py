"""Publisher reliability against the sandbox: a failed page does not stop the others; pages it
did not create are never adopted by surprise; a kill between a page write and its property
write costs nothing on the next run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.cli.publish import run_publish_command
from goldenthread.sync.confluence.publisher import publish_monthly_report, publish_pages
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import RunFailed
from goldenthread.sync.http.atlassian import build_confluence
from tests.sync.publish_helpers import make_context

CREATE = {"cloud": "/wiki/api/v2/pages", "datacenter": "/confluence/rest/api/content"}


@pytest.fixture(params=["cloud", "datacenter"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SandboxState, AppContext, Any]]:
    mode = request.param
    state = SandboxState.build(seed=1, issues=3, confluence_mode=mode, jira_mode=mode)
    with start_sandbox(state) as sb:
        ctx = make_context(tmp_path, sb.confluence_url, state.user, state.token)
        handle = build_confluence(ctx.settings, deployment=mode)
        yield state, ctx, handle
        handle.close()
        ctx.close()


def _titles(state: SandboxState) -> set[str]:
    return {p.title for p in state.confluence.pages.values()}


def test_a_failed_page_does_not_stop_the_others(env: Any) -> None:
    """After the Roadmap failed, What's new was not attempted. Now every page is tried, the
    failures are named, and the run fails (exit 1) only after that."""
    state, ctx, handle = env
    state.faults.inject("500", path_prefix=CREATE[state.confluence_mode], method="POST")  # the Roadmap's create
    result = publish_pages(ctx, confluence=handle)
    assert [(p.key, p.outcome) for p in result.pages] == [("roadmap", "failed"), ("whats_new", "created"),
                                                          ("goals", "created")]
    assert "500" in result.pages[0].note and "Roadmap" not in _titles(state) and "What's new" in _titles(state)
    assert result.render_failure().startswith("1 of 3 page(s) failed (Roadmap: ")
    again = publish_pages(ctx, confluence=handle)
    assert [(p.key, p.outcome) for p in again.pages] == [("roadmap", "created"), ("whats_new", "unchanged"),
                                                         ("goals", "unchanged")]


@pytest.mark.parametrize("env", ["datacenter"], indirect=True)  # the command detects the deployment itself
def test_the_publish_command_prints_every_page_then_exits_1(env: Any) -> None:
    state, ctx, _ = env
    state.faults.inject("500", path_prefix=CREATE[state.confluence_mode], method="POST")
    console = Console(record=True, width=200)
    with pytest.raises(RunFailed) as info:
        run_publish_command(ctx, console, dry_run=False, preview_dir=None)
    assert info.value.exit_code == 1 and "1 of 3 page(s) failed" in str(info.value)
    printed = console.export_text()
    assert "Roadmap: failed" in printed and "What's new: created" in printed


def test_a_failed_report_skips_its_minutes_and_says_so(env: Any) -> None:
    state, ctx, handle = env
    publish_pages(ctx, confluence=handle)
    state.faults.inject("500", path_prefix=CREATE[state.confluence_mode], method="POST", times=1)
    result = publish_monthly_report(ctx, "2026-05", confluence=handle)
    outcomes = [(p.outcome, p.note) for p in result.pages]
    assert outcomes[-1] == ("failed", "not attempted: its parent, the report, failed")
    assert [o for o, _ in outcomes].count("failed") == len(outcomes)  # the parent page and the report itself
