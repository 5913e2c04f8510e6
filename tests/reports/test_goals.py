"""Goals, KPIs and surveys (docs/metrics.md definitions), every figure worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goldenthread.mappings.config import Config, parse_config
from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.mappings.records import StatusChange
from goldenthread.reports.goals import (
    OutcomeTables,
    build_outcome_tables,
    compute_goals,
    compute_kpis,
    compute_nps,
)
from goldenthread.reports.summary import compute_all
from tests.reports.page_fixtures import DANA, STATUSES, issue, t

CONFIG = f"""
fields: {{objective: Objective, adoption: Adoption, satisfaction: Satisfaction}}
stakeholders:
  people: [{{id: "{DANA}", name: Dana}}]
prioritisation: {{objective_weights: {{"Self-service IT": 0.5, "Employee experience": 0.8}}}}
goals:
  - name: Hire faster
    objectives:
      - name: Cut time-to-hire
        weight: 1.5
        owner: "{DANA}"
        kpis:
          - {{name: Offer approval time, unit: days, baseline: {{value: 5, date: 2026-01-01}},
              target: {{value: 2, date: 2026-04-11}}}}
  - name: Great place to work
    objectives:
      - name: Self-service IT
        kpis:
          - {{name: Self-service share, unit: "%", baseline: {{value: 20, date: 2026-01-01}},
              target: {{value: 60, date: 2026-04-11}}}}
          - {{name: Laptop swap time, unit: days, baseline: {{value: 10, date: 2026-01-01}},
              target: {{value: 3, date: 2026-04-11}}}}
  - name: An empty goal
