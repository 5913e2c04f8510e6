"""sync/runs.py: the runs the CLI calls, without the console: the report month and its warnings,
when a completed sync still failed, and the metrics read both ways a store can give them."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from goldenthread.mappings.records import IssueSnapshot, StatusInfo
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.runs import check_report_month, compute_sync_failure, load_report
from goldenthread.sync.store import Store
from tests.reports.page_fixtures import STATUSES, backlog, config

NOW = datetime(2026, 6, 3, 12, tzinfo=UTC)


def test_report_month_not_begun_is_usage_running_or_empty_months_warn() -> None:
    with pytest.raises(BadUsage, match="has not begun.*last complete month is 2026-05"):
        check_report_month("2026-07", NOW, datetime(2026, 1, 1, tzinfo=UTC))
    assert "is not over" in check_report_month("2026-06", NOW, None)[0]
    assert "holds no issues" in check_report_month("2026-05", NOW, None)[0]
    assert "before any data" in check_report_month("2025-12", NOW, datetime(2026, 1, 5, tzinfo=UTC))[0]
    assert check_report_month("2026-05", NOW, datetime(2026, 1, 5, tzinfo=UTC)) == []


def test_a_sync_fails_when_write_back_failed_for_some_issues() -> None:
    ok = SimpleNamespace(writeback=SimpleNamespace(failed={}))
    off = SimpleNamespace(writeback=None)
    failed = SimpleNamespace(writeback=SimpleNamespace(failed={"HR-2": "HTTP 500", "HR-1": "HTTP 403"}))
    assert compute_sync_failure(ok) is None and compute_sync_failure(off) is None  # type: ignore[arg-type]
    assert compute_sync_failure(failed) == (  # type: ignore[arg-type]
        "stakeholder write-back failed for 2 issue(s): HR-1: HTTP 403; HR-2: HTTP 500")


class _RecordsOnly:
    """A store that can only hand over records (no columnar reads)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        if name in ("load_issues", "load_status_changes", "load_statuses"):
            return getattr(self.store, name)
        raise AttributeError(name)


def test_metrics_from_columns_equal_metrics_from_records(store: Store) -> None:
    issues, changes = backlog()
    store.save_snapshots([IssueSnapshot(i, tuple(c for c in changes if c.issue_key == i.key)) for i in issues], NOW)
    store.save_statuses([StatusInfo(n, c) for n, c in STATUSES.items()])  # type: ignore[arg-type]
    from_columns = load_report(store, config(), NOW).summary
    from_records = load_report(_RecordsOnly(store), config(), NOW).summary  # type: ignore[arg-type]
    assert from_columns == from_records and from_columns["backlog"]["total"] == len(issues)
