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
