"""`goldenthread metrics --as-of` on a store: the backlog as it stood then (hand-checked against
tests/reports/page_fixtures.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from goldenthread.cli.app import app
from goldenthread.mappings.records import IssueSnapshot, StatusChange
from tests.reports.page_fixtures import backlog, t

runner = CliRunner()


@pytest.fixture
def synced(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from goldenthread.sync.store import Store

    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("GOLDENTHREAD_DATABASE_URL", store_url)
    issues, changes = backlog()
    by_key: dict[str, list[StatusChange]] = defaultdict(list)
    for c in changes:
        by_key[c.issue_key].append(c)
    store = Store.open(store_url)
    store.save_snapshots([IssueSnapshot(i, tuple(by_key[i.key])) for i in issues], t("2026-06-03"))
    store.close()
    return store_url


def _metrics(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["metrics", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_as_of_a_past_date_is_the_backlog_of_that_date(synced: str) -> None:
    # 20 April: HR-2 done (15 Apr); HR-1 created that day and HR-3 both still to do; HR-4..6 not
    # created yet
    s = _metrics("--as-of", "2026-04-20")
    assert s["as_of"] == "2026-04-20T00:00:00Z"
    assert s["backlog"] == {"total": 3, "todo": 2, "in_progress": 0, "done": 1, "discarded": 0,
                            "unscored": 0}  # fmt: skip
    assert s["wip"] == {"count": 0, "items": []}
    assert s["lead_time_days"]["count"] == 1 and s["lead_time_days"]["p50"] == 45.0
    assert s["throughput"] == {"2026-04": 1}
    assert [r["key"] for r in s["ranking"]] == ["HR-1", "HR-3"]  # RICE 80 and 18.75
    assert s["previous_month"]["month"] == "2026-03"
    # 5 May 12:00: HR-1 in progress since 1 May, HR-3 since 2 May
    s = _metrics("--as-of", "2026-05-05T12:00:00Z")
    assert s["wip"] == {"count": 2, "items": [{"key": "HR-1", "age_days": 4.5},
                                              {"key": "HR-3", "age_days": 3.5}]}  # fmt: skip
    assert s["backlog"]["total"] == 6 and s["backlog"]["done"] == 1  # HR-6 created 5 May 00:00


def test_without_as_of_every_figure_is_todays(synced: str) -> None:
    now, later = _metrics(), _metrics("--as-of", "2030-01-01")
    assert now["backlog"] == later["backlog"] == {"total": 6, "todo": 3, "in_progress": 1,
                                                  "done": 2, "discarded": 0, "unscored": 1}  # fmt: skip
    assert now["ranking"] == later["ranking"]
    assert now["lead_time_days"] == later["lead_time_days"]
    assert now["stakeholders"] == later["stakeholders"]


def test_a_month_end_as_of_round_trips_through_its_own_text(synced: str) -> None:
    # the monthly report for May is as of its last microsecond and prints that as_of for the CLI
    s = _metrics("--as-of", "2026-05-31T23:59:59.999999Z")
    assert s["as_of"] == "2026-05-31T23:59:59.999999Z"
    assert _metrics("--as-of", s["as_of"]) == s
    assert s["current_month"]["month"] == "2026-05" and s["current_month"]["current"]["completed"] == 1
