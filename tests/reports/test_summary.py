"""compute_all / build_metrics_summary: the JSON shape of the README, hand-checked values."""

from __future__ import annotations

import json

import pytest

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import UserRef
from goldenthread.reports.summary import compute_all
from tests.reports.test_frames import STATUSES, issue, moves, utc

CONFIG = Config.model_validate({
    "jira": {"status_overrides": {"Won't Do": "discarded"}},
    "prioritisation": {"next_size": 1},
})  # fmt: skip


def test_summary_shape_and_values() -> None:
    zed, amy = UserRef("zed"), UserRef("amy")
    issues = [
        issue("P-1", "Done", resolution_date=utc(2024, 1, 11), stakeholders=(zed,)),  # lead 10
        issue("P-2", "Done", stakeholders=(zed, amy)),  # completes Feb 1 via history: lead 31
        issue("P-3", "In Progress", stakeholders=(amy,)),
        issue("P-4", reach=10, impact=1, confidence=1, effort=2, objective="Cost"),  # 5
        issue("P-10", reach=10, impact=1, confidence=1, effort=1),  # 10
        issue("P-5"),  # unscored
        issue("P-6", "Won't Do", stakeholders=(amy,)),
    ]
    changes = moves("P-2", (utc(2024, 1, 21), "To Do", "In Progress"),
                    (utc(2024, 2, 1), "In Progress", "Done"))  # fmt: skip
    as_of = utc(2024, 3, 5, 9, 30)
    report = compute_all(issues, changes, STATUSES, CONFIG, as_of)
    s = json.loads(json.dumps(report.summary, allow_nan=False))

    assert s["as_of"] == "2024-03-05T09:30:00Z"
    assert s["backlog"] == {"total": 7, "todo": 3, "in_progress": 1, "done": 2, "discarded": 1,
                            "unscored": 2}  # P-3 and P-5 (open only)  # fmt: skip
    assert s["lead_time_days"] == pytest.approx(
        {"count": 2, "p50": 20.5, "p85": 10 + 0.85 * 21, "p95": 10 + 0.95 * 21})
    assert s["cycle_time_days"] == {"count": 1, "p50": 11.0, "p85": 11.0, "p95": 11.0}
    assert s["throughput"] == {"2024-01": 1, "2024-02": 1, "2024-03": 0}
    assert s["sla_compliance"] == 0.5  # 10 <= 30, 31 > 30
    assert [(r["key"], r["score"], r["lane"], r["class"], r["objective"]) for r in s["ranking"]] == [
        ("P-10", 10.0, "next", "quick_win", None),
        ("P-4", 5.0, "later", "quick_win", "Cost"),
        ("P-3", None, "now", None, None),
        ("P-5", None, "later", None, None),
    ]
    # delivered: completed in March (none); now / next: their open items in those lanes (P-3)
    assert s["stakeholders"] == [{"id": "amy", "open": 1, "done": 1, "delivered": 0, "now": 1, "next": 0},
                                 {"id": "zed", "open": 0, "done": 2, "delivered": 0, "now": 0, "next": 0}]  # fmt: skip
    # previous_month: the last complete month before March (February: P-2) against January (P-1)
    assert (s["previous_month"]["month"], s["previous_month"]["previous_month"]) == ("2024-02", "2024-01")
    assert s["previous_month"]["current"]["completed"] == 1
    assert s["previous_month"]["current"]["lead_time_p50"] == 31.0
    assert s["previous_month"]["previous"]["completed"] == 1
    # current_month: March so far (nothing) against February
    assert s["current_month"]["month"] == "2024-03"
    assert s["current_month"]["current"]["completed"] == 0
    assert s["current_month"]["previous"]["completed"] == 1

    whats_new = report.outcomes.lead_times["key"].tolist()
    assert whats_new == ["P-2", "P-1"]  # newest first
    decisions = report.decisions
    assert set(decisions.loc[decisions["kind"] == "unscored", "key"]) == {"P-3", "P-5"}
    # every open issue was created Jan 1: 64.4 days old at Mar 5 09:30 > 30-day default SLA
    assert set(decisions.loc[decisions["kind"] == "past_sla", "key"]) == {
        "P-3", "P-4", "P-5", "P-10"}  # fmt: skip


def test_empty_backlog_summary_is_json_safe() -> None:
    report = compute_all([], [], {}, Config(), utc(2024, 1, 1))
    s = report.summary
    json.dumps(s, allow_nan=False)
    assert s["backlog"] == {"total": 0, "todo": 0, "in_progress": 0, "done": 0, "discarded": 0,
                            "unscored": 0}  # fmt: skip
    assert s["lead_time_days"] == {"count": 0, "p50": None, "p85": None, "p95": None}
    assert s["throughput"] == {} and s["ranking"] == [] and s["stakeholders"] == []
    assert s["sla_compliance"] is None
    assert report.decisions.empty
