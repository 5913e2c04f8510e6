"""The Goals page: per goal and objective, its owner, its KPIs (baseline, target, actual,
progress, status, a trend chart of the readings), NPS with its answer count and trend, adoption
and satisfaction, and the work serving it (in progress, next, shipped in the last 90 days, lead
time p50, SLA compliance, a link to its issues in Jira). Every figure comes from `report.goals` (the JSON `goals` block), so
the page and `goldenthread metrics` agree.

Tests: tests/reports/test_goals_page.py
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import pandas as pd

from goldenthread.reports import charts, jql
from goldenthread.reports import storage as s
from goldenthread.reports.goals import NPS_WINDOW_DAYS, compute_canonical_objectives
from goldenthread.reports.format import fmt_date, fmt_days, fmt_number, fmt_percent, is_missing
from goldenthread.reports.pages.common import (
    build_group_heads,
    compute_list_limit,
    PageData,
    PageModel,
    footer,
    issue_ref,
    more_line,
    people_of,
    row_dicts,
)

ITEMS_LIMIT = 10
WORK_ITEMS = 600  # items over every objective's three work lists: the page stays small
TREND_MONTHS = 6
STATUS_LOZENGES: dict[str, tuple[str, s.Colour]] = {
    "achieved": ("achieved", "Green"), "on_track": ("on track", "Blue"),
    "at_risk": ("at risk", "Red"), "no_data": ("no data", "Grey"),
}  # fmt: skip
NO_GOAL = "Objectives no goal lists"


def kpi_lozenge(status: str) -> ET.Element:
    title, colour = STATUS_LOZENGES.get(status, ("no data", "Grey"))
    return s.status_lozenge(title, colour)


def fmt_value(value: object, unit: str) -> str:
    if is_missing(value):
        return "—"
    text = fmt_number(value, 2)
    return f"{text}%" if unit.strip() == "%" else f"{text} {unit}".rstrip()


def fmt_nps(score: object, answers: object) -> str:
    n = int(answers)  # type: ignore[call-overload]
    noun = "answer" if n == 1 else "answers"
    if is_missing(score):
        return f"— ({n} {noun})"
    return f"{float(score):+.0f} ({n} {noun})"  # type: ignore[arg-type]


def chart_name(index: int, kpi: str) -> str:
    """Attachment file name of a KPI's chart: position in the config plus a readable slug."""
    slug = re.sub(r"[^a-z0-9]+", "-", kpi.casefold()).strip("-")[:40] or "kpi"
    return f"kpi-{index + 1}-{slug}.png"


def build_goal_charts(data: PageData) -> dict[str, bytes]:
    goals = data.report.goals
    out: dict[str, bytes] = {}
    for i, k in enumerate(row_dicts(goals.kpis)):
        readings = goals.readings.loc[goals.readings["kpi"].eq(k["kpi"]).to_numpy(), ["date", "value"]]
        out[chart_name(i, str(k["kpi"]))] = charts.render_kpi_trend_chart(
            readings, (k["baseline_date"], k["baseline_value"]), (k["target_date"], k["target_value"]),
            str(k["kpi"]), str(k["unit"]))  # fmt: skip
    return out


def _kpi_rows(kpis: list[dict[str, Any]]) -> list[list[s.Content]]:
    rows: list[list[s.Content]] = []
    for k in kpis:
        unit = str(k["unit"])
        actual = fmt_value(k["actual"], unit)
        when = "" if is_missing(k["actual_date"]) else f" on {fmt_date(k['actual_date'])}"
        rows.append([
            s.strong(str(k["kpi"])),
            [fmt_value(k["baseline_value"], unit), s.paragraph(s.small(fmt_date(k["baseline_date"])))],
            [fmt_value(k["target_value"], unit), s.paragraph(s.small(f"by {fmt_date(k['target_date'])}"))],
            [actual, s.paragraph(s.small(when.strip())) if when else None],
            [fmt_percent(k["progress"]), s.paragraph(s.small(f"expected by now {fmt_percent(k['expected'])}"))],
            kpi_lozenge(str(k["status"])),
        ])  # fmt: skip
    return rows


