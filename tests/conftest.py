"""Shared fixtures: a store on SQLite and on PostgreSQL (a throwaway schema per test session), and
the path of the sample Atlassian payloads (`tests/fixtures/atlassian/`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("GOLDENTHREAD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "atlassian"  # see its README.md


def _pg_reachable() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a schema made for this test session and dropped after.

    Skips when PostgreSQL is unreachable, except under CI=true where that is a failure."""
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL unreachable at {PG_URL} and CI is set: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    schema = f"gt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gt.db'}"
        return
    base: str = request.getfixturevalue("pg_schema_url")
    # each test gets its own schema inside the session's, so tests never see each other's rows
    schema = f"gt_{uuid.uuid4().hex[:10]}"
    eng = create_engine(base)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    yield base.rsplit("options=", 1)[0] + f"options=-csearch_path%3D{schema}"
    eng = create_engine(base)
    with eng.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    eng.dispose()


@pytest.fixture
def store(store_url: str):  # type: ignore[no-untyped-def]
    from goldenthread.sync.store import Store

    s = Store.open(store_url)
    yield s
    s.close()
