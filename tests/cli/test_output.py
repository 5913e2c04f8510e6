"""What the commands print: a summary with a sample and `--details` for the rest, a dry run as
the page text's diff, and metrics tables that fit the terminal and cover every JSON section."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.cli.app import app
from goldenthread.cli.demo import _demo_people, build_demo_config
from goldenthread.cli.metrics import render_tables
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.cli.publish import DIFF_PREVIEW_LINES
from goldenthread.cli.sync import PLAN_PREVIEW_ROWS
from tests.cli.conftest import NOW, point_at

runner = CliRunner()
PLAN_ROW = re.compile(r"^│ [A-Z]+-\d+ ")


@pytest.fixture
def sandbox(bare_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxState]:
    """A sandbox and the demo's config: stakeholder rules and write-back on, as a real first sync."""
    monkeypatch.setenv("COLUMNS", "200")
    (bare_home / "goldenthread.yaml").write_text(build_demo_config(*_demo_people(), NOW))
    state = SandboxState.build(seed=5, issues=80, now=NOW)
    with start_sandbox(state) as running:
        point_at(running, monkeypatch)
        yield state


def planned(output: str) -> tuple[int, int]:
    found = re.search(r"stakeholders: (?:would add|added) (\d+) on (\d+) issue", output)
    assert found, output
    return int(found.group(1)), int(found.group(2))


def test_a_first_sync_prints_a_sample_of_the_stakeholders_and_details_lists_them_all(sandbox: SandboxState) -> None:
    sample = runner.invoke(app, ["sync", "--dry-run"])
    assert sample.exit_code == 0, sample.output
    adds, _ = planned(sample.output)
    assert adds > PLAN_PREVIEW_ROWS
    assert sum(bool(PLAN_ROW.match(line)) for line in sample.output.splitlines()) == PLAN_PREVIEW_ROWS
    assert f"the first {PLAN_PREVIEW_ROWS} of {adds} rows" in sample.output and "--details" in sample.output

    everything = runner.invoke(app, ["sync", "--dry-run", "--details"])
    assert everything.exit_code == 0, everything.output
    assert sum(bool(PLAN_ROW.match(line)) for line in everything.output.splitlines()) == adds
    assert "--details lists" not in everything.output

    first = runner.invoke(app, ["sync"])  # the real write-back: the same sample, not a wall
    assert first.exit_code == 0, first.output
    assert planned(first.output)[0] == adds
    assert sum(bool(PLAN_ROW.match(line)) for line in first.output.splitlines()) == PLAN_PREVIEW_ROWS
    assert len(first.output.splitlines()) < 60


def test_publish_dry_run_shows_the_text_that_changes_not_the_markup(sandbox: SandboxState) -> None:
    assert runner.invoke(app, ["sync"]).exit_code == 0
    short = runner.invoke(app, ["publish", "--dry-run"])
    assert short.exit_code == 0, short.output
    assert not re.search(r"<(p|h2|table|tr|td|ac:[a-z-]+)[ />]", short.output)  # no storage markup
    assert "+++ Roadmap (new)" in short.output and "\n+## " in short.output
    hidden = [int(n) for n in re.findall(r"\.\.\. (\d+) more line\(s\): --details prints the whole diff", short.output)]
    assert hidden, short.output  # a new Roadmap is longer than the preview
    diff_lines = short.output.split("+++ Roadmap (new)\n", 1)[1].split("  ... ", 1)[0].splitlines()
    assert len(diff_lines) == DIFF_PREVIEW_LINES - 2  # the two header lines count
    full = runner.invoke(app, ["publish", "--dry-run", "--details"])
    assert full.exit_code == 0 and "more line(s)" not in full.output
    assert len(full.output.splitlines()) >= len(short.output.splitlines()) + sum(hidden) - len(hidden)
    assert sandbox.stats.writes_by.get("confluence.page.create", 0) == 0  # a dry run writes nothing


def test_metrics_tables_fit_80_columns_and_show_every_json_section(sandbox: SandboxState,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["sync"]).exit_code == 0
    as_of = ["--as-of", NOW.isoformat()]  # both runs at one instant (the heading shows it)
    summary = json.loads(runner.invoke(app, ["metrics", "--format", "json", *as_of]).stdout)
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, ["metrics", "--format", "table", *as_of])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    headings = {
        "as_of": f"as of {summary['as_of']}", "model": f"(model: {summary['model']})", "backlog": "Backlog",
        "lead_time_days": "Lead and cycle time", "cycle_time_days": "│ cycle time", "throughput": "Throughput",
        "sla_compliance": "SLA compliance:", "sla_by_issue_type": "┃ issue type", "wip": "Work in progress:",
        "ranking": "Ranking (", "stakeholders": "Stakeholders (", "by_objective": "By objective",
        "by_team": "By team", "previous_month": f"{summary['previous_month']['month']} (last complete month)",
        "current_month": f"{summary['current_month']['month']} (current month so far)", "outcomes": "Outcomes",
        "decisions_needed": "Decisions needed",
    }  # fmt: skip
    for key in summary:
        # a section added to the JSON later shows under its own name until it gets its own table
        assert headings.get(key, key.replace("_", " ").capitalize()) in result.stdout, key


def test_a_section_without_its_own_table_still_shows(sandbox: SandboxState) -> None:
    summary = {"as_of": "2026-06-10T09:00:00Z", "model": "rice",
               "goals": [{"goal": "Hire faster", "objectives": 2, "progress": 0.5}],
               "survey": {"responses": 12, "mean": 4.25}}  # fmt: skip
    text = render_tables(summary, width=80)
    assert "Goals" in text and "Hire faster" in text and "0.50" in text
    assert "Survey" in text and "responses" in text and "4.25" in text
