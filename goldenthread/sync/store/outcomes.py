"""SQL of the KPI readings and survey answers (`kpi_readings`, `survey_answers`).

Upserts only: readings by (KPI, date), answers by their id (source + content + occurrence, see
`mappings.outcomes.build_answer_ids`). Nothing is deleted, so a source that loses rows or cannot
be read leaves what was stored; `first_seen_at` is kept from the first read. The tests run on
SQLite and PostgreSQL.

Tests: tests/sync/test_outcomes.py
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.reports.goals import OutcomeTables, build_outcome_tables_from_columns
from goldenthread.sync.store import schema as t
from goldenthread.sync.store.bulk import save_rows

_READING_UPDATE = ("value", "source", "line", "updated_at")
_ANSWER_UPDATE = ("source", "line", "updated_at")


def save_kpi_readings(engine: Engine, readings: Iterable[KpiReading], at: datetime) -> int:
    rows = ((r.kpi, r.date, r.value, r.source, r.line or None, at, at) for r in readings)
    with engine.begin() as conn:
        return save_rows(conn, t.kpi_readings, rows, keys=["kpi", "date"], update_cols=_READING_UPDATE)


def save_survey_answers(engine: Engine, answers: Iterable[SurveyAnswer], at: datetime) -> int:
    rows = ((a.answer_id, a.date, a.score, a.objective, a.comment, a.source, a.line or None, at, at)
            for a in answers)  # fmt: skip
    with engine.begin() as conn:
        return save_rows(conn, t.survey_answers, rows, keys=["answer_id"], update_cols=_ANSWER_UPDATE)


def _columns(engine: Engine, stmt: Any, names: tuple[str, ...]) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def load_outcome_tables(engine: Engine) -> OutcomeTables:
    """Every stored reading and answer as the report's tables."""
    r, a = t.kpi_readings.c, t.survey_answers.c
    readings = _columns(engine, select(r.kpi, r.date, r.value), ("kpi", "date", "value"))
    answers = _columns(engine, select(a.date, a.score, a.objective), ("date", "score", "objective"))
    return build_outcome_tables_from_columns(readings, answers)
