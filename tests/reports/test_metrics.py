"""Outcome metrics with hand-computed expectations."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import UserRef
from goldenthread.reports import metrics as m
from goldenthread.reports.frames import build_frames
from tests.reports.test_frames import STATUSES, issue, moves, utc

SLA = Config.model_validate({"outcomes": {"sla_days": {"Bug": 5, "default": 30}},
                             "jira": {"status_overrides": {"Won't Do": "discarded"}}})  # fmt: skip


def frames(issues: list, changes: list | None = None, config: Config = SLA,
           as_of: datetime = utc(2024, 4, 10, 12)):  # fmt: skip
    return build_frames(issues, changes or [], STATUSES, config, as_of)


def test_percentiles_linear_and_empty() -> None:
    # sorted [1, 2, 3, 4, 10]: p50 at position 2 -> 3; p85 at 3.4 -> 4 + 0.4*6 = 6.4;
    # p95 at 3.8 -> 4 + 0.8*6 = 8.8
    got = m.compute_percentiles(pd.Series([10.0, 1.0, 3.0, 2.0, 4.0, float("nan")]))
    assert got["count"] == 5
    assert got["p50"] == pytest.approx(3.0)
    assert got["p85"] == pytest.approx(6.4)
    assert got["p95"] == pytest.approx(8.8)
    assert m.compute_percentiles(pd.Series([], dtype="float64")) == {
        "count": 0, "p50": None, "p85": None, "p95": None}  # fmt: skip


def test_throughput_includes_zero_months_up_to_as_of_and_skips_discarded() -> None:
    f = frames([
        issue("P-1", "Done", resolution_date=utc(2024, 1, 15)),
        issue("P-2", "Done", resolution_date=utc(2024, 3, 2)),
        issue("P-3", "Done", resolution_date=utc(2024, 3, 31, 23, 59)),
        issue("P-4", "Won't Do", resolution_date=utc(2024, 2, 10)),  # discarded
        issue("P-5", "Done"),  # done, no date: not in throughput
    ])  # fmt: skip
    tp = m.compute_throughput(f, utc(2024, 4, 10, 12))
    assert dict(zip(tp["month"], tp["completed"])) == {
        "2024-01": 1, "2024-02": 0, "2024-03": 2, "2024-04": 0}  # fmt: skip
    assert m.compute_throughput(frames([issue("P-9")])).empty


def test_wip_age_from_start_falls_back_to_created() -> None:
    f = frames(
        [issue("P-1", "In Progress"), issue("P-2", "In Progress", created=utc(2024, 4, 8))],
        moves("P-1", (utc(2024, 4, 1), "To Do", "In Progress")),
    )
    wip = m.compute_wip(f, utc(2024, 4, 10, 12))
    assert wip["key"].tolist() == ["P-1", "P-2"]  # oldest first
    assert wip["age_days"].tolist() == [9.5, 2.5]


def test_sla_per_issue_type_with_default_for_types_without_entry() -> None:
    created = utc(2024, 1, 1)
    f = frames([
        issue("P-1", "Done", issue_type="Bug", resolution_date=utc(2024, 1, 5)),  # 4 <= 5
        issue("P-2", "Done", issue_type="Bug", resolution_date=utc(2024, 1, 7)),  # 6 > 5
        issue("P-3", "Done", issue_type="Story", resolution_date=utc(2024, 1, 30)),  # 29 <= 30
        issue("P-4", "Done", issue_type="Task", resolution_date=utc(2024, 2, 1)),  # 31 > 30
        issue("P-5", "In Progress", created=created),
    ])  # fmt: skip
    sla = m.compute_sla(f, SLA)
    assert sla.overall == 0.5
    table = sla.by_issue_type.set_index("issue_type")
    assert table.loc["Bug", "sla_days"] == 5 and table.loc["Bug", "compliance"] == 0.5
    assert table.loc["Story", "sla_days"] == 30 and table.loc["Story", "compliance"] == 1.0
    assert table.loc["Task", "within_sla"] == 0
    assert m.compute_sla(frames([issue("P-9")]), SLA).overall is None


def test_month_comparison_and_monthly_outcomes() -> None:
    f = frames([
        issue("P-1", "Done", resolution_date=utc(2024, 3, 3)),  # lead 62 (Jan 1 -> Mar 3)
        issue("P-2", "Done", resolution_date=utc(2024, 4, 2)),  # lead 92
        issue("P-3", "Done", created=utc(2024, 4, 1), resolution_date=utc(2024, 4, 5)),  # 4
    ])  # fmt: skip
    cmp = m.compute_month_comparison(f, "2024-04")
    assert cmp["previous_month"] == "2024-03"
    assert cmp["current"]["completed"] == 2
    assert cmp["current"]["lead_time_p50"] == pytest.approx(48.0)  # (4 + 92) / 2
    assert cmp["current"]["lead_time_p85"] == pytest.approx(4 + 0.85 * 88)
    assert cmp["current"]["sla_compliance"] == 0.5  # 4 <= 30, 92 > 30
    assert cmp["previous"] == {"completed": 1, "lead_time_p50": 62.0, "lead_time_p85": 62.0,
                               "sla_compliance": 0.0}  # fmt: skip
    monthly = m.compute_monthly_outcomes(f, utc(2024, 5, 1)).set_index("month")
    assert monthly["completed"].tolist() == [1, 2, 0]
    assert pd.isna(monthly.loc["2024-05", "lead_time_p50"])


def test_breakdowns_by_objective_and_stakeholder() -> None:
    dana, eli = UserRef("dana"), UserRef("eli")
    f = frames([
        issue("P-1", "Done", objective="Cost", stakeholders=(dana,),
              resolution_date=utc(2024, 1, 11)),  # lead 10
        issue("P-2", "Done", objective="Cost", stakeholders=(dana, eli),
              resolution_date=utc(2024, 1, 21)),  # lead 20
        issue("P-3", "In Progress", objective="Cost", stakeholders=(eli,)),
        issue("P-4", "To Do", stakeholders=(dana,)),
        issue("P-5", "Won't Do", objective="Cost", stakeholders=(dana,)),  # discarded
    ])  # fmt: skip
    obj = m.compute_breakdown(f, "objective").set_index("group")
    assert obj.loc["Cost", "issues"] == 3 and obj.loc["Cost", "done"] == 2
    assert obj.loc["Cost", "open"] == 1
    assert obj.loc["Cost", "lead_time_p50"] == 15.0
    assert obj.loc["Cost", "lead_time_p85"] == pytest.approx(10 + 0.85 * 10)
    stake = m.compute_breakdown(f, "stakeholder").set_index("group")
    assert stake.loc["dana", ["open", "done"]].tolist() == [1, 2]
    assert stake.loc["eli", ["open", "done"]].tolist() == [1, 1]
    assert stake.loc["eli", "lead_time_p50"] == 20.0


def test_adoption_and_satisfaction_per_objective_or_unavailable() -> None:
    mapped = Config.model_validate({"fields": {"adoption": "Adoption rate"}})
    f = frames([
        issue("P-1", "Done", objective="HR", adoption=80),  # percent -> 0.8
        issue("P-2", "Done", objective="HR", adoption=0.5),
        issue("P-3", "Done", objective="IT"),
    ], config=mapped)  # fmt: skip
    got = m.compute_outcome_fields(f, mapped)
    assert got["adoption"]["available"] is True
    assert got["adoption"]["by_objective"] == {"HR": pytest.approx(0.65)}
    assert got["satisfaction"] == {"available": False, "mean": None, "by_objective": {}}


def test_every_metric_on_an_empty_backlog_returns_empty_typed_frames() -> None:
    f = frames([])
    assert list(m.compute_lead_times(f).columns) == list(m.LEAD_TIME_COLUMNS)
    assert list(m.compute_wip(f).columns) == list(m.WIP_COLUMNS)
    assert list(m.compute_throughput(f).columns) == ["month", "month_start", "completed"]
    for dim in ("objective", "team", "stakeholder"):
        b = m.compute_breakdown(f, dim)  # type: ignore[arg-type]
        assert b.empty and list(b.columns) == list(m.BREAKDOWN_COLUMNS)
    assert m.compute_monthly_outcomes(f).empty
    assert m.compute_open_past_sla(f).empty
    assert m.compute_sla(f, SLA).by_issue_type.empty
