"""Every command and every option says what it does in `--help`."""

from __future__ import annotations

from typing import Any

import typer

from goldenthread.cli.app import app


def walk(command: Any, path: str = "goldenthread") -> list[tuple[str, Any]]:
    found = [(path, command)]
    for name, sub in (getattr(command, "commands", None) or {}).items():
        found += walk(sub, f"{path} {name}")
    return found


def test_every_command_and_option_has_help_text() -> None:
    missing = []
    for path, command in walk(typer.main.get_command(app)):
        if not (command.help or "").strip():
            missing.append(path)
        for param in command.params:
            if param.param_type_name == "option" and not (getattr(param, "help", None) or "").strip():
                missing.append(f"{path} {param.opts[0]}")
    assert missing == []


def test_command_lists_show_each_summary_whole_at_80_columns() -> None:
    # plain (click) help cuts a summary that does not fit with "..."; short_help keeps them whole
    from typer.testing import CliRunner

    for path, command in walk(typer.main.get_command(app)):
        subs = getattr(command, "commands", None)
        if not subs:
            continue
        args = path.split()[1:]
        shown = CliRunner().invoke(app, [*args, "--help"], terminal_width=80).output
        listing = shown[shown.index("Commands:"):]
        for name, sub in subs.items():
            summary = sub.get_short_help_str(limit=10_000)
            assert f"  {name} " in listing and summary in listing and not summary.endswith("..."), (path, name)
        assert "..." not in listing, listing
