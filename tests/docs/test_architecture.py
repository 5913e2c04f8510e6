"""docs/architecture.md's package tables name every module of the package and nothing that is
gone (the sandbox, described in prose, apart).

The convention: under a `### `pkg/`: ...` heading, a table whose rows start with the modules
(`config.py`), subpackages and directories (`pages/`) they describe, one or more per row as code
spans. The row of one subpackage that names some of its modules names all of them."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.markdown import ROOT, cell_names, read, sections, table_rows

DOC = "docs/architecture.md"
PACKAGE = ROOT / "goldenthread"
TABLED = {"mappings", "reports", "sync", "webhooks", "cli"}  # sandbox is described in prose
MODULE = re.compile(r"`(\w+\.py)`")


def list_entries(directory: Path) -> set[str]:
    """The modules (`x.py`) and directories (`x/`) of a package, as the doc names them."""
    out = {p.name for p in directory.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    return out | {f"{p.name}/" for p in directory.iterdir() if p.is_dir() and p.name != "__pycache__"}


def find_module_problems(doc: str, package: Path = PACKAGE) -> list[str]:
    problems = []
    documented: set[str] = set()
    for title, body in sections(doc, 3).items():
        head = re.match(r"`(\w+)/`", title)
        if head is None:
            continue
        name = head.group(1)
        documented.add(name)
        if name not in TABLED:
            continue
        entries = list_entries(package / name)
        named: set[str] = set()
        for cells in table_rows(body):
            row = cell_names(cells[0])
            named |= set(row)
            for sub in (n for n in row if len(row) == 1 and n.endswith("/") and (package / name / n).is_dir()):
                listed = set(MODULE.findall(" ".join(cells[1:]))) - {"__init__.py"}
                modules = {e for e in list_entries(package / name / sub) if e.endswith(".py")}
                if listed:
                    problems += [f"{name}/{sub}{m}: not in its row" for m in sorted(modules - listed)]
                    problems += [f"{name}/{sub}{m}: in its row but no such module" for m in sorted(listed - modules)]
        problems += [f"{name}/{e}: not in the table" for e in sorted(entries - named)]
        problems += [f"{name}/{e}: in the table but no such module" for e in sorted(named - entries)]
    problems += [f"{name}/: no `### `{name}/`` section" for name in sorted(TABLED - documented)]
    return problems


def test_every_module_is_in_its_package_table_and_no_other() -> None:
    assert find_module_problems(read(DOC)) == []


def test_the_check_names_missing_and_gone_modules(tmp_path: Path) -> None:
    for rel in ("reports/pages/a.py", "reports/pages/b.py", "reports/scoring.py", "reports/gone_soon.py",
                "reports/__init__.py", "reports/pages/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    doc = """
### `reports/`: numbers

| module | owns |
|---|---|
| `scoring.py`, `ranking.py` | scores |
| `pages/` | pages (`a.py`, `c.py`) |
"""
    problems = find_module_problems(doc, tmp_path)
    assert problems[:4] == [
        "reports/pages/b.py: not in its row",
        "reports/pages/c.py: in its row but no such module",
        "reports/gone_soon.py: not in the table",
        "reports/ranking.py: in the table but no such module",
    ]
    assert "cli/: no `### `cli/`` section" in problems
