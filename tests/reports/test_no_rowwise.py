"""Issue 5: reports/ stays vectorised, no row-wise pandas (`apply`, `iterrows`, `itertuples`)."""

from __future__ import annotations

import ast
from pathlib import Path

import goldenthread.reports

ROW_WISE = {"apply", "iterrows", "itertuples"}


def _row_wise_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ROW_WISE:
                found.append((node.lineno, node.func.attr))
    return found


def test_the_check_finds_row_wise_calls() -> None:
    src = "df.apply(f, axis=1)\nfor r in df.iterrows(): pass\nx = df.itertuples()\ny = apply(z)\n"
    assert _row_wise_calls(src) == [(1, "apply"), (2, "iterrows"), (3, "itertuples")]


def test_reports_modules_have_no_row_wise_pandas() -> None:
    package = Path(goldenthread.reports.__file__).parent
    offenders = {
        str(path.relative_to(package)): calls
        for path in sorted(package.rglob("*.py"))
        if (calls := _row_wise_calls(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
