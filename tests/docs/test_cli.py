"""The README's "Commands" table lists every command of the CLI with every option and argument,
and nothing the CLI lacks; a `goldenthread ...` command line quoted anywhere in the docs is one
the CLI accepts.

The convention: one row per command, its first cell the command as one code span
(`goldenthread report monthly`, arguments after it in capitals: `goldenthread init [PATH]`), the
row naming each option (`--dry-run`, `-c`/`--config`)."""

from __future__ import annotations

import re
from typing import Any

import typer.main

from goldenthread.cli.app import app
from tests.docs.markdown import FENCE, ROOT, code_span, code_spans, doc_files, read, section, table_rows

README = "README.md"
HEADING = "Commands"
OPTION = re.compile(r"(?<![\w/-])(--?[a-zA-Z][\w-]*)")
PROGRAM = "goldenthread"


def compute_commands() -> dict[str, tuple[set[str], set[str]]]:
    """'goldenthread report monthly' -> (its options, its arguments' names in capitals), for the
    root and every command that takes parameters or is a leaf."""
    out: dict[str, tuple[set[str], set[str]]] = {}

    def walk(command: Any, path: str) -> None:
        subcommands = getattr(command, "commands", {})
        if command.params or not subcommands:
            opts = {o for p in command.params if p.param_type_name == "option" for o in (*p.opts, *p.secondary_opts)}
            args = {p.name.upper() for p in command.params if p.param_type_name == "argument"}
            out[path] = (opts, args)
        for name, sub in subcommands.items():
            if not getattr(sub, "hidden", False):
                walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), PROGRAM)
    return out


def _command_of(first_cell: str) -> tuple[str, str] | None:
    """(command path, the rest) of a first cell such as `goldenthread init [PATH]`."""
    span = code_span(first_cell)
    if span is None or not span.startswith(PROGRAM):
        return None
    words = span.split()
    n = 1
    while n < len(words) and re.fullmatch(r"[a-z][a-z-]*", words[n]):
        n += 1
    return " ".join(words[:n]), " ".join(words[n:])


def find_table_problems(commands: dict[str, tuple[set[str], set[str]]], body: str) -> list[str]:
    rows: dict[str, tuple[str, str]] = {}
    for cells in table_rows(body):
        found = _command_of(cells[0])
        if found:
            rows[found[0]] = (found[1], " | ".join(cells[1:]))
    problems = [f"`{c}` has no row" for c in commands if c not in rows]
    problems += [f"`{c}` has a row but is no command" for c in rows if c not in commands]
    for name, (rest, text) in rows.items():
        if name not in commands:
            continue
        opts, args = commands[name]
        named = set(OPTION.findall(text))
        problems += [f"`{name}`: `{o}` is not in its row" for o in sorted(opts - named)]
        problems += [f"`{name}`: `{o}` is in its row but is no option of it" for o in sorted(named - opts)]
        problems += [f"`{name}`: argument {a} is not in its first cell" for a in sorted(args - set(re.findall(r"[A-Z_]+", rest)))]
    return problems


def find_command_line_problems(commands: dict[str, tuple[set[str], set[str]]], text: str) -> list[str]:
    """`goldenthread WORD ... --opt` in code spans and code blocks: WORD a command, --opt its option."""
    lines = code_spans(text) + [line for block in FENCE.findall(text) for line in block.splitlines()]
    problems = []
    for line in lines:
        for m in re.finditer(rf"(?<![\w./-]){PROGRAM}(?=((?: +[^\s|;&#]+)*))", line):
            words = m.group(1).split()
            if words[:1] == [PROGRAM]:
                continue  # `docker compose exec goldenthread goldenthread check`: a service's name
            path, i = PROGRAM, 0
            while i < len(words) and f"{path} {words[i]}" in set(commands) | _groups(commands):
                path, i = f"{path} {words[i]}", i + 1
            if i < len(words) and re.fullmatch(r"[a-z][a-z-]*", words[i]) and path == PROGRAM:
                problems.append(f"`{PROGRAM} {words[i]}`: no such command")
                continue
            allowed = commands.get(path, (set(), set()))[0] | commands[PROGRAM][0] | {"--help"}
            problems += [f"`{path} {o}`: no such option" for w in words[i:]
                         if (o := w.split("=")[0]) and OPTION.fullmatch(o) and o not in allowed]
    return problems


def _groups(commands: dict[str, Any]) -> set[str]:
    return {" ".join(c.split()[:n]) for c in commands for n in range(2, len(c.split()))}


def test_every_command_and_option_is_in_the_readme_table_and_no_other() -> None:
    commands = compute_commands()
    assert {"goldenthread serve", "goldenthread report monthly"} <= set(commands)
    assert "--worker-process" in commands["goldenthread serve"][0]
    assert find_table_problems(commands, section(read(README), 2, HEADING)) == []


def test_command_lines_quoted_in_the_docs_exist() -> None:
    commands = compute_commands()
    bad = {p.relative_to(ROOT).as_posix(): found for p in doc_files()
           if (found := find_command_line_problems(commands, p.read_text(encoding="utf-8")))}
    assert bad == {}


COMMANDS = {"goldenthread": ({"-v", "--verbose"}, set()), "goldenthread init": ({"--force"}, {"PATH"}),
            "goldenthread report monthly": ({"--month", "--dry-run"}, set())}


def test_the_table_check_names_missing_and_stale_commands_and_options() -> None:
    body = """
| command | options | what |
|---|---|---|
| `goldenthread` | `-v` | logs |
| `goldenthread init` | `--force`, `--overwrite` | writes |
| `goldenthread report weekly` | | gone |
"""
    assert find_table_problems(COMMANDS, body) == [
        "`goldenthread report monthly` has no row",
        "`goldenthread report weekly` has a row but is no command",
        "`goldenthread`: `--verbose` is not in its row",
        "`goldenthread init`: `--overwrite` is in its row but is no option of it",
        "`goldenthread init`: argument PATH is not in its first cell",
    ]


def test_the_command_line_check_names_unknown_commands_and_options() -> None:
    text = ("Run `goldenthread init --force`, `goldenthread report monthly --month 2024-05 -v`, "
            "`goldenthread.yaml`, `goldenthread reprot monthly`, `exec goldenthread goldenthread init --help` and\n\n```sh\n"
            "goldenthread report monthly --dry-run --as-of=2024-01-01   # why\n```\n")
    assert find_command_line_problems(COMMANDS, text) == [
        "`goldenthread reprot`: no such command",
        "`goldenthread report monthly --as-of`: no such option",
    ]
