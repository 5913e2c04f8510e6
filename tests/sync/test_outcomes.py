"""KPI readings and survey answers read on every sync: kept in the store (SQLite and PostgreSQL),
upserted, never lost to a bad row, a bad file or an unreachable URL (respx)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import respx
from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.sync.context import AppContext
from goldenthread.sync.http.session import build_plain_session
from goldenthread.sync.http.transport import RetryPolicy
from goldenthread.sync.outcomes import check_outcome_sources, sync_outcome_sources
from goldenthread.sync.settings import Settings
from tests.sync.http.test_transport import Waits

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
URL = "https://surveys.example.com/export/answers.json?sig=s3cr3t"

CONFIG = f"""
goals:
  - name: Hire faster
    objectives:
      - name: Cut time-to-hire
        kpis:
          - {{name: Offer approval time, unit: days, baseline: {{value: 5, date: 2026-01-01}},
              target: {{value: 2, date: 2027-03-31}}}}
outcomes:
  measurements:
    - {{path: kpis.csv}}
    - {{path: more/kpis.json}}
  surveys:
    - {{path: survey.csv}}
    - {{path: "{URL}"}}
"""
KPIS_CSV = (
    "kpi,date,value\n"
    "Offer approval time,2026-01-01,5\n"
    "Offer approval time,2026-02-01,4.5\n"
    "Offer approval time,2026-02-30,4\n"  # wrong date
    "Offer approval time,2026-02-15,fast\n"  # text in a number column
    "Offer aproval time,2026-02-16,4.2\n"  # unknown KPI
)
KPIS_JSON = '[{"kpi": "Offer approval time", "date": "2026-02-20", "value": 4.0}]'
SURVEY_CSV = "date,score,objective,comment\n2026-02-03,9,Cut time-to-hire,quick\n2026-02-04,3,Cut time-to-hire,\n"
SURVEY_JSON = '[{"date": "2026-02-10", "score": 10, "objective": "Cut time-to-hire"}]'


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "more").mkdir()
    (tmp_path / "kpis.csv").write_text(KPIS_CSV, encoding="utf-8")
    (tmp_path / "more" / "kpis.json").write_text(KPIS_JSON, encoding="utf-8")
    (tmp_path / "survey.csv").write_text("\ufeff" + SURVEY_CSV, encoding="utf-8")  # a BOM, as Excel writes
    return tmp_path


@pytest.fixture
def ctx(folder: Path, store_url: str) -> Iterator[AppContext]:
    settings = Settings(goldenthread_config=folder / "goldenthread.yaml", jira_token=SecretStr(""))
    config, lines = parse_config(CONFIG)
    context = AppContext(settings=settings, config=config, lines=lines, clock=lambda: NOW, database_url=store_url)
    yield context
    context.close()


@pytest.fixture
def router() -> Iterator[respx.Router]:
    with respx.mock(assert_all_called=False) as r:
        yield r


def session(waits: Waits) -> object:
    return build_plain_session(retry=RetryPolicy(max_attempts=3, sleep=waits))


def stored(ctx: AppContext) -> tuple[list[tuple[str, date, float]], list[tuple[date, int]]]:
    tables = ctx.store.load_outcome_tables()
    readings = sorted((k, d.date(), v) for k, d, v in tables.readings.itertuples(index=False))
    answers = sorted((d.date(), int(s)) for d, s, _ in tables.answers.itertuples(index=False))
    return readings, answers


def test_sync_reads_csv_json_and_an_https_url_keeping_every_good_row(ctx: AppContext, router: respx.Router) -> None:
    route = router.get(URL).mock(return_value=httpx.Response(200, text=SURVEY_JSON))
    waits = Waits()
    result = sync_outcome_sources(ctx, session=session(waits))  # type: ignore[arg-type]
    assert (result.readings, result.answers, result.skipped, result.unreadable) == (3, 3, 3, 0)
    assert route.call_count == 1 and "authorization" not in route.calls[0].request.headers
    readings, answers = stored(ctx)
    assert readings == [("Offer approval time", date(2026, 1, 1), 5.0), ("Offer approval time", date(2026, 2, 1), 4.5),
                        ("Offer approval time", date(2026, 2, 20), 4.0)]
    assert answers == [(date(2026, 2, 3), 9), (date(2026, 2, 4), 3), (date(2026, 2, 10), 10)]
    # each bad row named by its file and line
    assert result.warnings == [
        "kpis.csv:4: row skipped: date '2026-02-30' is not an ISO date (YYYY-MM-DD)",
        "kpis.csv:5: row skipped: value 'fast' is not a number",
        "kpis.csv:6: row skipped: no KPI named 'Offer aproval time' is configured under goals; "
        "did you mean 'Offer approval time'?",
    ]


def test_readings_upsert_by_kpi_and_date_answers_by_row_history_kept(
    ctx: AppContext, folder: Path, router: respx.Router
) -> None:
    router.get(URL).mock(return_value=httpx.Response(200, text=SURVEY_JSON))
    sync_outcome_sources(ctx, session=session(Waits()))  # type: ignore[arg-type]
    # the file is corrected (same day, new value), loses a row and gains one
    (folder / "kpis.csv").write_text("kpi,date,value\nOffer approval time,2026-02-01,4.4\n"
                                     "Offer approval time,2026-02-25,3.9\n", encoding="utf-8")  # fmt: skip
    header, rest = SURVEY_CSV.split("\n", 1)
    (folder / "survey.csv").write_text(f"{header}\n2026-01-30,7,Cut time-to-hire,\n{rest}",
                                       encoding="utf-8")  # a row inserted above moves every line
    later = NOW + timedelta(hours=1)
    ctx.clock = lambda: later
    sync_outcome_sources(ctx, session=session(Waits()))  # type: ignore[arg-type]
    readings, answers = stored(ctx)
    assert readings == [
        ("Offer approval time", date(2026, 1, 1), 5.0),  # gone from the file, kept in the store
        ("Offer approval time", date(2026, 2, 1), 4.4),  # corrected in place
        ("Offer approval time", date(2026, 2, 20), 4.0),
        ("Offer approval time", date(2026, 2, 25), 3.9),
    ]
    assert answers == [(date(2026, 1, 30), 7), (date(2026, 2, 3), 9), (date(2026, 2, 4), 3), (date(2026, 2, 10), 10)]
    assert ctx.store.count("survey_answers") == 4  # the moved rows were not stored twice


def test_an_unreachable_url_or_a_broken_file_warns_and_the_stored_values_stay(
    ctx: AppContext, folder: Path, router: respx.Router
) -> None:
    router.get(URL).mock(return_value=httpx.Response(200, text=SURVEY_JSON))
    sync_outcome_sources(ctx, session=session(Waits()))  # type: ignore[arg-type]
    before = stored(ctx)

    router.get(URL).mock(side_effect=httpx.ConnectError("connection refused"))
    (folder / "kpis.csv").write_text("this is not,the header\n1,2\n", encoding="utf-8")
    (folder / "more" / "kpis.json").unlink()
    waits = Waits()
    result = sync_outcome_sources(ctx, session=session(waits))  # type: ignore[arg-type]
    assert result.unreadable == 3 and (result.readings, result.answers) == (0, 2)
    assert stored(ctx) == before
    assert len(waits.calls) == 2  # retried through the project's transport, then given up
    joined = "\n".join(result.warnings)
    assert "outcomes.measurements.0 (kpis.csv): kpis.csv:1: CSV header" in joined
    assert "outcomes.measurements.1 (more/kpis.json): cannot read" in joined
    assert ("outcomes.surveys.1 (https://surveys.example.com/export/answers.json): unreachable" in joined
            and "s3cr3t" not in joined)  # a pre-signed URL's query never reaches a message
    assert joined.count("stay as they were") == 3

    router.get(URL).mock(return_value=httpx.Response(503))
    result = sync_outcome_sources(ctx, session=session(Waits()))  # type: ignore[arg-type]
    assert any("HTTP 503" in w for w in result.warnings) and stored(ctx) == before


def test_check_reads_every_source_unknown_kpis_are_errors_other_bad_rows_warnings(
    folder: Path, router: respx.Router
) -> None:
    router.get(URL).mock(return_value=httpx.Response(
        200, text='[{"date": "2026-02-10", "score": 10, "objective": "Cut time to hire"}]'))
    config, lines = parse_config(CONFIG, "gt.yaml")
    found = [(p.source, p.line, p.path, p.severity) for p in
             check_outcome_sources(config, lines, "gt.yaml", folder, offline=False)]
    assert found == [
        ("kpis.csv", 4, "outcomes.measurements.0", "warning"),
        ("kpis.csv", 5, "outcomes.measurements.0", "warning"),
        ("kpis.csv", 6, "outcomes.measurements.0", "error"),
        ("https://surveys.example.com/export/answers.json", None, "outcomes.surveys.1", "warning"),
    ]
    offline = check_outcome_sources(config, lines, "gt.yaml", folder, offline=True)
    assert all(not p.path.startswith("outcomes.surveys.1") for p in offline)  # no URL read offline
