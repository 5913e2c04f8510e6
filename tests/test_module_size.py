"""No module of goldenthread/ is over 400 lines: past that, a module holds more than one concept
and a reader cannot keep it in mind. Split a module along a seam, not by moving lines around."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "goldenthread"
MAX_LINES = 400


def find_oversized(package: Path, limit: int = MAX_LINES) -> list[str]:
    """'path: N lines' for each module under `package` longer than `limit` lines, longest first."""
    sizes = []
    for path in sorted(package.rglob("*.py")):
        with path.open("rb") as f:
            lines = sum(1 for _ in f)
        if lines > limit:
            sizes.append((lines, path.relative_to(package).as_posix()))
    return [f"{rel}: {lines} lines" for lines, rel in sorted(sizes, key=lambda s: -s[0])]


def test_no_module_is_over_400_lines() -> None:
    assert find_oversized(PACKAGE) == [], f"split these modules (at most {MAX_LINES} lines each)"


def test_the_rule_names_each_module_over_the_limit(tmp_path: Path) -> None:
    (tmp_path / "sync").mkdir()
    (tmp_path / "at_limit.py").write_text("x = 1\n" * 400)
    (tmp_path / "sync" / "long.py").write_text("x = 1\n" * 401)
    (tmp_path / "longer.py").write_text("x = 1\n" * 450 + "y = 2")  # no newline after the last line
    assert find_oversized(tmp_path) == ["longer.py: 451 lines", "sync/long.py: 401 lines"]
