"""Calendar month arithmetic: previous month, the default report month, a month's instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from goldenthread.reports.months import (
    last_complete_month,
    month_as_of,
    month_end,
    month_of,
    parse_month,
    previous_month,
)


def test_previous_month_crosses_the_year() -> None:
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-03") == "2026-02"


def test_last_complete_month_is_the_one_before_now_in_utc() -> None:
    assert last_complete_month(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == "2025-12"
    # 00:30 on 1 March in UTC+01:00 is still February in UTC: the last complete month is January
    assert last_complete_month(datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))) == "2026-01"
    assert month_of(datetime(2026, 3, 1, 0, 30)) == "2026-03"  # naive reads as UTC


def test_month_end_and_as_of() -> None:
    assert month_end("2024-02").isoformat() == "2024-02-29T23:59:59.999999+00:00"
    assert month_as_of("2024-02", datetime(2024, 5, 1, tzinfo=UTC)) == datetime(2024, 2, 29, 23, 59, 59, 999999,
                                                                                 tzinfo=UTC)  # fmt: skip
    running = datetime(2024, 2, 10, 12, tzinfo=UTC)
    assert month_as_of("2024-02", running) == running  # a month still running: now


@pytest.mark.parametrize("bad", ["2024-13", "2024-2", "24-02", "2024/02", "2024-00", "next"])
def test_parse_month_refuses_anything_but_yyyy_mm(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_month(bad)
