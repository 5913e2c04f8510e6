"""The sandbox's goals, KPI readings and survey answers: deterministic, in the formats goldenthread
reads, and shaped so that a Goals page at the sandbox's `now` shows every KPI status."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from goldenthread.cli.demo import _demo_people, build_demo_config
from goldenthread.mappings.config import parse_config
from goldenthread.mappings.outcomes import parse_answers, parse_readings
from goldenthread.reports.goals import build_outcome_tables, compute_kpis, compute_nps
from goldenthread.sandbox.catalogue import OBJECTIVES
from goldenthread.sandbox.outcomes import DEMO_GOALS, build_kpi_csv, build_survey_json

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_same_seed_and_now_give_the_same_files_another_seed_other_values() -> None:
    assert build_kpi_csv(NOW, 7) == build_kpi_csv(NOW, 7)
    assert build_survey_json(NOW, 7) == build_survey_json(NOW, 7)
    assert build_kpi_csv(NOW, 8) != build_kpi_csv(NOW, 7)
    rows = list(csv.DictReader(io.StringIO(build_kpi_csv(NOW))))
    assert all(r["date"] < "2026-11-25" for r in rows)  # nothing dated after `now`


def test_the_demo_goals_show_every_status_and_every_answer_parses() -> None:
    people, rules = _demo_people()
    config = parse_config(build_demo_config(people, rules, NOW))[0]
    assert [g.name for g in config.goals] == [g.name for g in DEMO_GOALS]
    kpi_names = [k.name for g in config.goals for o in g.objectives for k in o.kpis]
    readings = parse_readings(build_kpi_csv(NOW), "kpis.csv", "csv", kpi_names)
    answers = parse_answers(build_survey_json(NOW), "survey.json", "json")
    assert readings.problems == () and answers.problems == ()
    tables = build_outcome_tables(readings.rows, answers.rows)
    kpis, _ = compute_kpis(config, tables.readings, NOW)
    statuses = dict(zip(kpis["kpi"], kpis["status"], strict=True))
    assert set(statuses.values()) == {"achieved", "on_track", "at_risk", "no_data"}
    assert statuses["Purchases with a PO"] == "achieved" and statuses["Laptop swap time"] == "no_data"
    window, _ = compute_nps(tables.answers, config, NOW)
    # every sandbox objective has answers in the last 90 days, the one no goal lists included
    assert set(window["objective"]) == {*OBJECTIVES.values(), "Employee experience"}
    assert (window["answers"] >= 30).all()
    assert json.loads(build_survey_json(NOW))[0].keys() == {"date", "score", "objective", "comment"}
