"""Store.load_issue_table / load_change_table: columns straight from SQL, on SQLite and PostgreSQL,
giving the same frames as the record path (expectations computed by hand)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Issue, IssueSnapshot, StatusChange, StatusInfo, UserRef
from goldenthread.reports.frames import (
    build_frames,
    build_frames_from_tables,
    compute_issue_times,
    compute_stage_map,
)
from goldenthread.reports.tables import TABLE_ISSUE_COLUMNS
from goldenthread.sync.store import Store

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done", "Released": "done"}
CONFIG = Config.model_validate({})


def _issue(key: str, **kw: object) -> Issue:
    base: dict[str, object] = dict(
        key=key, id=key.split("-")[1], project=key.split("-")[0], summary=f"s {key}",
        issue_type="Story", status="To Do", status_category="new", created=T0,
        updated=T0 + timedelta(days=1),
    )  # fmt: skip
    base.update(kw)
    return Issue(**base)  # type: ignore[arg-type]


def _seed(store: Store) -> None:
    done = _issue(
        "HR-10", status="Released", status_category="done", reach=800.0, effort=None,
        objective="Cut time-to-hire", labels=("a", "b"), components=("Payroll",),
        reporter=UserRef("u-1", "Dana"), stakeholders=(UserRef("u-2", "Ola"), UserRef("u-3")),
        resolution_date=T0 + timedelta(days=30),
    )  # fmt: skip
    done_changes = (
        StatusChange("HR-10", "1", T0 + timedelta(days=2), "To Do", "In Progress", "u-1"),
        StatusChange("HR-10", "2", T0 + timedelta(days=5), "In Progress", "Done"),
        # reopened, then done again: completion is the last move into done (day 9)
        StatusChange("HR-10", "3", T0 + timedelta(days=6), "Done", "In Progress"),
        StatusChange("HR-10", "4", T0 + timedelta(days=9), "In Progress", "Done"),
        StatusChange("HR-10", "5", T0 + timedelta(days=12), "Done", "Released"),
    )
    open_ = _issue("HR-2")
    gone = _issue("FIN-1", status="In Progress", status_category="indeterminate")
    gone_changes = (StatusChange("FIN-1", "9", T0, "To Do", "In Progress"),)
    store.save_snapshots(
        [IssueSnapshot(done, done_changes), IssueSnapshot(open_), IssueSnapshot(gone, gone_changes)],
        synced_at=T0,
    )
    store.mark_removed(["FIN-1"], "left the backlog", T0 + timedelta(days=3))


def test_issue_table_columns_and_values(store: Store) -> None:
    _seed(store)
    df = store.load_issue_table().set_index("key", drop=False)
    assert list(df.columns) == list(TABLE_ISSUE_COLUMNS)
    assert sorted(df["key"]) == ["HR-10", "HR-2"]  # removed FIN-1 is not live
    hr10 = df.loc["HR-10"]
    assert hr10["number"] == 10 and hr10["project"] == "HR"
    assert hr10["created"] == pd.Timestamp("2026-03-01 09:30", tz="UTC")
    assert hr10["resolution_date"] == pd.Timestamp("2026-03-31 09:30", tz="UTC")
    assert hr10["labels"] == ("a", "b") and hr10["components"] == ("Payroll",)
    assert hr10["stakeholder_ids"] == ("u-2", "u-3") and hr10["reporter_id"] == "u-1"
    assert hr10["reach"] == 800.0 and math.isnan(hr10["effort"])
    assert pd.isna(df.loc["HR-2", "resolution_date"]) and pd.isna(df.loc["HR-2", "assignee_id"])
    assert df.loc["HR-2", "stakeholder_ids"] == ()
    assert str(df["created"].dtype) == "datetime64[us, UTC]"


def test_issue_table_with_the_names_jira_gave_from_one_read(store: Store) -> None:
    _seed(store)
    store.save_snapshots([IssueSnapshot(_issue("HR-3", assignee=UserRef("u-4", "Ines"),
                                               reporter=UserRef("u-2", "Ola again")))], synced_at=T0)
    table, names = store.load_issue_table_and_names()
    assert table.equals(store.load_issue_table())
    # u-3 has no name in Jira; the removed FIN-1 names nobody; a stakeholder field names u-2 first
    assert names == {"u-1": "Dana", "u-2": "Ola", "u-4": "Ines"}


def test_change_table_holds_live_changes_only(store: Store) -> None:
    _seed(store)
    ch = store.load_change_table()
    assert sorted(ch["change_id"]) == ["1", "2", "3", "4", "5"]  # FIN-1's change is gone
    first = ch.loc[ch["change_id"] == "1"].iloc[0]
    assert first["at"] == pd.Timestamp("2026-03-03 09:30", tz="UTC")
    assert (first["from_status"], first["to_status"], first["author_id"]) == (
        "To Do", "In Progress", "u-1",
    )  # fmt: skip


def test_frames_from_tables_match_hand_computed_lead_times(store: Store) -> None:
    _seed(store)
    as_of = T0 + timedelta(days=40)
    f = build_frames_from_tables(
        store.load_issue_table(), store.load_change_table(), STATUSES, CONFIG, as_of
    )
    row = f.issues.set_index("key").loc["HR-10"]
    # started day 2 (first move into In Progress); completed day 9 (last move into done,
    # Done -> Released ignored): lead 9 days, cycle 7 days
    assert row["started_at"] == pd.Timestamp("2026-03-03 09:30", tz="UTC")
    assert row["completed_at"] == pd.Timestamp("2026-03-10 09:30", tz="UTC")
    assert row["lead_time_days"] == 9.0 and row["cycle_time_days"] == 7.0
    # the record path over the same store builds the same frames
    via_records = build_frames(
        store.load_issues(), store.load_status_changes(), STATUSES, CONFIG, as_of
    )
    pd.testing.assert_frame_equal(f.issues, via_records.issues)
    pd.testing.assert_frame_equal(f.changes, via_records.changes)


def test_times_from_store_tables_whatever_order_the_changes_were_saved_in(store: Store) -> None:
    # the tables come in no particular order; each issue's changes saved newest first here
    snaps = []
    for key in ("HR-2", "HR-10", "FIN-7", "HR-1"):
        steps = [(3, "In Progress", "Done"), (1, "To Do", "In Progress"), (2, "In Progress", "In Progress")]
        changes = tuple(
            StatusChange(key, f"{key}-{n}", T0 + timedelta(hours=h), a, b)
            for n, (h, a, b) in enumerate(steps)
        )  # fmt: skip
        snaps.append(IssueSnapshot(_issue(key, status="Done", status_category="done"), changes))
    store.save_snapshots(snaps, synced_at=T0)
    issues, changes = store.load_issue_table(), store.load_change_table()
    stage_of = compute_stage_map(issues, changes, STATUSES, CONFIG)
    times = compute_issue_times(issues, changes, stage_of)
    assert not times.grouped  # the unordered path of compute_issue_times
    # started hour 1, done hour 3, created T0: 1/8 day lead, 1/12 day cycle for every issue
    assert times.lead_time_days.tolist() == [0.125] * 4
    assert times.cycle_time_days.tolist() == [2 / 24] * 4


def test_empty_store_gives_empty_tables(store: Store) -> None:
    assert store.load_issue_table().empty and store.load_change_table().empty
    f = build_frames_from_tables(
        store.load_issue_table(), store.load_change_table(), STATUSES, CONFIG, T0
    )
    assert f.issues.empty and f.changes.empty


class _RecordsOnly:
    """A store that only hands over records, recording which loads were asked for."""

    def __init__(self, store: Store) -> None:
        self.store, self.calls = store, []  # type: list[str]

    def load_issues(self) -> list[Issue]:
        self.calls.append("load_issues")
        return self.store.load_issues()

    def load_status_changes(self) -> list[StatusChange]:
        self.calls.append("load_status_changes")
        return self.store.load_status_changes()

    def load_statuses(self) -> dict[str, str]:
        self.calls.append("load_statuses")
        return dict(STATUSES)


def test_metrics_command_reads_tables_and_prints_what_the_record_path_prints(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goldenthread.cli.metrics import run_metrics

    _seed(store)
    as_of = T0 + timedelta(days=40)
    records_only = _RecordsOnly(store)
    via_records = run_metrics(records_only, CONFIG, as_of, "json")
    assert records_only.calls == ["load_issues", "load_status_changes", "load_statuses"]

    store.save_statuses([StatusInfo(n, c) for n, c in STATUSES.items()])  # type: ignore[arg-type]
    via_tables = run_metrics(store, CONFIG, as_of, "json")
    assert via_tables == via_records
    # the table path builds no records: a store without load_issues still works
    monkeypatch.setattr(store, "load_issues", None)
    monkeypatch.setattr(store, "load_status_changes", None)
    assert run_metrics(store, CONFIG, as_of, "json") == via_records
    assert '"p50": 9.0' in via_tables  # HR-10's hand-computed 9-day lead time
