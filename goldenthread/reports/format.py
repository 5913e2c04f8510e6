"""Numbers, dates and months as text: the one formatter every page, explanation and CLI table
uses. A missing value (None, NaN, NaT) always reads "—" (and is null in JSON: `number_or_none`)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

MISSING = "—"


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def number_or_none(value: Any) -> float | None:
    """A number as a Python float for JSON; None when missing (None, NaN, NaT, pd.NA)."""
    return None if value is None or pd.isna(value) else float(value)


def fmt_number(value: object, digits: int = 1, *, grouping: bool = True, trim: bool = True) -> str:
    """`digits` decimals, thousands grouped ("1,234.5"); `trim` drops trailing zeros and a
    bare point ("800.0" -> "800", "0.80" -> "0.8")."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):{',' if grouping else ''}.{digits}f}"  # type: ignore[arg-type]
    return text.rstrip("0").rstrip(".") if trim and "." in text else text


def format_numbers(values: pd.Series) -> pd.Series:
    """`fmt_number` with 4 decimals, ungrouped, over a column (for explanations: 800.0 -> "800",
    0.8 -> "0.8", 1/3 -> "0.3333"). Object dtype; NaN stays NaN."""
    arr = values.to_numpy(dtype="float64", na_value=np.nan).round(4)
    # Scores and inputs repeat a lot: format each distinct value once, then index.
    uniq, inverse = np.unique(arr, return_inverse=True)
    text = np.array([fmt_number(v, 4, grouping=False) for v in uniq.tolist()], dtype=object)
    out = text[inverse.reshape(-1)] if len(arr) else np.array([], object)
    out[np.isnan(arr)] = np.nan
    return pd.Series(out, index=values.index, dtype=object)


def format_amounts(values: pd.Series, *, percent: bool = False) -> pd.Series:
    """Numbers as a reader writes them: 5000 -> "5,000", 1250.0 -> "1,250", 0.333 -> "0.33",
    with `percent` 0.5 -> "50%". Each distinct value formatted once; NaN -> ""."""
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    uniq, inverse = np.unique(arr, return_inverse=True)

    def one(v: float) -> str:
        if np.isnan(v):
            return ""
        if percent:
            return f"{v * 100:,.0f}%" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v * 100:,.1f}%"
        text = fmt_number(v, 2)
        return "0" if text in ("-0", "") else text

    text = np.array([one(v) for v in uniq.tolist()], dtype=object)
    out = text[inverse.reshape(-1)] if len(arr) else np.array([], dtype=object)
    return pd.Series(out, index=values.index, dtype=object)


def fmt_days(value: object) -> str:
    return MISSING if is_missing(value) else f"{fmt_number(value)} d"


def fmt_percent(value: object) -> str:
    """A share (0-1) as a whole percentage: 0.8 -> "80%"."""
    return MISSING if is_missing(value) else f"{float(value) * 100:.0f}%"  # type: ignore[arg-type]


def fmt_points(value: float) -> str:
    """A difference of two shares in percentage points: 0.05 -> "5 pts"."""
    return f"{value * 100:.0f} pts"


def fmt_date(value: object) -> str:
    return MISSING if is_missing(value) else pd.Timestamp(value).strftime("%-d %b %Y")  # type: ignore[arg-type]


def fmt_duration(days: object) -> str:
    """A lead time as a reader says it: 'took 3 days', 'took 2 weeks', 'took 4 months'."""
    if is_missing(days):
        return ""
    d = float(days)  # type: ignore[arg-type]
    if d < 1:
        return "took less than a day"
    unit, size = ("day", 1.0) if d < 10 else ("week", 7.0) if d < 56 else ("month", 30.4) if d < 365 else ("year", 365.0)
    n = max(1, round(d / size))
    return f"took a {unit}" if n == 1 else f"took {n} {unit}s"


def fmt_month(month: str) -> str:
    return pd.Period(month, freq="M").strftime("%B %Y")


def fmt_stamp(value: datetime | None) -> str:
    return "no data yet" if value is None else pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")
