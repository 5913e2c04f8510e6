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
        "decisions_needed": "Decisions needed", "classes": "Value/effort classes:",
        "goals": "Goals and objectives (", "goals.kpis": "KPIs: ",
    }  # fmt: skip
    # every top-level section of the JSON has a table of its own (not the generic fallback)
    assert set(summary) <= set(headings), set(summary) - set(headings)
    for key, heading in headings.items():
        assert heading in result.stdout, key
    text = " ".join(result.stdout.split())
    # the goals: each objective with its NPS and answer count, each KPI with its status
    objectives = [o for g in summary["goals"] for o in g["objectives"]]
    kpis = [k for o in objectives for k in o["kpis"]]
    assert objectives and kpis, "the demo configures goals with KPIs"
    for o in objectives:
        nps = o["nps"]
        shown = f"- ({nps['answers']})" if nps["score"] is None else f"{nps['score']:+.0f} ({nps['answers']})"
        assert shown in text, o["name"]
    kpi_rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    statuses = {"achieved", "on track", "at risk", "no data"}
    assert sum(1 for line in kpi_rows if any(f" {st} " in line for st in statuses)) >= len(kpis)
    counts = [k["status"].replace("_", " ") for k in kpis]
    assert "KPIs: " + ", ".join(f"{counts.count(x)} {x}" for x in ("achieved", "on track", "at risk", "no data")) in text
    classes = summary["classes"]
    assert f"Value/effort classes: {classes['scored']} open scored items" in text


def test_a_section_without_its_own_table_still_shows(sandbox: SandboxState) -> None:
    summary = {"as_of": "2026-06-10T09:00:00Z", "model": "rice",
               "forecast": [{"goal": "Hire faster", "objectives": 2, "progress": 0.5}],
               "survey": {"responses": 12, "mean": 4.25}}  # fmt: skip
    text = render_tables(summary, width=80)
    assert "Forecast" in text and "Hire faster" in text and "0.50" in text
    assert "Survey" in text and "responses" in text and "4.25" in text


def test_metrics_tables_show_each_kpi_with_its_status_and_each_objective_with_its_nps() -> None:
    kpi = {"name": "Offer approval time", "unit": "days", "baseline": {"value": 5.0, "date": "2026-01-01"},
           "target": {"value": 2.0, "date": "2027-03-31"}, "actual": 3.5, "actual_date": "2026-05-01",
           "progress": 0.5, "expected": 0.3, "status": "on_track"}
    objective = {"name": "Cut time-to-hire", "weight": 1.5, "owner": "u1", "kpis": [kpi, dict(kpi, name="Time to hire",
                 actual=None, progress=None, status="no_data")], "nps": {"score": 50.0, "answers": 2},
                 "adoption_mean": 0.56, "satisfaction_mean": None, "open": 3, "done": 4, "lead_time_p50": 12.0,
                 "sla_compliance": 0.75}  # fmt: skip
    summary = {"as_of": "2026-06-10T09:00:00Z", "model": "rice",
               "goals": [{"name": "Hire faster", "objectives": [objective]},
                         {"name": None, "objectives": [dict(objective, name="Other", owner=None, kpis=[],
                                                            nps={"score": None, "answers": 0})]}]}  # fmt: skip
    text = render_tables(summary, width=120, names={"u1": "Omar Haddad"})
    rows = {line.split("│")[2].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert "Omar Haddad" in rows["Cut time-to-hire"] and "+50 (2)" in rows["Cut time-to-hire"]
    assert "56%" in rows["Cut time-to-hire"] and "- (0)" in rows["Other"] and "(no goal)" in rows["Other"]
    assert "KPIs: 0 achieved, 1 on track, 0 at risk, 1 no data" in text
    assert re.search(r"Offer approval time\s+│\s+5\.00 │\s+2\.00 │\s+3\.50 │\s+50% │ on track", text)
    assert re.search(r"Time to hire\s+│\s+5\.00 │\s+2\.00 │\s+— │\s+— │\s+no data", text)
