"""The import-linter contracts hold: layers cli -> webhooks -> sync -> reports -> mappings, and the
sandbox independent of all of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_mappings_imports_nothing_of_ours_and_no_io_libraries() -> None:
    forbidden = ("goldenthread.sync", "goldenthread.reports", "goldenthread.webhooks", "requests", "httpx", "sqlalchemy", "pandas")
    for path in (ROOT / "goldenthread" / "mappings").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in forbidden:
            assert f"import {name}" not in text and f"from {name}" not in text, f"{path.name} imports {name}"
