"""`goldenthread metrics`: load the store, compute every metric once, print JSON or tables.

Tests: tests/cli/test_app.py
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import orjson

if TYPE_CHECKING:  # rich only for --format table: JSON for a pipe or cron never needs it
    from rich.table import Table

from goldenthread.mappings.config import Config
from goldenthread.reports.format import fmt_number, fmt_percent
from goldenthread.sync.runs import MetricsStore, TableStore, load_report

TOP_ROWS = 15  # ranked items, WIP items, stakeholders: the rest is in --format json
THROUGHPUT_MONTHS = 12
WIDE = 120
SectionRenderer = Callable[[dict[str, Any], Mapping[str, str], int], "list[Table]"]


def run_metrics(
    store: MetricsStore | TableStore, config: Config, as_of: datetime, fmt: Literal["table", "json"] | str,
    width: int = 80,
) -> str:
    """The text `goldenthread metrics` prints: the summary JSON (README "goldenthread metrics
    --format json") or plain-text tables `width` columns wide. The table text is not rich
    markup: print it with markup and highlighting off."""
    report = load_report(store, config, as_of)
    if fmt == "json":
        return render_json(report.summary)
    if fmt == "table":
        names = {p.id: p.name for p in config.stakeholders.people if p.name}
        return render_tables(report.summary, width=width, names=names)
    raise ValueError(f"unknown format {fmt!r}: expected table or json")


def render_json(summary: dict[str, Any]) -> str:
    """The summary as `metrics --format json` prints it (two-space indent, no trailing newline)."""
    # orjson: the stdlib encoder drops to pure Python once `indent` is set (14 ms of the 5k
    # bench store's ~0.6 s; orjson 0.5 ms). Same text but for the spelling of tiny floats
    # (1e-05 -> 0.00001); a NaN would print as null, what the JSON says of a missing figure.
    return orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def _num(value: Any, digits: int = 1) -> str:
    return fmt_number(value, digits, trim=False)


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], *, left: int = 1,
           caption: str | None = None) -> Table:
    """A table whose first `left` columns are text and the rest numbers (right-aligned)."""
    from rich.table import Table

    # min_width: a narrow table would otherwise fold its own title over two lines
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left", min_width=len(title))
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i < left else "right", overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def _more(shown: int, total: int, what: str) -> str | None:
    return f"{shown} of {total} {what}; all in --format json" if total > shown else None


def _backlog(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    keys = ("total", "todo", "in_progress", "done", "discarded", "unscored")
    return [_table("Backlog", [k.replace("_", " ") for k in keys], [[str(s["backlog"][k]) for k in keys]], left=0)]


def _times(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    rows = [[label, str(s[key]["count"]), _num(s[key]["p50"]), _num(s[key]["p85"]), _num(s[key]["p95"])]
            for label, key in (("lead time", "lead_time_days"), ("cycle time", "cycle_time_days"))]
    return [_table("Lead and cycle time (days)", ["", "count", "p50", "p85", "p95"], rows)]


def _throughput(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    months = list(s["throughput"].items())
    shown = months[-THROUGHPUT_MONTHS:]
    return [_table("Throughput (completed per month)", ["month", "completed"], [[m, str(n)] for m, n in shown],
                   caption=_more(len(shown), len(months), "months"))]


def _sla(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    rows = [[r["issue_type"], _num(r["sla_days"], 0), str(r["completed"]), str(r["within_sla"]), fmt_percent(r["compliance"])]
            for r in s["sla_by_issue_type"]]
    return [_table(f"SLA compliance: {fmt_percent(s['sla_compliance'])} overall",
                   ["issue type", "SLA days", "completed", "within", "compliance"], rows)]


def _wip(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    items = sorted(s["wip"]["items"], key=lambda i: -(i["age_days"] or 0))
    return [_table(f"Work in progress: {s['wip']['count']} issues, oldest first", ["issue", "age (days)"],
                   [[i["key"], _num(i["age_days"])] for i in items[:TOP_ROWS]],
                   caption=_more(min(len(items), TOP_ROWS), len(items), "issues"))]


def _ranking(s: dict[str, Any], _: Mapping[str, str], width: int) -> list[Table]:
    ranked = s["ranking"]
    # the formula behind each score needs ~50 columns of its own: only on a wide terminal
    why = width >= WIDE
    rows = [[str(r["rank"]), r["key"], r["lane"], (r["class"] or "").replace("_", " "), r["objective"] or "",
             _num(r["score"], 2), *([r["explanation"]] if why else [])] for r in ranked[:TOP_ROWS]]
    caption = _more(len(rows), len(ranked), "ranked items")
    if not why:
        caption = f"{caption + '; ' if caption else ''}each score's formula: --format json or {WIDE}+ columns"
    table = _table(f"Ranking ({s['model']})", ["#", "issue", "lane", "class", "objective", "score",
                                               *(["why"] if why else [])], rows, left=5, caption=caption)
    table.columns[0].justify = "right"
    if why:
        table.columns[6].justify = "left"
    return [table]


def _stakeholders(s: dict[str, Any], names: Mapping[str, str], __: int) -> list[Table]:
    people = sorted(s["stakeholders"], key=lambda p: (-p["open"], -p["done"]))
    counts = ("open", "done", "delivered", "now", "next")
    return [_table(f"Stakeholders (issues they asked for; delivered in {(s.get('current_month') or {}).get('month', 'the month')})",
                   ["stakeholder", *counts],
                   [[names.get(p["id"], p["id"]), *(str(p.get(c, 0)) for c in counts)] for p in people[:TOP_ROWS]],
                   caption=_more(min(len(people), TOP_ROWS), len(people), "people"))]


def _classes(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    c = s["classes"]
    keys = ("quick_win", "strategic", "fill_in", "reconsider")
    threshold = "no scored item" if c["high_value_min"] is None else (
        f"high value >= {_num(c['high_value_min'], 2)} ({c['threshold_from']})")
    return [_table(f"Value/effort classes: {c['scored']} open scored items, {threshold}",
                   [k.replace("_", " ") for k in keys], [[str(c["counts"][k]) for k in keys]], left=0,
                   caption=f"small effort: <= {_num(c['quick_win_max_effort'], 0)}")]


def _nps(nps: Mapping[str, Any]) -> str:
    n = int(nps["answers"])
    return f"- ({n})" if nps["score"] is None else f"{float(nps['score']):+.0f} ({n})"


def _goals(s: dict[str, Any], names: Mapping[str, str], __: int) -> list[Table]:
    goals = s["goals"]
    objectives = [(g["name"] or "(no goal)", o) for g in goals for o in g["objectives"]]
    rows = [[goal, o["name"], names.get(o["owner"], o["owner"]) if o["owner"] else "", _nps(o["nps"]),
             fmt_percent(o["adoption_mean"]), str(o["open"]), str(o["done"])] for goal, o in objectives]
    kpis = [[o["name"], k["name"], _num(k["baseline"]["value"], 2), _num(k["target"]["value"], 2),
             _num(k["actual"], 2), fmt_percent(k["progress"]), k["status"].replace("_", " ")]
            for _, o in objectives for k in o["kpis"]]
    statuses = [k[-1] for k in kpis]
    counts = ", ".join(f"{statuses.count(x)} {x}" for x in ("achieved", "on track", "at risk", "no data"))
    return [
        _table("Goals and objectives (NPS: last 90 days, answers)",
               ["goal", "objective", "owner", "NPS", "adoption", "open", "done"], rows, left=3,
               caption=None if rows else "no goals configured (goals: in goldenthread.yaml)"),
        _table(f"KPIs: {counts}", ["objective", "KPI", "baseline", "target", "actual", "progress", "status"],
               kpis, left=2, caption=None if kpis else "no KPI configured"),
    ]


def _groups(key: str, title: str) -> SectionRenderer:
    def render(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
        rows = [[g["group"] or "(none)", str(g["issues"]), str(g["open"]), str(g["done"]), _num(g["lead_time_p50"]),
                 fmt_percent(g["sla_compliance"]), fmt_percent(g["adoption_mean"]), _num(g["satisfaction_mean"])]
                for g in s[key]]
        return [_table(title, [title.split()[-1], "issues", "open", "done", "lead p50", "SLA", "adoption", "CSAT"], rows)]
    return render


def _month(key: str) -> SectionRenderer:
    def render(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
        m = s[key]
        cur, prev = m["current"], m["previous"]
        label = "current month so far" if key == "current_month" else "last complete month"
        rows = [["completed", str(cur["completed"]), str(prev["completed"])],
                ["lead time p50 (d)", _num(cur["lead_time_p50"]), _num(prev["lead_time_p50"])],
                ["lead time p85 (d)", _num(cur["lead_time_p85"]), _num(prev["lead_time_p85"])],
                ["SLA compliance", fmt_percent(cur["sla_compliance"]), fmt_percent(prev["sla_compliance"])]]
        return [_table(f"{m['month']} ({label}) against {m['previous_month']}", ["", m["month"], m["previous_month"]],
                       rows)]
    return render


def _outcomes(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    adoption, csat = s["outcomes"]["adoption"], s["outcomes"]["satisfaction"]
    objectives = sorted({*(adoption.get("by_objective") or {}), *(csat.get("by_objective") or {})})
    rows = [["(all)", fmt_percent(adoption.get("mean")) if adoption.get("available") else "unavailable",
             _num(csat.get("mean")) if csat.get("available") else "unavailable"]]
    rows += [[o, fmt_percent((adoption.get("by_objective") or {}).get(o)), _num((csat.get("by_objective") or {}).get(o))]
             for o in objectives]
    return [_table("Outcomes", ["objective", "adoption", "satisfaction"], rows)]


def _decisions(s: dict[str, Any], _: Mapping[str, str], __: int) -> list[Table]:
    d = s["decisions_needed"]
    return [_table("Decisions needed", ["what", "issues"], [[k.replace("_", " "), str(v)] for k, v in d.items()])]


def _generic(key: str, value: Any) -> Table:
    """A section this renderer does not know yet (added to the JSON later): its values as they are,
    so no section is ever missing from the tables."""
    title = key.replace("_", " ").capitalize()
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(value[0])
        return _table(title, columns, [[_scalar(v.get(c)) for c in columns] for v in value[:TOP_ROWS]],
                      left=len(columns), caption=_more(min(len(value), TOP_ROWS), len(value), "rows"))
    if isinstance(value, dict):
        return _table(title, ["", "value"], [[k, _scalar(v)] for k, v in value.items()], left=2)
    return _table(title, ["value"], [[_scalar(value)]])


def _scalar(value: Any) -> str:
    if isinstance(value, float):
        return _num(value, 2)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value is None else str(value)


#: JSON section -> its tables, in reading order. `as_of` and `model` are in the heading; the
#: overall SLA figure heads its table; any other key gets `_generic` (test: every section shows).
SECTIONS: dict[str, SectionRenderer] = {
    "backlog": _backlog, "lead_time_days": _times, "throughput": _throughput, "sla_by_issue_type": _sla,
    "wip": _wip, "ranking": _ranking, "classes": _classes, "decisions_needed": _decisions, "by_objective": _groups("by_objective", "By objective"),
    "by_team": _groups("by_team", "By team"), "previous_month": _month("previous_month"),
    "current_month": _month("current_month"), "outcomes": _outcomes, "goals": _goals,
    "stakeholders": _stakeholders,
}  # fmt: skip
IN_OTHER_SECTIONS = {"as_of": "heading", "model": "heading", "cycle_time_days": "lead_time_days",
                     "sla_compliance": "sla_by_issue_type"}


def render_tables(summary: dict[str, Any], *, width: int = 80, names: Mapping[str, str] | None = None) -> str:
    """Every section of the summary as tables of plain text (no colour) `width` columns wide."""
    from rich.console import Console

    width = max(width, 40)
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False,
                      highlight=False, markup=False)  # fmt: skip
    console.print(f"goldenthread metrics as of {summary['as_of']} (model: {summary['model']})")
    known = [k for k in SECTIONS if k in summary]
    for key in [*known, *(k for k in summary if k not in SECTIONS and k not in IN_OTHER_SECTIONS)]:
        tables = SECTIONS[key](summary, names or {}, width) if key in SECTIONS else [_generic(key, summary[key])]
        for table in tables:
            console.print()
            console.print(table)
    return buf.getvalue().rstrip("\n")
