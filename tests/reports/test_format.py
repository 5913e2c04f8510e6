"""The one number/date formatter: pages, score explanations and CLI tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from goldenthread.reports.format import (
    fmt_date,
    fmt_days,
    fmt_number,
    fmt_percent,
    fmt_points,
    format_numbers,
)


def test_numbers_grouped_and_trimmed_for_pages() -> None:
    assert fmt_number(1234.56) == "1,234.6"
    assert fmt_number(800.0) == "800"
    assert fmt_number(0.25, 4) == "0.25"
    assert fmt_number(None) == fmt_number(float("nan")) == fmt_number(pd.NaT) == "—"


def test_cli_tables_keep_fixed_decimals_without_grouping() -> None:
    assert fmt_number(1234.5, 2, grouping=False, trim=False) == "1234.50"
    assert fmt_number(20.0, 1, grouping=False, trim=False) == "20.0"


def test_percent_days_points_and_dates() -> None:
    assert fmt_percent(0.8) == "80%" and fmt_percent(None) == "—"
    assert fmt_days(12.25) == "12.2 d" and fmt_days(math.nan) == "—"
    assert fmt_points(0.05) == "5 pts"
    assert fmt_date(pd.Timestamp("2026-05-03", tz="UTC")) == "3 May 2026"


def test_explanation_numbers() -> None:
    got = format_numbers(pd.Series([800.0, 0.8, 1 / 3, np.nan, 800.0, -0.00001]))
    assert got.iloc[:3].tolist() == ["800", "0.8", "0.3333"]
    assert isinstance(got.iloc[3], float) and math.isnan(got.iloc[3])
    assert got.iloc[4] == "800" and got.iloc[5] == "-0"


@given(st.floats(min_value=-1e11, max_value=1e11, allow_nan=False))
def test_explanations_read_as_the_shortest_form_of_the_rounded_value(x: float) -> None:
    """What the explanations showed before they shared fmt_number: repr of the value rounded
    to 4 decimals, without a trailing ".0". The same text up to 1e11; beyond ~9e11 a float has
    no 4 exact decimals and fixed-point prints the binary value's digits instead."""
    rounded = float(np.round(x, 4))
    text = repr(rounded)
    assert format_numbers(pd.Series([x])).iloc[0] == (text[:-2] if text.endswith(".0") else text)
