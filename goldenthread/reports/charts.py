"""Charts as PNG bytes (matplotlib Agg, no display).

Deterministic: the same input gives the same bytes, so a republish with unchanged data does not
re-attach a chart. We use the object API (no pyplot global state), a fixed size, dpi and the
bundled DejaVu Sans font, and strip the PNG "Software" text chunk (it carries the matplotlib
version, which would change the bytes on upgrade).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
from matplotlib import rc_context  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

SIZE_INCHES = (8.0, 4.0)
DPI = 100
_RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "svg.hashsalt": "goldenthread",
    "path.simplify": True,
}
WIP_CHART_LIMIT = 25  # bars a WIP chart can show legibly; titles say "top 25 of N"
_BAR = "#3572b0"  # Confluence blue
_P50 = "#14892c"
_P85 = "#d04437"


@contextmanager
def _figure() -> Iterator[Figure]:
    with rc_context(_RC):
        fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _no_data(fig: Figure, title: str) -> None:
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.text(0.5, 0.5, "No data yet", ha="center", va="center", fontsize=14, color="#707070",
            transform=ax.transAxes)  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def render_throughput_chart(throughput: pd.DataFrame, title: str = "Completed per month") -> bytes:
    """Bar chart of `compute_throughput` (month, completed). Empty -> a "No data yet" image."""
    with _figure() as fig:
        if throughput.empty:
            _no_data(fig, title)
            return _png(fig)
        ax = fig.add_subplot()
        months = throughput["month"].astype("str").tolist()
        counts = throughput["completed"].astype(int).tolist()
        ax.bar(range(len(months)), counts, color=_BAR)
        step = max(1, len(months) // 12)
        ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right")
        ax.set_ylabel("issues completed")
        ax.set_title(title)
        locator = ax.yaxis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # the default AutoLocator is one; keep its steps
            locator.set_params(integer=True)
        fig.tight_layout()
        return _png(fig)


def render_lead_time_chart(
    lead_time_days: pd.Series,
    p50: float | None,
    p85: float | None,
    title: str = "Lead time (days, created to done)",
) -> bytes:
    """Histogram of lead times with p50 and p85 marked. Empty -> a "No data yet" image."""
    values = lead_time_days.dropna().astype("float64")
    with _figure() as fig:
        if values.empty:
            _no_data(fig, title)
            return _png(fig)
        ax = fig.add_subplot()
        ax.hist(values.to_numpy(), bins=min(30, max(5, values.size)), color=_BAR)
        if p50 is not None:
            ax.axvline(p50, color=_P50, linestyle="--", label=f"p50 {p50:.1f} d")
        if p85 is not None:
            ax.axvline(p85, color=_P85, linestyle="--", label=f"p85 {p85:.1f} d")
        if p50 is not None or p85 is not None:
            ax.legend(loc="upper right")
        ax.set_xlabel("days")
        ax.set_ylabel("issues")
        ax.set_title(title)
        fig.tight_layout()
        return _png(fig)


def render_wip_age_chart(wip: pd.DataFrame, title: str = "Work in progress by age") -> bytes:
    """Horizontal bars of `compute_wip` (key, age_days), oldest at the top (at most
    WIP_CHART_LIMIT shown: the title should say so)."""
    with _figure() as fig:
        if wip.empty:
            _no_data(fig, title)
            return _png(fig)
        ax = fig.add_subplot()
        top = wip.sort_values("age_days", ascending=False, kind="stable").head(WIP_CHART_LIMIT)
        keys = top["key"].astype("str").tolist()[::-1]
        ages = top["age_days"].astype("float64").tolist()[::-1]
        ax.barh(range(len(keys)), ages, color=_BAR)
        ax.set_yticks(range(len(keys)), keys)
        ax.set_xlabel("days in progress")
        ax.set_title(title)
        fig.tight_layout()
        return _png(fig)


def render_kpi_trend_chart(
    readings: pd.DataFrame,
    baseline: tuple[pd.Timestamp, float],
    target: tuple[pd.Timestamp, float],
    title: str,
    unit: str = "",
) -> bytes:
    """A KPI's readings over time (date, value) against the straight path from its baseline to
    its target (dashed) and the target itself (dotted). No readings -> "No data yet"."""
    with _figure() as fig:
        fig.set_size_inches(KPI_SIZE_INCHES)
        if readings.empty:
            _no_data(fig, title)
            return _png(fig)
        ax = fig.add_subplot()
        (b_date, b_value), (t_date, t_value) = baseline, target
        path = pd.to_datetime([b_date, t_date]).tz_convert(None)
        ax.plot(path, [b_value, t_value], color="#8993a4", linestyle="--", linewidth=1, label="planned path")
        ax.axhline(t_value, color=_P50, linestyle=":", linewidth=1, label="target")
        days = readings["date"].dt.tz_localize(None)
        ax.plot(days, readings["value"].astype("float64"), color=_BAR, marker="o", markersize=3,
                linewidth=1.5, label="readings")  # fmt: skip
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.legend(loc="best", fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
        return _png(fig)


KPI_SIZE_INCHES = (6.0, 2.6)
