"""Opening a store: Alembic upgrades a new or older schema and is skipped when it is at head."""

from __future__ import annotations

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from goldenthread.sync.store import Store
from goldenthread.sync.store import upgrade


def test_head_read_from_the_files_is_alembics_head() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(upgrade.MIGRATIONS))
    assert upgrade.load_head_revision() == ScriptDirectory.from_config(cfg).get_current_head()


def test_open_migrates_only_when_the_schema_is_not_at_head(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Store.open(store_url)  # a fresh database: Alembic creates the schema
    assert upgrade.load_schema_revision(first.engine) == upgrade.load_head_revision()
    first.close()

    calls: list[str] = []
    monkeypatch.setattr(upgrade, "migrate_schema", lambda engine: calls.append("migrate"))
    again = Store.open(store_url)
    assert calls == []  # at head: Alembic is not run
    with again.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    again.close()
    Store.open(store_url).close()
    assert calls == ["migrate"]  # behind head: it is
