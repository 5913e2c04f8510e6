"""Charts: valid PNG, same input -> same bytes, empty data still renders."""

from __future__ import annotations

import pandas as pd

from goldenthread.reports.charts import (
    render_lead_time_chart,
    render_throughput_chart,
    render_wip_age_chart,
)

PNG = b"\x89PNG\r\n\x1a\n"


def throughput(counts: list[int]) -> pd.DataFrame:
    months = [f"2024-{m:02d}" for m in range(1, len(counts) + 1)]
    return pd.DataFrame({"month": months, "completed": counts})


def test_throughput_chart_is_deterministic_png() -> None:
    a = render_throughput_chart(throughput([3, 0, 5]))
    b = render_throughput_chart(throughput([3, 0, 5]))
    assert a.startswith(PNG) and a == b
    assert render_throughput_chart(throughput([3, 1, 5])) != a
    assert b"matplotlib" not in a  # no version-bearing Software chunk


def test_lead_time_chart_marks_percentiles_deterministically() -> None:
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 10.0])
    a = render_lead_time_chart(values, p50=3.0, p85=6.4)
    assert a.startswith(PNG) and a == render_lead_time_chart(values, p50=3.0, p85=6.4)
    assert a != render_lead_time_chart(values, p50=3.0, p85=None)


def test_wip_chart_deterministic() -> None:
    wip = pd.DataFrame({"key": ["P-1", "P-2"], "age_days": [9.5, 2.5]})
    assert render_wip_age_chart(wip) == render_wip_age_chart(wip.copy())


def test_empty_data_renders_a_no_data_image() -> None:
    empty_tp = render_throughput_chart(throughput([]))
    empty_lt = render_lead_time_chart(pd.Series([], dtype="float64"), None, None)
    empty_wip = render_wip_age_chart(pd.DataFrame({"key": [], "age_days": []}))
    for png in (empty_tp, empty_lt, empty_wip):
        assert png.startswith(PNG) and len(png) > 1000
    assert empty_tp == render_throughput_chart(throughput([]))
