"""A person edits each kind of page in the sandbox's Confluence (Data Center: what
`goldenthread publish` talks to without a deployment hint); what goldenthread does next.

Generated pages (Roadmap, What's new, the monthly report): the edit is reported by the CLI, kept
in the store for the status page, and names the version that holds it; `on_manual_edit:
overwrite` writes a new version (the person's stays in the page history), `skip` leaves the page
alone. The minutes page is the people's: it is never written, so nothing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.cli.publish import run_monthly_command, run_publish_command
from goldenthread.sync.context import AppContext
from goldenthread.webhooks.status import load_status, render_status_page
from tests.reports.page_fixtures import DANA, config
from tests.sync.publish_helpers import NOW, make_context

TITLES = {
    "roadmap": "Roadmap",
    "whats_new": "What's new",
    "monthly:2026-05": "Stakeholder report 2026-05",
    "minutes:2026-05": "Stakeholder meeting 2026-05: minutes",
}
WORDS = "<p>Agreed in the meeting: payroll export goes first.</p>"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[SandboxState, str]]:
    state = SandboxState.build(seed=1, issues=3, confluence_mode="datacenter", jira_mode="datacenter")
    with start_sandbox(state) as sb:
        yield state, sb.confluence_url


def _context(tmp_path: Path, sandbox: tuple[SandboxState, str], mode: str) -> AppContext:
    state, url = sandbox
    cfg = config()
    cfg = cfg.model_copy(update={"publish": cfg.publish.model_copy(update={"on_manual_edit": mode})})
    return make_context(tmp_path, url, state.user, state.token, cfg=cfg)


def _run(ctx: AppContext) -> str:
    console = Console(record=True, width=400)
    run_publish_command(ctx, console, dry_run=False, preview_dir=None)
    run_monthly_command(ctx, console, month="2026-05", dry_run=False, preview_dir=None)
    return console.export_text()


def _page(state: SandboxState, title: str) -> Any:
    (page,) = [p for p in state.confluence.pages.values() if p.title == title and p.status == "current"]
    return page


@pytest.mark.parametrize("key", list(TITLES))
@pytest.mark.parametrize("mode", ["overwrite", "skip"])
def test_a_person_edits_a_page(tmp_path: Path, sandbox: tuple[SandboxState, str], key: str, mode: str) -> None:
    state = sandbox[0]
    ctx = _context(tmp_path, sandbox, mode)
    _run(ctx)
    page = _page(state, TITLES[key])
    edited = state.confluence.simulate_manual_edit(page.id, page.body + WORDS, NOW + timedelta(hours=1), DANA).version

    out = _run(ctx)
    line = next(x for x in out.splitlines() if x.startswith(TITLES[key] + ":"))
    rec = ctx.store.load_published(key) or {}
    status = render_status_page(load_status(ctx.store, NOW), [])
    after = _page(state, TITLES[key])
    if key.startswith("minutes:"):
        # the people's page: never written, so their edit is simply there, and nothing is reported
        assert after.version == edited and after.body.endswith(WORDS)
        assert "edited" not in line and rec == {}
        assert "Dana (Finance)" not in status
        return
    said = f"edited in Confluence by Dana (Finance) since the last publish (version {edited})"
    assert said in line
    assert rec["manual_edit_version"] == edited and rec["manual_edit_by"] == "Dana (Finance)"
    if mode == "overwrite":
        assert f"updated ({said}; overwritten; their edit stays in the page history as version {edited})" in line
        assert after.version == edited + 1 and WORDS not in after.body
        number, author, _, body = after.history[edited - 1]
        assert (number, author) == (edited, DANA) and body.endswith(WORDS)
        assert f"Dana (Finance): version {edited} (overwritten; kept in the page history)" in status
    else:
        assert f"skipped-manual-edit ({said}; not updated (publish.on_manual_edit: skip))" in line
        assert after.version == edited and after.body.endswith(WORDS)
        assert f"Dana (Finance): version {edited} (not updated since (on_manual_edit: skip))" in status
        again = _run(ctx)  # still the person's page, still said on every run
        assert said in next(x for x in again.splitlines() if x.startswith(TITLES[key] + ":"))
    ctx.close()
