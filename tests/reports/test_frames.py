"""build_frames: stages, started/completed timestamps, lead and cycle time (hand-computed)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Issue, StatusChange, UserRef
from goldenthread.reports.frames import (
    CHANGE_COLUMNS,
    ISSUE_COLUMNS,
    build_frames,
    build_frames_from_tables,
    compute_change_positions,
)
from goldenthread.reports.tables import build_change_table, build_issue_table, build_tables, compute_user_names

STATUSES = {
    "To Do": "new",
    "In Progress": "indeterminate",
    "Done": "done",
    "Released": "done",
    "Won't Do": "done",
}
AS_OF = datetime(2024, 6, 15, 12, 0, tzinfo=timezone.utc)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


_CATEGORY = {"To Do": "new", "In Progress": "indeterminate"}


def issue(key: str, status: str = "To Do", **kw: Any) -> Issue:
    base: dict[str, Any] = {
        "key": key,
        "id": key.rsplit("-", 1)[-1],
        "project": key.rsplit("-", 1)[0],
        "summary": f"summary of {key}",
        "issue_type": "Story",
        "status": status,
        "status_category": _CATEGORY.get(status, "done"),
        "created": utc(2024, 1, 1),
        "updated": utc(2024, 1, 2),
    }
    base.update(kw)
    return Issue(**base)


def moves(key: str, *steps: tuple[datetime, str | None, str]) -> list[StatusChange]:
    return [
        StatusChange(issue_key=key, change_id=f"{key}-{n}", at=at, from_status=a, to_status=b)
        for n, (at, a, b) in enumerate(steps)
    ]


def row(frames: Any, key: str) -> pd.Series:
    df = frames.issues
    return df.loc[df["key"] == key].iloc[0]


REOPENED = moves(
    "P-1",
    (utc(2024, 1, 3), "To Do", "In Progress"),
    (utc(2024, 1, 5), "In Progress", "Done"),
    (utc(2024, 1, 10), "Done", "In Progress"),  # reopened
    (utc(2024, 1, 15), "In Progress", "Done"),
    (utc(2024, 1, 20), "Done", "Released"),  # done -> done: not a completion
)


def test_reopened_issue_completes_at_last_move_into_done_and_release_does_not_count() -> None:
    f = build_frames([issue("P-1", "Released")], REOPENED, STATUSES, Config(), AS_OF)
    r = row(f, "P-1")
    assert r["stage"] == "done"
    assert r["started_at"] == pd.Timestamp("2024-01-03", tz="UTC")
    assert r["completed_at"] == pd.Timestamp("2024-01-15", tz="UTC")
    assert r["lead_time_days"] == 14.0  # Jan 1 -> Jan 15
    assert r["cycle_time_days"] == 12.0  # Jan 3 -> Jan 15


def test_done_without_history_uses_resolution_date_and_neither_means_no_lead_time() -> None:
    issues = [
        issue("P-2", "Done", resolution_date=utc(2024, 2, 1, 12)),
        issue("P-3", "Done"),
    ]
    f = build_frames(issues, [], STATUSES, Config(), AS_OF)
    with_res = row(f, "P-2")
    assert with_res["completed_at"] == pd.Timestamp("2024-02-01 12:00", tz="UTC")
    assert with_res["lead_time_days"] == 31.5
    assert pd.isna(with_res["cycle_time_days"])
    neither = row(f, "P-3")
    assert neither["stage"] == "done"
    assert pd.isna(neither["completed_at"]) and pd.isna(neither["lead_time_days"])


def test_skipped_in_progress_has_lead_time_but_no_cycle_time() -> None:
    changes = moves("P-4", (utc(2024, 1, 4), "To Do", "Done"))
    f = build_frames([issue("P-4", "Done", created=utc(2024, 1, 1, 6))], changes, STATUSES,
                     Config(), AS_OF)  # fmt: skip
    r = row(f, "P-4")
    assert pd.isna(r["started_at"])
    assert r["lead_time_days"] == 2.75  # Jan 1 06:00 -> Jan 4 00:00
    assert pd.isna(r["cycle_time_days"])


def test_status_override_is_case_insensitive_and_discards() -> None:
    config = Config.model_validate({"jira": {"status_overrides": {"won't do": "discarded"}}})
    issues = [issue("P-5", "Won't Do", resolution_date=utc(2024, 1, 9))]
    changes = moves("P-5", (utc(2024, 1, 9), "To Do", "Won't Do"))
    f = build_frames(issues, changes, STATUSES, config, AS_OF)
    r = row(f, "P-5")
    assert r["stage"] == "discarded"
    assert pd.isna(r["completed_at"]) and pd.isna(r["lead_time_days"])
    assert f.changes["to_stage"].tolist() == ["discarded"]


def test_unknown_history_status_counts_as_in_progress() -> None:
    changes = moves(
        "P-6",
        (utc(2024, 1, 2), "To Do", "Legacy QA"),  # not in /status any more
        (utc(2024, 1, 4), "Legacy QA", "Done"),
    )
    f = build_frames([issue("P-6", "Done")], changes, STATUSES, Config(), AS_OF)
    r = row(f, "P-6")
    assert r["started_at"] == pd.Timestamp("2024-01-02", tz="UTC")
    assert r["cycle_time_days"] == 2.0


def test_current_status_missing_from_map_uses_issue_category() -> None:
    f = build_frames([issue("P-7", "Shipped", status_category="done",
                            resolution_date=utc(2024, 1, 3))], [], STATUSES, Config(), AS_OF)  # fmt: skip
    assert row(f, "P-7")["stage"] == "done"
    assert row(f, "P-7")["lead_time_days"] == 2.0


def test_natural_key_order_and_fields() -> None:
    issues = [
        issue("PROJ-10", reach=5, stakeholders=(UserRef("u1"), UserRef("u2")),
              reporter=UserRef("r1"), objective="Cost"),
        issue("PROJ-9"),
        issue("ALPHA-2"),
    ]  # fmt: skip
    f = build_frames(issues, moves("GONE-1", (utc(2024, 1, 2), "To Do", "Done")), STATUSES,
                     Config(), AS_OF)  # fmt: skip
    assert f.issues["key"].tolist() == ["ALPHA-2", "PROJ-9", "PROJ-10"]
    assert f.issues["number"].tolist() == [2, 9, 10]
    r = row(f, "PROJ-10")
    assert r["stakeholder_ids"] == ("u1", "u2")
    assert r["reporter_id"] == "r1" and r["objective"] == "Cost" and r["reach"] == 5.0
    assert pd.isna(r["impact"])
    assert f.changes.empty  # changes of issues outside the backlog are dropped


def test_empty_input_gives_typed_empty_frames() -> None:
    f = build_frames([], [], {}, Config(), AS_OF)
    assert tuple(f.issues.columns) == ISSUE_COLUMNS
    assert tuple(f.changes.columns) == CHANGE_COLUMNS
    assert len(f.issues) == 0 and len(f.changes) == 0
    assert str(f.issues["created"].dtype) == "datetime64[us, UTC]"
    assert str(f.issues["completed_at"].dtype) == "datetime64[us, UTC]"
    assert f.issues["lead_time_days"].dtype == "float64"
    assert f.issues["stage"].dtype == "category"
    assert list(f.issues["stage"].cat.categories) == ["todo", "in_progress", "done", "discarded"]


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError):
        build_frames([], [], {}, Config(), datetime(2024, 1, 1))


def test_build_tables_positions_follow_issue_rows_and_frames_match_key_matching() -> None:
    # issues deliberately not in natural order, so build_frames re-sorts them and the
    # precomputed positions must follow the rows
    issues = [issue("P-10", "Done"), issue("P-2", "In Progress"), issue("A-1", "Done")]
    changes = [
        *moves("A-1", (utc(2024, 1, 2), "To Do", "In Progress"), (utc(2024, 1, 4), "In Progress", "Done")),
        *moves("GONE-1", (utc(2024, 1, 2), "To Do", "Done")),
        *moves("P-10", (utc(2024, 1, 3), "To Do", "In Progress"), (utc(2024, 1, 11), "In Progress", "Done")),
        *moves("P-2", (utc(2024, 1, 6), "To Do", "In Progress")),
    ]  # fmt: skip
    issue_table, change_table = build_tables(issues, changes)
    # rows of the issue table as given: P-10 -> 0, P-2 -> 1, A-1 -> 2; GONE-1 absent
    assert change_table["issue_pos"].tolist() == [2, 2, -1, 0, 0, 1]
    # matching the keys later (object keys, and categorical keys as a store hands them over)
    assert compute_change_positions(issue_table, change_table).tolist() == [2, 2, -1, 0, 0, 1]
    by_cat = build_change_table(changes)
    assert compute_change_positions(issue_table, by_cat).tolist() == [2, 2, -1, 0, 0, 1]
    assert change_table["issue_key"].tolist() == [c.issue_key for c in changes]

    f = build_frames(issues, changes, STATUSES, Config(), AS_OF)
    assert f.issues["key"].tolist() == ["A-1", "P-2", "P-10"]
    # created 2024-01-01: A-1 done on the 4th (lead 3 d, cycle 2 d), P-10 on the 11th (10 d, 8 d)
    assert f.issues["lead_time_days"].tolist()[0::2] == [3.0, 10.0]
    assert f.issues["cycle_time_days"].tolist()[0::2] == [2.0, 8.0]
    assert row(f, "P-2")["started_at"] == pd.Timestamp("2024-01-06", tz="UTC")
    assert f.changes["issue_key"].tolist() == ["A-1", "A-1", "P-2", "P-10", "P-10"]
    assert "issue_pos" not in f.changes.columns
    by_key = build_frames_from_tables(
        build_issue_table(issues), build_change_table(changes), STATUSES, Config(), AS_OF
    )
    pd.testing.assert_frame_equal(f.issues, by_key.issues)
    pd.testing.assert_frame_equal(f.changes, by_key.changes)


def test_build_tables_with_duplicate_issue_keys_leaves_matching_to_keys() -> None:
    changes = moves("P-1", (utc(2024, 1, 2), "To Do", "In Progress"))
    _, change_table = build_tables([issue("P-1"), issue("P-1")], changes)
    assert "issue_pos" not in change_table.columns
    assert change_table["issue_key"].astype(object).tolist() == ["P-1"]

_STRAIGHT = moves(
    "P-2",
    (utc(2024, 1, 2), None, "To Do"),  # creation entry
    (utc(2024, 1, 4), "To Do", "In Progress"),
    (utc(2024, 1, 6), "In Progress", "In Progress"),
    (utc(2024, 1, 9), "In Progress", "Done"),
)


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(REOPENED + _STRAIGHT, id="by-issue-then-time"),  # the store's order
        pytest.param(_STRAIGHT[::-1] + REOPENED[::-1], id="newest-first"),
        pytest.param([c for pair in zip(REOPENED, _STRAIGHT) for c in pair] + [REOPENED[-1]],
                     id="interleaved"),  # fmt: skip
        pytest.param(REOPENED[2:] + REOPENED[:2] + _STRAIGHT, id="grouped-not-in-time-order"),
    ],
)
def test_times_do_not_depend_on_the_order_changes_arrive_in(order: list[StatusChange]) -> None:
    issues = [issue("P-1", "Released"), issue("P-2", "Done")]
    for frames in (
        build_frames(issues, order, STATUSES, Config(), AS_OF),
        build_frames_from_tables(build_issue_table(issues), build_change_table(order), STATUSES,
                                 Config(), AS_OF),  # fmt: skip
    ):
        p1, p2 = row(frames, "P-1"), row(frames, "P-2")
        # P-1: first start Jan 3, last non-done -> done Jan 15 (created Jan 1)
        assert p1["started_at"] == pd.Timestamp("2024-01-03", tz="UTC")
        assert p1["completed_at"] == pd.Timestamp("2024-01-15", tz="UTC")
        assert (p1["lead_time_days"], p1["cycle_time_days"]) == (14.0, 12.0)
        # P-2: started Jan 4, done Jan 9
        assert p2["started_at"] == pd.Timestamp("2024-01-04", tz="UTC")
        assert (p2["lead_time_days"], p2["cycle_time_days"]) == (8.0, 5.0)
        ch = frames.changes
        assert ch["issue_key"].tolist() == ["P-1"] * 5 + ["P-2"] * 4
        assert ch["at"].is_monotonic_increasing is False  # two issues, each in time order
        for key in ("P-1", "P-2"):
            assert ch.loc[ch["issue_key"] == key, "at"].is_monotonic_increasing
        assert ch["to_stage"].tolist() == ["in_progress", "done", "in_progress", "done", "done",
                                           "todo", "in_progress", "in_progress", "done"]  # fmt: skip
        assert pd.isna(ch["from_stage"].iloc[5])  # the creation entry


def test_a_workflow_with_many_in_progress_statuses() -> None:
    # more in-progress statuses than the per-status comparisons take: looked up per row instead
    steps = [f"Step {n}" for n in range(10)]
    statuses = {**STATUSES, **dict.fromkeys(steps, "indeterminate")}
    changes = moves(
        "P-1",
        *[(utc(2024, 1, 2 + n), steps[n - 1] if n else "To Do", step) for n, step in enumerate(steps)],
        (utc(2024, 1, 20), steps[-1], "Done"),
    )
    other = moves("P-2", (utc(2024, 1, 5), "To Do", "Step 7"))
    f = build_frames([issue("P-1", "Done"), issue("P-2", "Step 7")], changes + other, statuses,
                     Config(), AS_OF)  # fmt: skip
    assert row(f, "P-1")["started_at"] == pd.Timestamp("2024-01-02", tz="UTC")  # into Step 0
    assert (row(f, "P-1")["lead_time_days"], row(f, "P-1")["cycle_time_days"]) == (19.0, 18.0)
    assert row(f, "P-2")["started_at"] == pd.Timestamp("2024-01-05", tz="UTC")
    assert row(f, "P-2")["stage"] == "in_progress"


def test_normalise_percent_reads_above_one_as_a_percentage() -> None:
    from goldenthread.reports.frames import normalise_percent

    got = normalise_percent(pd.Series([80.0, 1.0, 0.5, 100.0, float("nan"), 1.5]))
    assert got.iloc[[0, 1, 2, 3, 5]].tolist() == [0.8, 1.0, 0.5, 1.0, 0.015]
    assert pd.isna(got.iloc[4])


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.sampled_from(["Ann", "Bo", "", None])),
                max_size=12),
       st.lists(st.tuples(st.sampled_from(["a", "d"]), st.sampled_from(["Zed", "Di"])), max_size=6),
       st.randoms())
def test_user_names_never_depend_on_the_order_rows_come_in(first, second, rnd) -> None:  # type: ignore[no-untyped-def]
    names = compute_user_names(first, second)
    shuffled = [list(first), list(second)]
    for rows in shuffled:
        rnd.shuffle(rows)
    assert compute_user_names(*shuffled) == names
    for uid, name in names.items():
        named_first = [n for u, n in first if u == uid and n]
        assert name == (max(named_first) if named_first else max(n for u, n in second if u == uid))
