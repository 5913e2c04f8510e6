"""store.readonly: the URLs it reads without SQLAlchemy, the reads it gives (the same as Store's:
one implementation, store.reads), and every case it hands over to Store.open, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from goldenthread.mappings.config import Config
from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.mappings.records import StatusInfo
from goldenthread.sync.context import AppContext
from goldenthread.sync.settings import Settings
from goldenthread.sync.store import Store
from goldenthread.sync.store.readonly import (
    DatabaseTarget,
    ReadStore,
    open_read_store,
    parse_database_url,
)
from goldenthread.sync.store.revision import load_head_revision
from tests.sync.store.test_tables import T0, _seed


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:///goldenthread.db", DatabaseTarget("sqlite", "goldenthread.db")),
    ("sqlite:///data/gt.db", DatabaseTarget("sqlite", "data/gt.db")),
    ("sqlite:////var/lib/gt/gt.db", DatabaseTarget("sqlite", "/var/lib/gt/gt.db")),
    ("sqlite+pysqlite:////abs.db", DatabaseTarget("sqlite", "/abs.db")),
    ("postgresql://gt:s3cret@db:5432/gt", DatabaseTarget("postgresql", "postgresql://gt:s3cret@db:5432/gt")),
    ("postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dgt_x",
     DatabaseTarget("postgresql", "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dgt_x")),
])  # fmt: skip
def test_urls_read_without_sqlalchemy(url: str, expected: DatabaseTarget) -> None:
    assert parse_database_url(url) == expected


@pytest.mark.parametrize("url", [
    "sqlite://", "sqlite:///:memory:", "sqlite:///gt.db?mode=ro", "sqlite:///my%20db.db", "sqlite:gt.db",
    "foo://user:pw@db/gt", "postgresql+psycopg2://db/gt", "mysql://db/gt", "goldenthread.db", "",
    "postgresql://db:notaport/gt",
])  # fmt: skip
def test_other_urls_are_left_to_store_open(url: str) -> None:
    assert parse_database_url(url) is None


def _fill(store: Store) -> None:
    _seed(store)
    store.save_statuses([StatusInfo("To Do", "new", "1"), StatusInfo("Done", "done", "3")])
    store.save_kpi_readings([KpiReading("nps", date(2026, 3, 1), 31.5, "kpis.csv", 2)], T0)
    store.save_survey_answers([SurveyAnswer("a1", date(2026, 3, 2), 9, "Cut time-to-hire", "", "s.csv", 2)], T0)


def test_reads_are_the_stores_reads(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        reader = open_read_store(store_url)
        assert isinstance(reader, ReadStore)
        assert reader.load_never_synced() and store.load_never_synced()
        assert reader.where == store.where
        _fill(store)
        try:
            assert reader.load_issue_table().sort_values("key").reset_index(drop=True).equals(
                store.load_issue_table().sort_values("key").reset_index(drop=True))
            assert sorted(reader.load_issue_table()["key"]) == ["HR-10", "HR-2"]  # FIN-1 was removed
            table, names = reader.load_issue_table_and_names()
            assert names == store.load_issue_table_and_names()[1] == {"u-1": "Dana", "u-2": "Ola"}
            changes = reader.load_change_table()
            assert changes.sort_values("change_id").reset_index(drop=True).equals(
                store.load_change_table().sort_values("change_id").reset_index(drop=True))
            assert sorted(changes["change_id"]) == ["1", "2", "3", "4", "5"]
            assert reader.load_statuses() == store.load_statuses() == {"To Do": "new", "Done": "done"}
            ours, theirs = reader.load_outcome_tables(), store.load_outcome_tables()
            assert ours.readings.equals(theirs.readings) and ours.answers.equals(theirs.answers)
            assert list(ours.readings["value"]) == [31.5] and list(ours.answers["score"]) == [9]
            assert not reader.load_never_synced()
        finally:
            reader.close()
    finally:
        store.close()


def test_a_schema_not_at_head_is_left_to_store_open(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        assert open_read_store(store_url) is None
    finally:
        store.close()


def test_a_missing_sqlite_file_is_neither_read_nor_created(tmp_path: Path) -> None:
    assert open_read_store(f"sqlite:///{tmp_path / 'none.db'}") is None
    assert not (tmp_path / "none.db").exists()


def test_a_refused_postgresql_is_left_to_store_open() -> None:
    assert open_read_store("postgresql://gt@127.0.0.1:9/gt?connect_timeout=2") is None


def _context(url: str) -> AppContext:
    return AppContext(settings=Settings(), config=Config.model_validate({}), database_url=url)


def test_the_reader_of_a_database_without_schema_is_the_store_which_migrates_it(store_url: str,
                                                                               tmp_path: Path) -> None:
    if store_url.startswith("sqlite"):
        (tmp_path / "gt.db").touch()  # a file, but no schema: what the read-only opener cannot read
    ctx = _context(store_url)
    try:
        assert isinstance(ctx.reader, Store)
        assert ctx.reader.load_never_synced()
    finally:
        ctx.close()
    reader = open_read_store(store_url)  # migrated to head: now read without SQLAlchemy
    assert isinstance(reader, ReadStore)
    cur = reader.conn.cursor()
    cur.execute("SELECT version_num FROM alembic_version")
    assert cur.fetchone()[0] == load_head_revision()
    reader.close()


def test_the_reader_of_a_store_at_head_is_a_read_store_closed_with_the_context(store_url: str) -> None:
    Store.open(store_url).close()
    ctx = _context(store_url)
    reader = ctx.reader
    assert isinstance(reader, ReadStore)
    assert "store" not in ctx.__dict__  # SQLAlchemy's store was never opened
    ctx.close()
    with pytest.raises(Exception):  # noqa: B017, PT011 - sqlite3 and psycopg raise their own
        reader.conn.cursor().execute("SELECT 1")
