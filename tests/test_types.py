"""mypy runs in the test command: `goldenthread/` type-checks with the pyproject configuration
(pandas-stubs, types-requests, ...), strict for the pure layers `mappings` and `reports`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "pyproject.toml"


def _mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_goldenthread_type_checks() -> None:
    # the cache lives in the (ignored) .mypy_cache of the checkout: a re-run takes seconds
    result = _mypy("goldenthread", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")


def test_pure_layers_are_strict_and_the_rest_is_checked(tmp_path: Path) -> None:
    """The configuration itself: the same untyped function is an error in mappings and reports,
    allowed elsewhere, and a type error inside an unannotated function is found everywhere."""
    untyped = "def double(x):\n    return x * 2\n"
    wrong_inside = "def f():\n    n: int = 'not a number'\n    return n\n"
    for package in ("mappings", "reports", "sync", "webhooks"):
        pkg = tmp_path / "goldenthread" / package
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "untyped.py").write_text(untyped)
        (pkg / "wrong_inside.py").write_text(wrong_inside)
    (tmp_path / "goldenthread" / "__init__.py").write_text("")

    result = _mypy("--no-incremental", "goldenthread", cwd=tmp_path)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    for package in ("mappings", "reports"):
        assert f"goldenthread/{package}/untyped.py:1: error: Function is missing a type annotation" in out
    for package in ("sync", "webhooks"):
        assert f"goldenthread/{package}/untyped.py" not in out
    for package in ("mappings", "reports", "sync", "webhooks"):
        assert f"goldenthread/{package}/wrong_inside.py:2: error: Incompatible types in assignment" in out
