"""Shared set-up for publisher tests: a store holding the page-fixture backlog, an AppContext."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import IssueSnapshot, StatusInfo
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.context import AppContext
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.settings import Settings
from tests.reports.page_fixtures import STATUSES, backlog, config, t

NOW = t("2026-06-03")


def make_context(tmp_path: Path, confluence_url: str, user: str, token: str, *, cfg: Config | None = None,
                 now: datetime = NOW) -> AppContext:
    settings = Settings(confluence_url=confluence_url, confluence_user=user, confluence_token=SecretStr(token),
                        jira_url="", goldenthread_database_url=f"sqlite:///{tmp_path / 'gt.db'}")
    ctx = AppContext(settings=settings, config=cfg or config(), clock=lambda: now,
                     database_url=f"sqlite:///{tmp_path / 'gt.db'}")
    issues, changes = backlog()
    by_key = {i.key: tuple(c for c in changes if c.issue_key == i.key) for i in issues}
    ctx.store.save_snapshots([IssueSnapshot(i, by_key[i.key]) for i in issues], NOW)
    ctx.store.save_statuses([StatusInfo(n, c) for n, c in STATUSES.items()])  # type: ignore[arg-type]
    return ctx


@contextmanager
def confluence_env(mode: str, tmp_path: Path, *, now: datetime = NOW) -> Iterator[tuple[SandboxState, AppContext, Any]]:
    """A sandbox in `mode` (cloud or datacenter), a context whose store holds the page-fixture
    backlog, and a Confluence handle on that sandbox: what the publisher tests' `env` yields."""
    state = SandboxState.build(seed=1, issues=3, confluence_mode=mode, jira_mode=mode)
    with start_sandbox(state) as sb:
        ctx = make_context(tmp_path, sb.confluence_url, state.user, state.token, now=now)
        handle = build_confluence(ctx.settings, deployment=mode)  # type: ignore[arg-type]
        try:
            yield state, ctx, handle
        finally:
            handle.close()
            ctx.close()