def _trend(monthly: pd.DataFrame, objective: str) -> str:
    rows = monthly.loc[monthly["objective"].eq(objective).to_numpy()].tail(TREND_MONTHS)
    parts = [f"{pd.Period(r['month'], freq='M').strftime('%b %Y')} {fmt_nps(r['score'], r['answers'])}"
             for r in row_dicts(rows)]  # fmt: skip
    return " · ".join(parts) if parts else "no answers yet"


def _items(head: tuple[int, list[dict[str, Any]]], empty: str, extra: str | None = None) -> list[ET.Element]:
    total, rows = head
    if not rows:
        return [s.paragraph(s.small(empty))]
    items = [[issue_ref(r), " ", str(r["summary"]), s.small(f" {r[extra]}") if extra and r.get(extra) else None]
             for r in rows]  # fmt: skip
    return [s.bullet_list(items), *more_line(len(rows), total, "items")]


class _Work:
    """The open and shipped work of every objective, canonical names, computed once per page."""

    def __init__(self, data: PageData, limit: int = ITEMS_LIMIT) -> None:
        report, config = data.report, data.config
        scores = report.scores
        scores = scores.assign(objective=compute_canonical_objectives(scores["objective"], config))
        lead = report.outcomes.lead_times
        recent = lead.loc[lead["completed_at"].gt(report.as_of - pd.Timedelta(days=NPS_WINDOW_DAYS)).to_numpy()]
        shipped = recent.assign(objective=compute_canonical_objectives(recent["objective"], config),
                                when=recent["completed_at"].dt.strftime("shipped %-d %b"))  # fmt: skip
        # `limit` items per list (fewer when there are many objectives), each with its count
        self._lanes = build_group_heads(scores, ("objective", "lane"), limit)
        self._shipped = build_group_heads(shipped, ("objective",), limit)
        self.unlinked = int(scores["objective"].isna().sum())  # open items no objective claims
        # every spelling the issues use for each objective: its Jira search must find them all
        raw = pd.Series(report.frames.issues["objective"].dropna().unique(), dtype=object)
        self._spellings: dict[str, list[str]] = {}
        for canonical, value in sorted(zip(compute_canonical_objectives(raw, config).tolist(),
                                           raw.tolist(), strict=True), key=lambda p: str(p[1])):  # fmt: skip
            self._spellings.setdefault(str(canonical), []).append(str(value))
        self._base = jql.build_jira_base(report.frames.issues["url"])
        self._config = config

    def search_link(self, objective: str | None, label: str) -> s.Inline:
        """The Jira search for every issue of `objective` (None: of none) in the backlog."""
        if objective is None:
            clause = jql.build_field_clause(self._config, "objective", None)
            clause = f'{clause} AND statusCategory != "Done"' if clause else None  # open work only
        else:
            clause = jql.build_field_in_clause(self._config, "objective",
                                               [objective, *self._spellings.get(objective, [])])  # fmt: skip
        url = jql.build_search_url(self._base, jql.build_backlog_jql(self._config, clause)) if clause else ""
        return s.link(url, label) if url else label

    def lane(self, objective: str, lane: str) -> tuple[int, list[dict[str, Any]]]:
        return self._lanes.get((objective, lane), (0, []))

    def shipped_for(self, objective: str) -> tuple[int, list[dict[str, Any]]]:
        return self._shipped.get((objective,), (0, []))


