"""`goldenthread metrics`: load the store, compute every metric once, print JSON or tables.

Tests: tests/cli/test_app.py
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from goldenthread.mappings.config import Config
from goldenthread.reports.summary import Report
from goldenthread.sync.runs import MetricsStore, load_report

TOP_RANKED = 15
THROUGHPUT_MONTHS = 12


def run_metrics(
    store: MetricsStore, config: Config, as_of: datetime, fmt: Literal["table", "json"] | str
) -> str:
    """The text `goldenthread metrics` prints: the summary JSON (README "goldenthread metrics --format json") or plain-text
    tables. The table text is not rich markup: print it with markup and highlighting off."""
    report = load_report(store, config, as_of)
    if fmt == "json":
        return json.dumps(report.summary, indent=2, ensure_ascii=False, allow_nan=False)
    if fmt == "table":
        return render_tables(report)
    raise ValueError(f"unknown format {fmt!r}: expected table or json")


def _num(value: Any, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def render_tables(report: Report) -> str:
    """Rich tables rendered to plain text (fixed width, no colour) for a person to read."""
    s = report.summary
    buf = io.StringIO()
    console = Console(file=buf, width=120, color_system=None, force_terminal=False,
                      highlight=False, markup=False)  # fmt: skip
    console.print(f"goldenthread metrics as of {s['as_of']} (model: {s['model']})")

    backlog = Table(title="Backlog")
    for name in ("total", "todo", "in_progress", "done", "discarded", "unscored"):
        backlog.add_column(name.replace("_", " "), justify="right")
    backlog.add_row(*(str(s["backlog"][k]) for k in
                      ("total", "todo", "in_progress", "done", "discarded", "unscored")))  # fmt: skip
    console.print(backlog)

    times = Table(title="Lead and cycle time (days)")
    for name in ("", "count", "p50", "p85", "p95"):
        times.add_column(name, justify="right" if name else "left")
    for label, key in (("lead time", "lead_time_days"), ("cycle time", "cycle_time_days")):
        st = s[key]
        times.add_row(label, str(st["count"]), _num(st["p50"]), _num(st["p85"]), _num(st["p95"]))
    console.print(times)

    tp = Table(title=f"Throughput (last {THROUGHPUT_MONTHS} months)")
    tp.add_column("month")
    tp.add_column("completed", justify="right")
    for month, n in list(s["throughput"].items())[-THROUGHPUT_MONTHS:]:
        tp.add_row(month, str(n))
    console.print(tp)

    sla = Table(title=f"SLA compliance: {_pct(s['sla_compliance'])} overall")
    for name in ("issue type", "SLA days", "completed", "within SLA", "compliance"):
        sla.add_column(name, justify="left" if name == "issue type" else "right")
    for row in s["sla_by_issue_type"]:
        sla.add_row(row["issue_type"], _num(row["sla_days"], 0), str(row["completed"]),
                    str(row["within_sla"]), _pct(row["compliance"]))  # fmt: skip
    console.print(sla)

    top = Table(title=f"Ranking (top {TOP_RANKED} of {len(s['ranking'])})")
    for name in ("#", "key", "lane", "class", "objective", "score", "why"):
        top.add_column(name, justify="right" if name in ("#", "score") else "left")
    for row in s["ranking"][:TOP_RANKED]:
        top.add_row(str(row["rank"]), row["key"], row["lane"], row["class"] or "",
                    row["objective"] or "", _num(row["score"], 2), row["explanation"])  # fmt: skip
    console.print(top)
    return buf.getvalue().rstrip("\n")
