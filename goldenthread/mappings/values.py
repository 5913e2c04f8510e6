"""Scalar values shared by the Jira parsers: payload maps and Jira's timestamps. Pure.

Tests: tests/mappings/test_jira.py
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard


def is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    # payloads are json.loads dicts: skip the ABC check (slow, and run several times per issue) for them
    return type(value) is dict or isinstance(value, Mapping)


_TZ_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 in Jira's flavours (`+0000`, `+05:30`, `Z`) or epoch seconds/milliseconds -> UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        # bulkfetch examples send seconds; webhook timestamps are milliseconds
        seconds = value / 1000 if abs(value) > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    text = str(value).strip()
    if text.isdigit():
        return parse_datetime(int(text))
    try:
        # Python 3.11 reads Jira's `+0000` and `Z` itself: skip the regex on the hot path (a sync parses
        # several timestamps per issue); anything it refuses goes through the normalisation below
        parsed = datetime.fromisoformat(text)
    except ValueError:
        text = text.replace("Z", "+00:00") if text.endswith("Z") else _TZ_NO_COLON.sub(r"\1:\2", text)
        parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