"""
# baseline 1 January, target 11 April: 100 days; on 20 February 50 have passed, expected 0.5
AS_OF = datetime(2026, 2, 20, tzinfo=UTC)


def config() -> Config:
    return parse_config(CONFIG)[0]


def reading(kpi: str, day: str, value: float) -> KpiReading:
    return KpiReading(kpi, date.fromisoformat(day), value)


def answer(day: str, score: int, objective: str) -> SurveyAnswer:
    return SurveyAnswer("", date.fromisoformat(day), score, objective)


def kpi_table(readings: list[KpiReading], as_of: datetime = AS_OF) -> pd.DataFrame:
    tables = build_outcome_tables(readings, [])
    kpis, _ = compute_kpis(config(), tables.readings, as_of)
    return kpis.set_index("kpi")


def test_progress_going_down_approval_time_5_to_2_days() -> None:
    kpis = kpi_table([reading("Offer approval time", "2026-01-01", 5),
                      reading("Offer approval time", "2026-02-10", 3.8)])
    row = kpis.loc["Offer approval time"]
    assert row["direction"] == "down"
    assert row["actual"] == 3.8 and row["actual_date"] == pd.Timestamp("2026-02-10", tz="UTC")
    assert row["progress"] == pytest.approx(0.4)  # (3.8 - 5) / (2 - 5): 1.2 of the 3 days cut
    assert row["expected"] == pytest.approx(0.5)
    assert row["status"] == "on_track"  # 0.4 >= 0.5 - 0.1, exactly at the edge
    worse = kpi_table([reading("Offer approval time", "2026-02-10", 3.9)]).loc["Offer approval time"]
    assert worse["progress"] == pytest.approx(1.1 / 3) and worse["status"] == "at_risk"
    slower = kpi_table([reading("Offer approval time", "2026-02-10", 5.6)]).loc["Offer approval time"]
    assert slower["progress"] == pytest.approx(-0.2) and slower["status"] == "at_risk"  # got worse


def test_progress_going_up_self_service_share_20_to_60_percent() -> None:
    row = kpi_table([reading("Self-service share", "2026-02-19", 44)]).loc["Self-service share"]
    assert row["direction"] == "up"
    assert row["progress"] == pytest.approx(0.6) and row["status"] == "on_track"  # 24 of 40 points
    behind = kpi_table([reading("Self-service share", "2026-02-19", 30)]).loc["Self-service share"]
    assert behind["progress"] == pytest.approx(0.25) and behind["status"] == "at_risk"
    beyond = kpi_table([reading("Self-service share", "2026-02-19", 64)]).loc["Self-service share"]
    assert beyond["progress"] == pytest.approx(1.1) and beyond["status"] == "achieved"


def test_no_readings_and_a_reading_after_as_of() -> None:
    readings = [reading("Offer approval time", "2026-02-01", 4.0),
                reading("Offer approval time", "2026-03-01", 2.0)]  # after as_of: not yet known
    kpis = kpi_table(readings)
    assert kpis.loc["Offer approval time", "actual"] == 4.0
    assert kpis.loc["Offer approval time", "status"] == "at_risk"  # 1/3 < 0.5 - 0.1
    none = kpis.loc["Laptop swap time"]
    assert none["status"] == "no_data" and pd.isna(none["actual"]) and pd.isna(none["progress"])
    assert none["expected"] == pytest.approx(0.5)  # the time still passes
    later = kpi_table(readings, datetime(2026, 3, 1, tzinfo=UTC)).loc["Offer approval time"]
    assert (later["actual"], later["status"]) == (2.0, "achieved")  # a reading on as_of's day counts
    before = kpi_table(readings, datetime(2025, 12, 1, tzinfo=UTC)).loc["Offer approval time"]
    assert before["status"] == "no_data" and before["expected"] == 0.0  # clipped, not negative
    after = kpi_table(readings, datetime(2026, 6, 1, tzinfo=UTC)).loc["Laptop swap time"]
    assert after["expected"] == 1.0


def test_readings_match_kpis_case_insensitively_and_unknown_kpis_are_ignored() -> None:
    kpis = kpi_table([reading("OFFER APPROVAL TIME", "2026-02-10", 3.8), reading("Nobody's KPI", "2026-02-10", 1)])
    assert kpis.loc["Offer approval time", "actual"] == 3.8
    assert list(kpis.index) == ["Offer approval time", "Self-service share", "Laptop swap time"]


def nps(answers: list[SurveyAnswer], as_of: datetime = AS_OF) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = build_outcome_tables([], answers)
    return compute_nps(tables.answers, config(), as_of)


def test_nps_with_only_passives_is_zero_with_the_count_and_the_90_day_window() -> None:
    window, _ = nps([
        answer("2026-02-01", 7, "Cut time-to-hire"), answer("2026-02-02", 8, "Cut time-to-hire"),
        answer("2026-02-20", 8, "cut time-to-hire"),  # as_of's day: in
        answer("2025-11-23", 10, "Self-service IT"), answer("2026-01-05", 9, "Self-service IT"),
        answer("2026-01-06", 9, "Self-service IT"), answer("2026-01-07", 6, "Self-service IT"),
        answer("2026-01-08", 8, "Self-service IT"),
        answer("2025-11-22", 0, "Self-service IT"),  # 90 days before as_of: out
        answer("2026-02-21", 0, "Self-service IT"),  # after as_of: out
    ])  # fmt: skip
    got = {r["objective"]: (r["answers"], r["score"]) for r in window.to_dict("records")}
    assert got == {"Cut time-to-hire": (3, 0.0), "Self-service IT": (5, 40.0)}  # 100 * (3 - 1) / 5


def test_nps_per_calendar_month_with_empty_months_and_all_objectives() -> None:
    _, monthly = nps([answer("2025-12-03", 10, "Self-service IT"), answer("2025-12-04", 0, "Self-service IT"),
                      answer("2025-12-05", 9, "Cut time-to-hire"), answer("2026-02-01", 3, "Self-service IT")])
    rows = {(r["objective"], r["month"]): (r["answers"], None if pd.isna(r["score"]) else r["score"])
            for r in monthly.to_dict("records")}  # fmt: skip
    assert rows == {
        ("Cut time-to-hire", "2025-12"): (1, 100.0), ("Cut time-to-hire", "2026-01"): (0, None),
        ("Cut time-to-hire", "2026-02"): (0, None),
        ("Self-service IT", "2025-12"): (2, 0.0), ("Self-service IT", "2026-01"): (0, None),
        ("Self-service IT", "2026-02"): (1, -100.0),
        (None, "2025-12"): (3, 100 * (2 - 1) / 3), (None, "2026-01"): (0, None), (None, "2026-02"): (1, -100.0),
    }  # fmt: skip


def backlog() -> tuple[list, list]:  # type: ignore[type-arg]
    issues = [
        issue("HR-1", "Offer letters in a click", "Done", "2026-01-02", objective="Cut time-to-hire",
              adoption=0.5, satisfaction=20),
        issue("HR-2", "Approve offers on mobile", "Done", "2026-01-05", objective="cut time-to-hire",
              adoption=80, satisfaction=40),  # percent; another spelling of the same objective
        issue("HR-3", "Interview slots", "In Progress", "2026-01-10", objective="Cut time-to-hire", adoption=1.0),
        issue("HR-4", "Scrapped idea", "Won't Do", "2026-01-11", objective="Cut time-to-hire", adoption=0.0),
        issue("IT-1", "Password reset portal", "To Do", "2026-01-12", objective="Self-service IT"),
        issue("IT-2", "Intranet theme", "Done", "2026-01-13", objective="Employee experience", satisfaction=-10),
        issue("IT-3", "Printer fix", "To Do", "2026-01-14"),
    ]  # fmt: skip
    changes = [
        StatusChange("HR-1", "1", t("2026-01-12"), "To Do", "Done"),  # 10 days
        StatusChange("HR-2", "2", t("2026-01-25"), "To Do", "Done"),  # 20 days
        StatusChange("HR-3", "3", t("2026-01-20"), "To Do", "In Progress"),
        StatusChange("HR-4", "4", t("2026-01-15"), "To Do", "Won't Do"),
        StatusChange("IT-2", "5", t("2026-02-12"), "To Do", "Done"),
    ]
    return issues, changes


def goals_json(tables: OutcomeTables | None = None, as_of: datetime = AS_OF) -> list[dict]:  # type: ignore[type-arg]
    cfg = config().model_copy(update={"jira": config().jira.model_copy(update={"status_overrides": {"Won't Do": "discarded"}})})
    issues, changes = backlog()
    return compute_all(issues, changes, STATUSES, cfg, as_of, tables).summary["goals"]  # type: ignore[no-any-return]


def test_the_json_goals_block_per_objective() -> None:
    tables = build_outcome_tables(
        [reading("Offer approval time", "2026-02-10", 3.8), reading("Self-service share", "2026-02-19", 30)],
        [answer("2026-02-01", 7, "Cut time-to-hire"), answer("2026-02-02", 9, "Employee experience")],
    )
    hire, work, empty, other = goals_json(tables)
    assert [g["name"] for g in (hire, work, empty, other)] == ["Hire faster", "Great place to work", "An empty goal", None]
    (cut,) = hire["objectives"]
    assert cut == {
        "name": "Cut time-to-hire", "weight": 1.5, "owner": DANA,
        "kpis": [{"name": "Offer approval time", "unit": "days",
                  "baseline": {"value": 5.0, "date": "2026-01-01"}, "target": {"value": 2.0, "date": "2026-04-11"},
                  "actual": 3.8, "actual_date": "2026-02-10", "progress": pytest.approx(0.4),
                  "expected": 0.5, "status": "on_track"}],
        "nps": {"score": 0.0, "answers": 1},
        "adoption_mean": pytest.approx(0.65),  # (0.5 + 80%) / 2 over done work; open and discarded left out
        "satisfaction_mean": 30.0,
        "open": 1, "done": 2, "lead_time_p50": 15.0, "sla_compliance": 1.0,
    }  # fmt: skip
    (selfservice,) = work["objectives"]
    assert [k["status"] for k in selfservice["kpis"]] == ["at_risk", "no_data"]
    assert selfservice["weight"] == 0.5 and selfservice["owner"] is None  # objective_weights still count
    assert selfservice["nps"] == {"score": None, "answers": 0}
    assert (selfservice["open"], selfservice["done"], selfservice["lead_time_p50"]) == (1, 0, None)
    assert selfservice["adoption_mean"] is None
    assert empty["objectives"] == []
    (experience,) = other["objectives"]  # named by issues and answers, by no goal
    assert (experience["name"], experience["weight"], experience["kpis"]) == ("Employee experience", 0.8, [])
    assert experience["nps"] == {"score": 100.0, "answers": 1} and experience["satisfaction_mean"] == -10.0


def test_goal_readings_and_answers_are_taken_at_as_of() -> None:
    tables = build_outcome_tables([reading("Offer approval time", "2026-02-10", 3.8)],
                                  [answer("2026-01-25", 9, "Cut time-to-hire")])
    (cut,) = goals_json(tables, datetime(2026, 1, 20, tzinfo=UTC))[0]["objectives"]
    assert cut["kpis"][0]["status"] == "no_data" and cut["kpis"][0]["expected"] == pytest.approx(0.19)
    assert cut["nps"] == {"score": None, "answers": 0}


def test_goal_work_figures_are_taken_at_as_of() -> None:
    (cut,) = goals_json(None, datetime(2026, 1, 20, tzinfo=UTC))[0]["objectives"]
    # HR-2 was not done yet on 20 January: only HR-1 (10 days) counts
    assert (cut["done"], cut["lead_time_p50"]) == (1, 10.0)


def test_without_any_stored_readings_or_answers() -> None:
    hire, *_ = goals_json(None)
    (cut,) = hire["objectives"]
    assert cut["kpis"][0]["status"] == "no_data" and cut["nps"] == {"score": None, "answers": 0}


scores = st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=60)


@settings(max_examples=60, deadline=None)
@given(scores)
def test_nps_property_bounds_and_definition(values: list[int]) -> None:
    answers = [answer("2026-02-01", v, "Cut time-to-hire") for v in values]
    window, monthly = nps(answers)
    (row,) = window.to_dict("records")
    promoters, detractors = sum(v >= 9 for v in values), sum(v <= 6 for v in values)
    assert row["answers"] == len(values)
    assert row["score"] == pytest.approx(100 * (promoters - detractors) / len(values))
    assert -100 <= row["score"] <= 100
    assert monthly.loc[monthly["objective"].isna(), "answers"].sum() == len(values)


@settings(max_examples=80, deadline=None)
@given(
    baseline=st.floats(-1e3, 1e3, allow_nan=False), span=st.floats(0.5, 1e3),
    down=st.booleans(), days=st.lists(st.tuples(st.integers(0, 200), st.floats(-2e3, 2e3, allow_nan=False)),
                                      max_size=8),  # fmt: skip
    as_of_day=st.integers(-30, 250),
)
def test_kpi_property_actual_is_the_latest_reading_up_to_as_of(
    baseline: float, span: float, down: bool, days: list[tuple[int, float]], as_of_day: int,
) -> None:
    target = baseline - span if down else baseline + span
    cfg = Config.model_validate({"goals": [{"name": "G", "objectives": [{"name": "O", "kpis": [{
        "name": "K", "baseline": {"value": baseline, "date": "2026-01-01"},
        "target": {"value": target, "date": "2026-04-11"}}]}]}]})  # fmt: skip
    start = date(2026, 1, 1)
    readings = [KpiReading("K", start + timedelta(days=d), v) for d, v in days]
    as_of = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=as_of_day)
    (row,) = compute_kpis(cfg, build_outcome_tables(readings, []).readings, as_of)[0].to_dict("records")
    known = sorted((d, i) for i, (d, _) in enumerate(days) if d <= as_of_day)
    if not known:
        assert row["status"] == "no_data"
        return
    latest = days[max(i for d, i in known if d == known[-1][0])][1]  # same day: the later row
    assert row["actual"] == latest
    progress = (latest - baseline) / (target - baseline)
    assert row["progress"] == pytest.approx(progress)
    assert 0.0 <= row["expected"] <= 1.0
    expected_status = ("achieved" if progress >= 1 - 1e-9 else
                       "on_track" if progress >= row["expected"] - 0.1 - 1e-9 else "at_risk")
    assert row["status"] == expected_status
