"""Every module of goldenthread/ has its tests where a reader looks for them: a test module named
after it (`goldenthread/<pkg>/<mod>.py` -> `tests/<pkg>/test_<mod>.py`), or a `Tests:` line in its
docstring naming the test modules that cover it (each of which must exist)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "goldenthread"
TESTS_LINE = re.compile(r"^Tests: (.+)$", re.MULTILINE)
# Alembic revisions are checked together: tests/sync/store/test_core.py upgrades an empty database
# through all of them and compares the result with store/schema.py.
EXEMPT_DIRS = ("sync/store/migrations/versions",)


def _has_code(tree: ast.Module) -> bool:
    """Whether an __init__ does more than re-export (imports, __all__, __version__...)."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.startswith("__") for t in node.targets
        ):
            continue
        return True
    return False


def find_untested(package: Path, tests: Path) -> list[str]:
    """The modules under `package` without a test module or a valid `Tests:` line, as messages."""
    problems: list[str] = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.name == "__main__.py" or rel.parent.as_posix().startswith(EXEMPT_DIRS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if rel.name == "__init__.py" and not _has_code(tree):
            continue
        if (tests / rel.parent / f"test_{rel.stem}.py").exists():
            continue
        found = TESTS_LINE.search(ast.get_docstring(tree) or "")
        if found is None:
            problems.append(f"{rel}: no {(tests / rel.parent / f'test_{rel.stem}.py').relative_to(tests.parent)} "
                            "and no 'Tests: tests/...' line in its docstring")
            continue
        named = [p.strip().strip("`") for p in found.group(1).split(",")]
        missing = [p for p in named if not (tests.parent / p).is_file() or not p.startswith("tests/")]
        if missing:
            problems.append(f"{rel}: its 'Tests:' line names {', '.join(missing)}, which does not exist")
    return problems


def test_every_module_has_a_test_module_or_names_the_tests_that_cover_it() -> None:
    assert find_untested(PACKAGE, ROOT / "tests") == []


def test_the_rule_catches_a_module_without_tests_and_a_stale_tests_line(tmp_path: Path) -> None:
    pkg, tests = tmp_path / "goldenthread", tmp_path / "tests"
    (pkg / "sync").mkdir(parents=True)
    (tests / "sync").mkdir(parents=True)
    (pkg / "sync" / "__init__.py").write_text('"""Just a docstring."""\n__all__: list[str] = []\n')
    (pkg / "sync" / "named.py").write_text('"""Has its own test module."""\n')
    (tests / "sync" / "test_named.py").write_text("")
    (pkg / "sync" / "covered.py").write_text('"""Covered elsewhere.\n\nTests: tests/sync/test_named.py\n"""\n')
    (pkg / "sync" / "bare.py").write_text('"""No tests anywhere."""\n')
    (pkg / "sync" / "stale.py").write_text('"""Points at a removed test.\n\nTests: tests/sync/test_gone.py"""\n')
    (pkg / "registry.py").write_text("PAGES = {}\n")  # no docstring at all
    problems = find_untested(pkg, tests)
    assert [p.split(":")[0] for p in problems] == ["registry.py", "sync/__init__.py", "sync/bare.py", "sync/stale.py"]
    assert "tests/sync/test_gone.py, which does not exist" in problems[-1]
