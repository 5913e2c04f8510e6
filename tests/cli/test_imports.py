"""Every command pays for what the CLI imports before it does anything: importing the app must
not pull in the heavy libraries, and a command imports only what it uses. Checked on
`sys.modules` of a fresh interpreter (bench/cli.py measures the time; tests never do)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "numpy", "matplotlib", "alembic", "sqlalchemy", "fastapi", "fastapi_swagger", "uvicorn", "httpx", "requests",
         "atlassian", "croniter")


# rich's console (~20-30 ms) and typer's rich help (rich.markdown: ~50 ms more): none of it for
# --help, --version or JSON written to a pipe
RICH = ("rich.console", "rich.markdown", "rich.table", "rich.progress")


def imported_after(code: str, env: dict[str, str] | None = None, names: tuple[str, ...] = HEAVY) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_app_imports_no_heavy_library() -> None:
    assert imported_after("import goldenthread.cli.app") == []


def test_help_and_version_import_no_heavy_library() -> None:
    run = ("from goldenthread.cli.app import app\n"
           "try:\n    app([{args}], standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert imported_after(run.format(args="'--help'"), names=HEAVY + RICH) == []
    assert imported_after(run.format(args="'--version'"), names=HEAVY + RICH) == []
    assert imported_after(run.format(args="'metrics', '--help'"), names=HEAVY + RICH) == []


def test_metrics_imports_neither_charts_nor_migrations_nor_http_nor_sqlalchemy(store_url: str, tmp_path: Path) -> None:
    import os
    from datetime import UTC, datetime

    from goldenthread.sync.store import Store

    store = Store.open(store_url)  # a store already at head, as every run after the first
    store.start_run("sync", datetime(2026, 11, 1, tzinfo=UTC))
    store.close()
    (tmp_path / "goldenthread.yaml").write_text("jira: {}\n")
    env = {**os.environ, "GOLDENTHREAD_DATABASE_URL": store_url,
           "GOLDENTHREAD_CONFIG": str(tmp_path / "goldenthread.yaml")}
    code = ("import contextlib, io\nfrom goldenthread.cli.app import app\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        app(['metrics', '--format', '{fmt}'], standalone_mode=False)\n"
            "    except SystemExit:\n        pass")
    env.pop("FORCE_COLOR", None)
    loaded = imported_after(code.format(fmt="json"), env, names=HEAVY + RICH)
    assert "pandas" in loaded  # it did compute the metrics
    # JSON into a pipe (stderr is one too): no console, no progress bar, no table
    assert not set(RICH) & set(loaded), loaded
    assert {"rich.console", "rich.table"} <= set(imported_after(code.format(fmt="table"), env, names=RICH))
    # a store at head is read over the driver's own connection (store.readonly)
    for unused in ("matplotlib", "alembic", "sqlalchemy", "fastapi", "fastapi_swagger", "uvicorn", "httpx",
                   "requests", "atlassian"):
        assert unused not in loaded, loaded


def test_metrics_on_a_new_store_migrates_it_through_sqlalchemy(tmp_path: Path) -> None:
    import os
    import sqlite3

    (tmp_path / "goldenthread.yaml").write_text("jira: {}\n")
    env = {**os.environ, "GOLDENTHREAD_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}",
           "GOLDENTHREAD_CONFIG": str(tmp_path / "goldenthread.yaml")}
    code = ("import contextlib, io\nfrom goldenthread.cli.app import app\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
            "    try:\n        app(['metrics', '--format', 'json'], standalone_mode=False)\n"
            "    except SystemExit:\n        pass")
    assert {"sqlalchemy", "alembic"} <= set(imported_after(code, env))
    with sqlite3.connect(tmp_path / "new.db") as conn:
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
