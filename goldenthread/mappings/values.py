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
_NAIVE_LENGTHS = (19, 26)  # "YYYY-MM-DD HH:MM:SS" and with ".ffffff": how the store writes UTC


def parse_datetime(value: Any) -> datetime | None:
    """THE timestamp parser: Jira's ISO 8601 flavours (`+0000`, `+05:30`, `Z`), epoch seconds or
    milliseconds, the store's naive UTC text (SQLite) and datetimes (a naive one is UTC) -> an
    aware UTC datetime; None for None or "". ValueError for text that is none of these."""
    if type(value) is str:
        if not value:
            return None
        if len(value) in _NAIVE_LENGTHS:
            try:
                # naive text is UTC; giving the parser the offset is ~5x cheaper than setting
                # tzinfo afterwards, which matters for the 500k+ change rows a store read holds
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:
                pass  # it carries its own offset, or is not ISO: the general path below
        return _parse_text(value)
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, (int, float)):
        # bulkfetch examples send seconds; webhook timestamps are milliseconds
        seconds = value / 1000 if abs(value) > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    return _parse_text(str(value))


def _parse_text(value: str) -> datetime | None:
    text = value.strip()
    # digits are epoch seconds or milliseconds, except 8 of them: ISO's basic date (20261101),
    # which no epoch timestamp after 1973 can be mistaken for
    if text.isdigit() and len(text) != 8:
        return parse_datetime(int(text))
    try:
        # Python 3.11 reads Jira's `+0000` and `Z` itself: skip the regex on the hot path (a sync parses
        # several timestamps per issue); anything it refuses goes through the normalisation below
        parsed = datetime.fromisoformat(text)
    except ValueError:
        text = text.replace("Z", "+00:00") if text.endswith("Z") else _TZ_NO_COLON.sub(r"\1:\2", text)
        parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
