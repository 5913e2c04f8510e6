"""Calendar months (UTC), the one place that does month arithmetic: "YYYY-MM" labels, the
previous month, and the instant a month's report is computed at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd


def parse_month(month: str) -> pd.Period:
    """'YYYY-MM' -> Period; ValueError for anything else (the CLI turns it into exit 2)."""
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        raise ValueError(f"{month!r} is not a month in YYYY-MM form")
    period = pd.Period(month, freq="M")
    if not 1 <= period.month <= 12:
        raise ValueError(f"{month!r} is not a month in YYYY-MM form")
    return period


def month_of(at: datetime | pd.Timestamp) -> str:
    """The 'YYYY-MM' of an instant, in UTC (a naive one is read as UTC)."""
    stamp = pd.Timestamp(at)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).strftime("%Y-%m")


def previous_month(month: str) -> str:
    """The calendar month before 'YYYY-MM'."""
    return (pd.Period(month, freq="M") - 1).strftime("%Y-%m")


def last_complete_month(now: datetime) -> str:
    """The last complete calendar month before `now`'s month: the default report month."""
    return previous_month(month_of(now))


def month_end(month: str) -> pd.Timestamp:
    """The month's last microsecond (the store's resolution), UTC."""
    return (parse_month(month) + 1).to_timestamp().tz_localize("UTC") - pd.Timedelta(microseconds=1)


def month_as_of(month: str, now: datetime) -> datetime:
    """The instant a month's report is computed at: its last microsecond (so a move in the
    month's last second still counts in it), or `now` if earlier."""
    start = parse_month(month).to_timestamp().to_pydatetime().replace(tzinfo=UTC)
    nxt = (parse_month(month) + 1).to_timestamp().to_pydatetime().replace(tzinfo=UTC)
    end = nxt - timedelta(microseconds=1)
    return max(start, min(end, now))
