"""Environment settings (docs/configuration.md "Environment variables") and loading of goldenthread.yaml from disk.

Tests: tests/sync/test_settings.py, tests/cli/test_errors.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from goldenthread.mappings.config import Config, ConfigError, ConfigProblem, parse_config
from goldenthread.mappings.yaml_lines import MAX_CONFIG_BYTES, LineMap


class Settings(BaseModel):
    """Read from the environment (names case-insensitive; values passed in win). Tokens are
    SecretStr so they never print in reprs or errors.

    A plain pydantic model that takes its values from `os.environ`, not pydantic-settings: that
    package imports asyncio, concurrent.futures and its cloud secret providers (~45 ms) for nine
    string variables, and every command, `metrics` included, paid it before doing anything."""

    model_config = ConfigDict(extra="ignore")

    jira_url: str = ""
    jira_user: str = ""
    jira_token: SecretStr = SecretStr("")
    confluence_url: str = ""
    confluence_user: str = ""
    confluence_token: SecretStr = SecretStr("")
    goldenthread_config: Path = Path("goldenthread.yaml")
    goldenthread_database_url: str = "sqlite:///goldenthread.db"
    goldenthread_webhook_secret: SecretStr = SecretStr("")

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        env = {k.lower(): v for k, v in os.environ.items() if k.lower() in cls.model_fields}
        return {**env, **data}

    def secrets(self) -> list[str]:
        """Every secret value, for redaction in logs and errors."""
        values = [self.jira_token, self.confluence_token, self.goldenthread_webhook_secret]
        return [v.get_secret_value() for v in values if v.get_secret_value()]


def load_config(path: Path) -> tuple[Config, LineMap]:
    """Read and validate the YAML file. A missing file is a ConfigError with a hint."""
    try:
        with path.open("rb") as f:
            # bounded read: a huge file (or /dev/zero) must not be read whole before it is refused
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            [ConfigProblem(str(path), None, "", "file not found; run `goldenthread init` to write a starter")]
        ) from None
    except IsADirectoryError:
        raise ConfigError([ConfigProblem(
            str(path), None, "", f"is a directory; pass the YAML file itself, e.g. -c {path / 'goldenthread.yaml'}"
        )]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot be read: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError([ConfigProblem(str(path), None, "", f"refused: file is over {MAX_CONFIG_BYTES // 1024} KiB; "
                                         "a goldenthread.yaml is a few KiB")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    return parse_config(text, str(path))
