"""parse_datetime: the one timestamp parser (Jira payloads, the store's text, --as-of)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from goldenthread.mappings.values import parse_datetime

NINE_THIRTY = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01T09:30:00.000+0000", NINE_THIRTY),  # Jira Cloud / DC
        ("2026-03-01T15:00:00.000+0530", NINE_THIRTY),
        ("2026-03-01T09:30:00Z", NINE_THIRTY),
        ("2026-03-01T10:30:00+01:00", NINE_THIRTY),
        ("2026-03-01 09:30:00", NINE_THIRTY),  # the store's SQLite text: naive UTC
        ("2026-03-01 09:30:00.250000", NINE_THIRTY + timedelta(milliseconds=250)),
        ("2026-03-01T09:30:00.1+0000", NINE_THIRTY + timedelta(milliseconds=100)),  # 26 chars, own offset
        (" 2026-03-01T09:30:00Z ", NINE_THIRTY),
        ("20260301", datetime(2026, 3, 1, tzinfo=UTC)),  # ISO basic date, not epoch seconds
        (1772357400, NINE_THIRTY),  # epoch seconds (bulkfetch examples)
        (1772357400000, NINE_THIRTY),  # epoch milliseconds (webhook timestamps)
        ("1772357400000", NINE_THIRTY),
        (datetime(2026, 3, 1, 9, 30), NINE_THIRTY),  # naive: UTC
        (datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1))), NINE_THIRTY),
        (None, None),
        ("", None),
        (True, None),
    ],
)  # fmt: skip
def test_every_flavour_reads_as_aware_utc(raw: object, expected: datetime | None) -> None:
    parsed = parse_datetime(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize("raw", ["yesterday", "   ", "2026-13-01", "2026-03-01T25:00:00Z"])
def test_garbage_is_a_value_error(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(raw)
