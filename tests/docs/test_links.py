"""Every Markdown file of the repository links only to files that exist (and to headings that
exist in them), no file of the repository (docs, code, tests, configuration) mentions what lies
outside its own tree (`../shared`, the design notes kept there), and the README's benchmark
sentence names every script in bench/."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.markdown import ROOT, anchors, doc_files, links, read, strip_fences

OUTSIDE = re.compile(r"\.\./shared\b|/work/shared\b|\bDESIGN\.md\b")
TEXT_SUFFIXES = {".md", ".py", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".txt", ".html", ".sh", ""}


def find_broken_links(doc: Path, root: Path = ROOT) -> list[str]:
    """Relative links of `doc` whose file, or whose #heading, is missing."""
    text = doc.read_text(encoding="utf-8")
    problems = []
    for target in links(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # https:, mailto:: not a file of the repository
        path_part, _, fragment = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if root.resolve() not in (dest, *dest.parents) or not dest.exists():
            problems.append(f"{target}: no such file in the repository")
        elif fragment and dest.suffix == ".md" and fragment not in anchors(dest.read_text(encoding="utf-8")):
            problems.append(f"{target}: no such heading")
    return problems


def test_every_relative_link_resolves() -> None:
    docs = doc_files()
    assert any(d.name == "configuration.md" for d in docs)
    broken = {d.relative_to(ROOT).as_posix(): b for d in docs if (b := find_broken_links(d))}
    assert broken == {}


def repository_text_files(root: Path = ROOT) -> list[Path]:
    """The repository's own text files: what a reader of the repository can open."""
    skip = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
            ".hypothesis", ".ruff_cache"}
    return [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES
            and not any(part in skip or part.endswith(".egg-info") for part in p.relative_to(root).parts)]


def test_nothing_mentions_the_tree_outside_the_repository() -> None:
    files = repository_text_files()
    assert ROOT / "README.md" in files and ROOT / "goldenthread" / "cli" / "app.py" in files
    this = Path(__file__).resolve()
    named = [p.relative_to(ROOT).as_posix() for p in files
             if p != this and OUTSIDE.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert named == []


def test_the_readme_names_every_benchmark() -> None:
    readme = strip_fences(read("README.md"))
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py"))
    assert "chaos.py" in scripts
    assert [s for s in scripts if not re.search(rf"`(?:python )?bench/{re.escape(s)}\b", readme)] == []


def test_the_link_check_names_missing_files_and_headings(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# Title\n\n## The `x` key, here\n", encoding="utf-8")
    doc = tmp_path / "docs" / "a.md"
    doc.write_text("[ok](b.md#the-x-key-here) [top](#a) [web](https://example.com/x.md)\n# A\n"
                   "[gone](c.md) [bad anchor](b.md#nope) [wrapped\ntext](../docs/b.md) [up](../../x.md)\n"
                   "```\n[in code](nothing.md)\n```\n", encoding="utf-8")
    assert find_broken_links(doc, tmp_path) == [
        "c.md: no such file in the repository",
        "b.md#nope: no such heading",
        "../../x.md: no such file in the repository",
    ]


def test_the_outside_check_matches_the_shared_tree() -> None:
    assert OUTSIDE.search("see ../shared/x.md") and OUTSIDE.search("/work/shared/x")
    assert OUTSIDE.search('(DESIGN.md "Goals")')
    assert not OUTSIDE.search("a shared disk; shared helpers")