def _objective_blocks(data: PageData, o: Mapping[str, Any], kpis: list[dict[str, Any]],
                      chart_names: dict[str, str], work: _Work) -> list[ET.Element]:
    name = str(o["objective"])
    owner: list[s.Inline] = ["no owner named"]
    if not is_missing(o["owner"]):
        owner = ["owner ", data.mentioner.mention(str(o["owner"]))]
    blocks: list[ET.Element] = [
        s.heading(3, name),
        s.paragraph([*owner, f" · ranking weight × {fmt_number(o['weight'], 2)}",
                     f" · {int(o['open'])} open, {int(o['done'])} done · ",
                     work.search_link(name, "all its issues in Jira")]),
    ]  # fmt: skip
    if kpis:
        blocks.append(s.table(("KPI", "Baseline", "Target", "Actual", "Progress", "Status"), _kpi_rows(kpis),
                              widths=(220, 130, 150, 150, 170, 110)))  # fmt: skip
        images = [s.image(chart_names[str(k["kpi"])], width=480, alt=f"{k['kpi']} readings") for k in kpis]
        blocks.append(s.paragraph(images))
    elif o["configured"]:
        blocks.append(s.paragraph(s.small("No KPI defined for this objective (goals: … kpis:).")))
    blocks.append(s.table(
        (f"NPS, last {NPS_WINDOW_DAYS} days", "Adoption", "Satisfaction", "Lead time p50", "SLA compliance"),
        [[s.strong(fmt_nps(o["nps_score"], o["nps_answers"])), fmt_percent(o["adoption_mean"]),
          fmt_number(o["satisfaction_mean"]), fmt_days(o["lead_time_p50"]), fmt_percent(o["sla_compliance"])]],
        widths=(220, 160, 160, 160, 160),
    ))  # fmt: skip
    blocks.append(s.paragraph(s.small(f"NPS by month: {_trend(data.report.goals.nps_monthly, name)}")))
    blocks.append(s.table(("In progress", "Next", f"Shipped in the last {NPS_WINDOW_DAYS} days"), [[
        _items(work.lane(name, "now"), "Nothing in progress."),
        _items(work.lane(name, "next"), "Nothing planned next."),
        _items(work.shipped_for(name), "Nothing shipped lately.", "when"),
    ]], widths=(330, 330, 330)))  # fmt: skip
    return blocks


def build_goals_page(data: PageData) -> PageModel:
    cfg = data.config
    goals = data.report.goals
    images = build_goal_charts(data)
    chart_names = {str(k): chart_name(i, str(k)) for i, k in enumerate(goals.kpis["kpi"])}
    counts = goals.kpis["status"].value_counts()
    work = _Work(data, compute_list_limit(ITEMS_LIMIT, WORK_ITEMS, 3 * len(goals.objectives)))
    blocks: list[ET.Element] = [
        s.panel("info", [
            s.paragraph([
                s.strong("The golden thread: "), "each company goal, the objectives serving it, the KPIs "
                "that show whether they are working, and the work behind them. Progress is the share of "
                "the way from baseline to target covered; a KPI is on track while it is no more than 10 "
                "points behind the share of the time that has passed.",
            ]),
            s.paragraph([x for status in ("achieved", "on_track", "at_risk", "no_data")
                         for x in (kpi_lozenge(status), f" {int(counts.get(status, 0))}   ")]),
        ], title="Goals"),
        s.toc(3),
    ]  # fmt: skip
    kpis_of: dict[str, list[dict[str, Any]]] = {}
    for k in row_dicts(goals.kpis):
        kpis_of.setdefault(str(k["objective"]), []).append(k)
    objectives = row_dicts(goals.objectives)
    if not goals.goal_names and not objectives:
        blocks.append(s.paragraph(s.emphasis("No goals are configured yet (goals: in goldenthread.yaml).")))
    order: list[str | None] = [*dict.fromkeys(goals.goal_names)]
    if any(is_missing(o["goal"]) for o in objectives):
        order.append(None)
    for goal in order:
        mine = [o for o in objectives if (is_missing(o["goal"]) if goal is None else o["goal"] == goal)]
        blocks.append(s.heading(2, goal if goal is not None else NO_GOAL))
        if goal is None:
            blocks.append(s.paragraph(s.small("Objectives named by issues or survey answers that no goal lists.")))
        if not mine:
            blocks.append(s.paragraph(s.emphasis("No objectives listed for this goal.")))
        for o in mine:
            kpis = kpis_of.get(str(o["objective"]), []) if o["configured"] else []
            blocks.extend(_objective_blocks(data, o, kpis, chart_names, work))
    unlinked = work.unlinked
    if unlinked:
        blocks.append(s.heading(2, f"Not linked to an objective ({unlinked} open)"))
        blocks.append(s.paragraph(s.small(["Open work no objective claims; see the Roadmap for the full list, or ",
                                           work.search_link(None, "these issues in Jira"), "."])))  # fmt: skip
    return PageModel(
        key="goals",
        title=cfg.publish.goals,
        parent_title=cfg.publish.parent,
        body=s.render_storage(blocks),
        footer=footer(data),
        attachments=images,
        people=people_of(data),
    )
