"""Publisher reliability against the sandbox: a failed page does not stop the others; pages it
did not create are never adopted by surprise; a kill between a page write and its property
write costs nothing on the next run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from goldenthread.sandbox import SandboxState
from goldenthread.cli.publish import run_publish_command
from goldenthread.sync.confluence.publisher import publish_monthly_report, publish_pages
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage, RunFailed
from tests.sync.publish_helpers import confluence_env

CREATE = {"cloud": "/wiki/api/v2/pages", "datacenter": "/confluence/rest/api/content"}


@pytest.fixture(params=["cloud", "datacenter"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[SandboxState, AppContext, Any]]:
    with confluence_env(request.param, tmp_path) as running:
        yield running


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


# --- no page adopted by surprise ------------------------------------------------------------

def _hand_written(state: SandboxState, title: str, body: str = "<p>Our own roadmap, by hand.</p>") -> Any:
    c = state.confluence
    parent = c.find_by_title("65538", "Internal products")
    assert parent is not None
    return c.create_page("65538", title, parent.id, body, state.clock(), state.data.users[0].account_id)


@pytest.mark.parametrize("on_manual_edit", ["overwrite", "skip"])
def test_a_page_it_did_not_create_is_never_written(env: Any, on_manual_edit: str) -> None:
    """A Roadmap written by hand before the first publish was overwritten, even with
    on_manual_edit: skip. It is an error naming `--adopt`, and the page is left alone."""
    state, ctx, handle = env
    ctx.config = ctx.config.model_copy(update={"publish": ctx.config.publish.model_copy(
        update={"on_manual_edit": on_manual_edit})})
    mine = _hand_written(state, "Roadmap")
    result = publish_pages(ctx, confluence=handle)
    roadmap = result.pages[0]
    assert (roadmap.key, roadmap.outcome) == ("roadmap", "failed")
    assert "goldenthread did not create it" in roadmap.note and "goldenthread publish --adopt Roadmap" in roadmap.note
    assert (mine.version, mine.body, mine.properties, mine.labels) == (1, "<p>Our own roadmap, by hand.</p>", {}, [])
    assert [p.outcome for p in result.pages[1:]] == ["created", "created"]
    dry = publish_pages(ctx, confluence=handle, dry_run=True)
    assert dry.pages[0].outcome == "failed" and "--adopt Roadmap" in dry.pages[0].note
    assert mine.version == 1


def test_adopt_hands_a_page_over_once(env: Any) -> None:
    state, ctx, handle = env
    mine = _hand_written(state, "What's new")
    result = publish_pages(ctx, confluence=handle, adopt=["What's new"])
    assert [p.outcome for p in result.pages] == ["created", "updated", "created"]
    assert mine.version == 2 and [p.key for p in mine.properties.values()] == ["goldenthread"]
    assert "goldenthread" in mine.labels and mine.history[0][3] == "<p>Our own roadmap, by hand.</p>"
    again = publish_pages(ctx, confluence=handle)  # its own page now: no --adopt needed
    assert [p.outcome for p in again.pages] == ["unchanged"] * 3 and mine.version == 2


def test_adopt_of_a_title_it_does_not_publish_is_bad_usage(env: Any) -> None:
    _, ctx, handle = env
    with pytest.raises(BadUsage, match="--adopt 'Roadmp'"):
        publish_pages(ctx, confluence=handle, adopt=["Roadmp"])


# --- a kill between a page write and its property write costs nothing ------------------------

def _prop_path(state: SandboxState, page_id: str) -> str:
    return (f"/wiki/api/v2/pages/{page_id}/properties" if state.confluence_mode == "cloud"
            else f"/confluence/rest/api/content/{page_id}/property")


def _page_path(state: SandboxState, page_id: str) -> str:
    return f"/wiki/api/v2/pages/{page_id}" if state.confluence_mode == "cloud" else f"/confluence/rest/api/content/{page_id}"


def _versions(state: SandboxState) -> dict[str, tuple[int, dict[str, int]]]:
    return {p.title: (p.version, {a.title: a.version for a in p.attachments.values()})
            for p in state.confluence.pages.values()}


def _model(body: str, chart: bytes) -> Any:
    from goldenthread.reports.pages import PageModel

    return PageModel("roadmap", "Roadmap", "Internal products", body, "<p>as of now</p>", {"chart.png": chart})


@pytest.mark.parametrize("stop", ["property-drop", "property-lost", "page-lost"])
def test_stopped_after_the_page_write_the_rerun_writes_no_version(env: Any, stop: str) -> None:
    """9 of 21 kills between a page write and its hash-property write cost an extra page version
    and re-uploaded the attachments on the next run."""
    from goldenthread.sync.confluence.publisher import _open_api, publish_models

    state, ctx, handle = env
    api = _open_api(ctx, handle)
    first = publish_models(ctx, api, [_model("<p>one</p>", b"png-1")]).pages[0]
    assert first.outcome == "created"
    # the data changes; the run writes the page (and its chart) and dies before the property is written
    where, kind = stop.split("-")
    path = _prop_path(state, first.page_id) if where == "property" else _page_path(state, first.page_id)
    state.faults.inject(kind, path_prefix=path, method="PUT")  # type: ignore[arg-type]
    assert publish_models(ctx, api, [_model("<p>two</p>", b"png-2")]).pages[0].outcome == "failed"
    before, writes = _versions(state), dict(state.stats.writes_by)
    assert before["Roadmap"] == (2, {"chart.png": 2 if where == "property" else 1})
    rerun = publish_models(ctx, api, [_model("<p>two</p>", b"png-2")]).pages[0]
    assert rerun.outcome == "unchanged" and "interrupted" in rerun.note
    written = {k: v - writes.get(k, 0) for k, v in state.stats.writes_by.items() if v != writes.get(k, 0)}
    if stop == "property-drop":  # nothing but the property that never landed
        assert written == {"confluence.property.update": 1} and rerun.attachments_uploaded == 0
    elif stop == "property-lost":  # the property landed too: nothing at all
        assert written == {} and rerun.attachments_uploaded == 0
    else:  # stopped before its chart: the chart, then the property; still no page version
        assert written == {"confluence.attachment.update": 1, "confluence.property.update": 1}
    assert _versions(state)["Roadmap"] == (2, {"chart.png": 2})
    assert [p.outcome for p in publish_models(ctx, api, [_model("<p>two</p>", b"png-2")]).pages] == ["unchanged"]


@pytest.mark.parametrize("step", ["create-lost", "labels", "property"])
def test_a_create_stopped_midway_is_finished_without_a_second_version(env: Any, step: str) -> None:
    from goldenthread.sync.confluence.publisher import _open_api, publish_models

    state, ctx, handle = env
    api = _open_api(ctx, handle)
    base = CREATE[state.confluence_mode]
    if step == "create-lost":  # the page was created, its id never came back
        state.faults.inject("lost", path_prefix=base, method="POST")
    elif step == "labels":  # the first write after the create (v1 on both deployments)
        content = "/wiki/rest/api/content/" if state.confluence_mode == "cloud" else "/confluence/rest/api/content/"
        state.faults.inject("drop", path_prefix=content, method="POST")
    else:  # after the labels and the chart: the property create of the page about to be made
        next_id = str(state.confluence._next + 1)  # noqa: SLF001 - the sandbox numbers pages in order
        state.faults.inject("drop", path_prefix=_prop_path(state, next_id), method="POST")
    model = _model("<p>one</p>", b"png-1")
    assert publish_models(ctx, api, [model]).pages[0].outcome == "failed"
    assert [p.title for p in state.confluence.pages.values()].count("Roadmap") == 1
    rerun = publish_models(ctx, api, [model]).pages[0]
    assert rerun.outcome == "unchanged" and "interrupted" in rerun.note
    page = next(p for p in state.confluence.pages.values() if p.title == "Roadmap")
    assert page.version == 1 and {a.title: a.version for a in page.attachments.values()} == {"chart.png": 1}
    assert [p.key for p in page.properties.values()] == ["goldenthread"] and "goldenthread" in page.labels
    assert publish_models(ctx, api, [model]).pages[0].outcome == "unchanged"


@pytest.mark.parametrize("env", ["datacenter"], indirect=True)
def test_the_cli_names_adopt_and_adopt_takes_the_page_over(env: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from goldenthread.cli.app import app

    state, ctx, _ = env
    mine = _hand_written(state, "Roadmap")
    cfg = tmp_path / "goldenthread.yaml"
    cfg.write_text("publish:\n  space: IPM\n", encoding="utf-8")
    for name, value in {"CONFLUENCE_URL": ctx.settings.confluence_url, "CONFLUENCE_USER": state.user,
                        "CONFLUENCE_TOKEN": state.token, "GOLDENTHREAD_CONFIG": str(cfg),
                        "GOLDENTHREAD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}.items():
        monkeypatch.setenv(name, value)
    refused = CliRunner().invoke(app, ["publish"])
    assert refused.exit_code == 1, refused.output
    assert "goldenthread publish --adopt Roadmap" in refused.output and mine.version == 1
    assert "What's new: created" in refused.output
    adopted = CliRunner().invoke(app, ["publish", "--adopt", "Roadmap"])
    assert adopted.exit_code == 0, adopted.output
    assert "Roadmap: updated" in adopted.output and mine.version == 2
    typo = CliRunner().invoke(app, ["publish", "--adopt", "Roadmp"])
    assert typo.exit_code == 2 and "--adopt 'Roadmp'" in typo.output
