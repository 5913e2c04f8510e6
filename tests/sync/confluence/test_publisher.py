"""Publisher against the sandbox (Cloud v2 + v1 attachments, and Data Center v1): idempotence,
manual edits, 409, dry-run, attachments only when changed. Writes are counted on the sandbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from goldenthread.mappings.records import IssueSnapshot
from goldenthread.reports.pages.monthly import month_as_of
from goldenthread.reports.pages import build_roadmap_page
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.confluence.client import ConfluenceApi, LivePage
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.confluence.publisher import (
    load_page_data,
    publish_models,
    publish_monthly_report,
    publish_pages,
)
from goldenthread.cli.publish import run_monthly_command
from goldenthread.sandbox import SandboxState, start_sandbox
from tests.reports.page_fixtures import config
from tests.sync.publish_helpers import NOW, make_context, confluence_env


@pytest.fixture(params=["cloud", "datacenter"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SandboxState, AppContext, Any]]:
    with confluence_env(request.param, tmp_path) as running:
        yield running


def _counts(state: SandboxState) -> tuple[int, int]:
    return state.stats.writes, sum(state.stats.requests.values())


def _publish_all(ctx: AppContext, handle: Any) -> list[Any]:
    return publish_pages(ctx, confluence=handle).pages + publish_monthly_report(ctx, "2026-05", confluence=handle).pages


def _page(state: SandboxState, title: str) -> Any:
    return next(p for p in state.confluence.pages.values() if p.title == title)


def test_first_run_creates_pages_under_parents_with_labels_property_and_charts(env: Any) -> None:
    state, ctx, handle = env
    outcomes = _publish_all(ctx, handle)
    assert [p.outcome for p in outcomes] == ["created"] * 5
    assert [p.key for p in outcomes] == ["roadmap", "whats_new", "goals", "monthly:2026-05", "minutes:2026-05"]
    store = state.confluence
    parent = _page(state, "Internal products")
    reports = _page(state, "Stakeholder reports")
    assert reports.parent_id == parent.id
    assert _page(state, "Roadmap").parent_id == parent.id
    monthly = _page(state, "Stakeholder report 2026-05")
    assert monthly.parent_id == reports.id
    assert sorted(a.title for a in monthly.attachments.values()) == ["lead-time.png", "throughput.png", "wip-age.png"]
    assert "goldenthread" in monthly.labels
    assert [p.key for p in monthly.properties.values()] == ["goldenthread"]
    minutes = _page(state, "Stakeholder meeting 2026-05: minutes")
    assert minutes.parent_id == monthly.id and "meeting-minutes" in minutes.labels
    assert store is state.confluence


def test_unchanged_second_run_writes_nothing_and_costs_at_most_one_request_per_page(env: Any) -> None:
    state, ctx, handle = env
    _publish_all(ctx, handle)
    writes, requests = _counts(state)
    outcomes = _publish_all(ctx, handle)
    assert [p.outcome for p in outcomes] == ["unchanged"] * 5
    assert _counts(state)[0] == writes
    # a GET per generated page, one for the previous month's minutes, none for this month's
    assert _counts(state)[1] - requests <= 5
    assert sum(p.attachments_uploaded for p in outcomes) == 0


def test_lost_store_still_recognises_our_pages_through_the_property(env: Any, tmp_path: Path) -> None:
    state, ctx, handle = env
    _publish_all(ctx, handle)
    writes = state.stats.writes
    (tmp_path / "other").mkdir()
    fresh = make_context(tmp_path / "other", ctx.settings.confluence_url, state.user, state.token)
    assert [p.outcome for p in _publish_all(fresh, handle)] == ["unchanged"] * 5
    assert state.stats.writes == writes
    fresh.close()


def test_changed_data_updates_only_affected_pages_and_keeps_unchanged_charts(env: Any) -> None:
    state, ctx, handle = env
    _publish_all(ctx, handle)
    issue = ctx.store.load_issue("HR-4")
    assert issue is not None
    ctx.store.save_snapshots([IssueSnapshot(dataclasses.replace(issue, summary="Expense approvals on MOBILE"))], NOW,
                             full_history=False)
    outcomes = {p.key: p for p in _publish_all(ctx, handle)}
    assert outcomes["roadmap"].outcome == "updated"
    assert outcomes["whats_new"].outcome == "unchanged"  # HR-4 is not shipped
    # Dana's "next" list names HR-4 (Payroll rule) on both deployments: who an issue credits
    # does not depend on where pages are published (the metrics JSON credits the same people);
    # on Data Center her Cloud-shaped id only stops being an @mention
    assert outcomes["monthly:2026-05"].outcome == "updated"
    assert outcomes["monthly:2026-05"].attachments_uploaded == 0
    assert "Expense approvals on MOBILE" in _page(state, "Roadmap").body


@pytest.mark.parametrize("mode", ["overwrite", "skip"])
def test_manual_edit_is_reported_and_handled_per_config(env: Any, mode: str) -> None:
    state, ctx, handle = env
    publish_pages(ctx, confluence=handle, pages=("roadmap",))
    page = _page(state, "Roadmap")
    state.confluence.simulate_manual_edit(page.id, "<p>my notes</p>")
    ctx.config = config().model_copy(update={"publish": ctx.config.publish.model_copy(update={"on_manual_edit": mode})})
    (outcome,) = publish_pages(ctx, confluence=handle, pages=("roadmap",)).pages
    assert outcome.manual_edit
    if mode == "skip":
        assert outcome.outcome == "skipped-manual-edit"
        assert _page(state, "Roadmap").body == "<p>my notes</p>"
    else:
        assert outcome.outcome == "updated"
        assert "my notes" not in _page(state, "Roadmap").body
        writes = state.stats.writes
        assert publish_pages(ctx, confluence=handle, pages=("roadmap",)).pages[0].outcome == "unchanged"
        assert state.stats.writes == writes


class _SomeoneSavesFirst(ConfluenceApi):
    """Before our first update lands, a person saves the page: the sandbox answers 409."""

    conflicts = 0

    def update_page(self, page_id: str, title: str, storage: str, version: int, message: str) -> LivePage:
        if not self.conflicts:
            self.conflicts += 1
            self.state.confluence.simulate_manual_edit(page_id, "<p>saved in between</p>")
        return super().update_page(page_id, title, storage, version, message)


def test_version_conflict_rereads_and_retries_once(env: Any) -> None:
    state, ctx, handle = env
    publish_pages(ctx, confluence=handle, pages=("roadmap",))
    data = load_page_data(ctx, NOW, handle.deployment)
    model = dataclasses.replace(build_roadmap_page(data), body=build_roadmap_page(data).body + "<p>new</p>")
    api = _SomeoneSavesFirst(handle, "IPM")
    api.state = state  # type: ignore[attr-defined]
    before = _page(state, "Roadmap").version
    (outcome,) = publish_models(ctx, api, [model]).pages
    assert api.conflicts == 1 and outcome.outcome == "updated"
    page = _page(state, "Roadmap")
    assert page.version == before + 2  # the person's save, then ours
    assert page.body.endswith("<p>new</p>" + model.footer)


def test_dry_run_prints_a_diff_and_writes_nothing(env: Any) -> None:
    state, ctx, handle = env
    writes, _ = _counts(state)
    result = publish_pages(ctx, confluence=handle, dry_run=True)
    assert [p.outcome for p in result.pages] == ["would-create"] * 3
    # the page's text, as readers see it, not its storage markup
    assert "\n+## Needs scoring (1)\n" in result.pages[0].diff and "<h2>" not in result.pages[0].diff
    assert state.stats.writes == writes
    publish_pages(ctx, confluence=handle)
    state.confluence.simulate_manual_edit(_page(state, "Roadmap").id, "<p>hand edit</p>")
    writes = state.stats.writes
    diff = publish_pages(ctx, confluence=handle, dry_run=True).pages[0].diff
    assert "\n-hand edit\n" in diff and "\n+## Needs scoring (1)\n" in diff and "<p>" not in diff
    assert state.stats.writes == writes


def test_bad_month_is_bad_usage(tmp_path: Path) -> None:
    ctx = make_context(tmp_path, "http://127.0.0.1:9/wiki", "u", "t")
    with pytest.raises(BadUsage):
        run_monthly_command(ctx, Console(), month="2026-13", dry_run=True, preview_dir=None)
    assert month_as_of("2026-05", NOW).isoformat() == "2026-05-31T23:59:59.999999+00:00"
    ctx.close()


def test_the_space_id_is_remembered_and_a_stale_one_is_looked_up_again(tmp_path: Path) -> None:
    state = SandboxState.build(seed=1, issues=3, confluence_mode="cloud", jira_mode="cloud")
    with start_sandbox(state) as sb:
        ctx = make_context(tmp_path, sb.confluence_url, state.user, state.token)
        handle = build_confluence(ctx.settings, deployment="cloud")
        publish_pages(ctx, confluence=handle, pages=("roadmap",))
        spaces = state.stats.requests["GET /wiki/api/v2/spaces"]
        assert spaces == 1
        publish_pages(ctx, confluence=handle, pages=("whats_new",))  # creates: needs the id, has it
        assert state.stats.requests["GET /wiki/api/v2/spaces"] == spaces
        # the space was deleted and made again under the same key: the remembered id is stale
        key = f"confluence.space_id:{handle.base_url}:IPM"
        assert ctx.store.load_state(key) == state.confluence.spaces["IPM"].id
        ctx.store.save_state(key, "424242", NOW)
        outcomes = publish_monthly_report(ctx, "2026-05", confluence=handle).pages
        assert [p.outcome for p in outcomes] == ["created", "created"]
        assert state.stats.requests["GET /wiki/api/v2/spaces"] == spaces + 1
        assert ctx.store.load_state(key) == state.confluence.spaces["IPM"].id
        handle.close()
        ctx.close()


def test_pages_from_the_store_tables_are_the_pages_its_records_give(tmp_path: Path) -> None:
    """Publishing reads the store's columnar tables (as `metrics` does); every page is the same as
    the one built from the store's records."""
    from goldenthread.mappings.records import IssueSnapshot as Snap
    from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES, build_page_data
    from tests.reports.big_backlog import NOW as BIG_NOW
    from tests.reports.big_backlog import big_config, build_big_backlog

    issues, changes = build_big_backlog(600, seed=9)
    ctx = make_context(tmp_path, "http://127.0.0.1:9/wiki", "u", "t", cfg=big_config(), now=BIG_NOW)
    by_key: dict[str, list[Any]] = {}
    for c in changes:
        by_key.setdefault(c.issue_key, []).append(c)
    ctx.store.save_snapshots([Snap(i, tuple(by_key.get(i.key, ()))) for i in issues], BIG_NOW)
    store = ctx.store
    for as_of, month in ((BIG_NOW, None), (month_as_of("2026-05", BIG_NOW), "2026-05")):
        tables = load_page_data(ctx, as_of, "cloud")
        records = build_page_data(store.load_issues(), store.load_status_changes(), store.load_statuses(),
                                  ctx.config, as_of, "cloud", store.load_outcome_tables())
        assert tables.names == records.names and tables.data_as_of == records.data_as_of
        assert tables.projects == records.projects and tables.projects["PROC"] == "Procurement"
        assert "LEGAL" not in tables.projects  # no row names it: What's new heads it by its key
        if month is None:
            pairs = [(a, b) for build in LIVE_PAGES.values() for a, b in zip(build(tables), build(records), strict=True)]
        else:
            pairs = [(build(tables, month), build(records, month)) for build in MONTHLY_PAGES.values()]
        for a, b in pairs:
            assert (a.title, a.storage, a.attachment_hashes()) == (b.title, b.storage, b.attachment_hashes()), a.title
    ctx.close()
