"""SQL of the KPI readings and survey answers (`kpi_readings`, `survey_answers`).

Upserts only: readings by (KPI, date), answers by their id (source + content + occurrence, see
`mappings.outcomes.build_answer_ids`). Nothing is deleted, so a source that loses rows or cannot
be read leaves what was stored; `first_seen_at` is kept from the first read. They are read back by
`store.reads.load_outcome_tables`. The tests run on SQLite and PostgreSQL.

Tests: tests/sync/test_outcomes.py
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine

from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
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
