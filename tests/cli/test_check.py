"""`check` catches values that make no sense before a run does; `report monthly --month` refuses
a month that has not begun. Each case: the file, the YAML line, what was meant, exit 2."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from goldenthread.cli.app import app
from goldenthread.sandbox import SandboxState

runner = CliRunner()


def write(home: Path, text: str) -> Path:
    cfg = home / "goldenthread.yaml"
    cfg.write_text(text)
    return cfg


@pytest.mark.parametrize(("yaml", "line", "path", "says"), [
    ("publish:\n  space: ''\n", 2, "publish.space", "'' is not a Confluence space key"),
    ("publish:\n  space: my space\n", 2, "publish.space", "'my space' is not a Confluence space key"),
    ("schedule:\n  sync: every 15 minutes\n", 2, "schedule.sync",
     "'every 15 minutes' is not a cron expression (minute hour day-of-month month day-of-week)"),
    ("schedule:\n  sync: '*/15 * * *'\n", 2, "schedule.sync", "is not a cron expression"),
    ("schedule:\n  monthly_report: '0 8 31 2 *'\n", 2, "schedule.monthly_report", "'0 8 31 2 *' never fires"),
    ("outcomes:\n  sla_days:\n    Bug: 10\n    default: -3\n", 4, "outcomes.sla_days.default",
     "greater than 0 (got -3)"),
    ("outcomes:\n  sla_days: {default: 0}\n", 2, "outcomes.sla_days.default", "greater than 0"),
    ("prioritisation:\n  quick_win_max_effort: -1\n", 2, "prioritisation.quick_win_max_effort",
     "greater than or equal to 0 (got -1)"),
    ("prioritisation:\n  objective_weights:\n    Cost: 1.5\n    Growth: -2\n", 4,
     "prioritisation.objective_weights.Growth", "greater than or equal to 0 (got -2)"),
    ("publish:\n  monthly_report: Stakeholder report\n", 2, "publish.monthly_report",
     "has no {month}: every month's report would overwrite the same page"),
    ("publish:\n  monthly_report: 'Report {month} for {team}'\n", 2, "publish.monthly_report",
     "uses {team}; only {month} is filled in"),
    ("publish:\n  monthly_report: 'Report {month'\n", 2, "publish.monthly_report", "is not a title template"),
    ("publish:\n  roadmap: ''\n", 2, "publish.roadmap", "at least 1 character"),
])  # fmt: skip
def test_check_rejects_values_that_make_no_sense(bare_home: Path, yaml: str, line: int, path: str, says: str) -> None:
    cfg = write(bare_home, yaml)
    result = runner.invoke(app, ["check", "--offline"])
    assert result.exit_code == 2, result.output
    assert f"{cfg.name}:{line} ({path}): error: " in result.output
    assert says in result.output


def test_sensible_values_still_pass(bare_home: Path) -> None:
    write(bare_home, "publish:\n  space: '~ana'\n  monthly_report: 'Report {month}'\nschedule:\n  sync: null\n"
                "  monthly_report: '@daily'\nprioritisation:\n  quick_win_max_effort: 0\n"
                "  objective_weights: {Parked: 0}\n")  # fmt: skip
    result = runner.invoke(app, ["check", "--offline"])
    assert result.exit_code == 0, result.output


def test_serve_refuses_a_bad_cron_at_start_up(bare_home: Path) -> None:
    write(bare_home, "schedule:\n  sync: every 15 minutes\n")
    result = runner.invoke(app, ["serve", "--port", "1"])  # never gets as far as binding
    assert result.exit_code == 2, result.output
    assert "goldenthread.yaml:2 (schedule.sync): error: 'every 15 minutes' is not a cron expression" in result.output


def test_check_online_names_a_confluence_space_that_does_not_exist(sandbox: SandboxState, home: Path) -> None:
    cfg = home / "goldenthread.yaml"
    cfg.write_text(cfg.read_text().replace("  space: IPM", "  space: NOPE"))
    line = cfg.read_text().splitlines().index("  space: NOPE") + 1
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    assert f"goldenthread.yaml:{line} (publish.space): error: Confluence space 'NOPE' does not exist" in result.output
    cfg.write_text(cfg.read_text().replace("  space: NOPE", "  space: IPM"))
    assert runner.invoke(app, ["check"]).exit_code == 0


def _month(now: datetime, ahead: int) -> str:
    index = now.year * 12 + now.month - 1 + ahead
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_report_monthly_refuses_a_month_that_has_not_begun(home: Path) -> None:
    future = _month(datetime.now(UTC), 6)
    result = runner.invoke(app, ["report", "monthly", "--month", future])
    assert result.exit_code == 2, result.output
    assert f"error: report monthly: --month {future} has not begun" in result.output
    assert f"the last complete month is {_month(datetime.now(UTC), -1)}" in result.output


def test_report_monthly_warns_for_a_month_before_any_data(sandbox: SandboxState, home: Path) -> None:
    assert runner.invoke(app, ["sync"]).exit_code == 0
    first = min(i.created for i in sandbox.data.issues if "internal-product" in i.labels)
    result = runner.invoke(app, ["report", "monthly", "--month", "2019-01", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (f"--month 2019-01 is before any data (the earliest issue in the store was created in "
            f"{first:%Y-%m}): the report will be empty") in result.output
