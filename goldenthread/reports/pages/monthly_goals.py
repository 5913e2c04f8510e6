"""The goal rows of the monthly report: its headline's KPI status counts, NPS, adoption and cycle
time against the previous month, and the decisions "KPIs at risk" (owners @mentioned, configured
people only) and "Work not linked to an objective".

Tests: tests/reports/test_monthly_goals.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from goldenthread.reports import storage as s
from goldenthread.reports.goals import compute_canonical_objectives, compute_goal_month
from goldenthread.reports.format import fmt_days, fmt_month, fmt_percent, is_missing
from goldenthread.reports.pages.common import (
    PageData,
    issue_ref,
    more_line,
    row_dicts,
    stage_lozenge,
)
from goldenthread.reports.pages.goals import fmt_value

#: (outcome, this month, previous month, format, lower is better, kind of change)
HeadlineRow = tuple[str, object, object, Callable[[object], str], bool, str]
LIMIT = 25


def _signed(value: object) -> str:
    return "—" if is_missing(value) else f"{float(value):+.0f}"  # type: ignore[arg-type]


def _whole(value: object) -> float | None:
    return None if is_missing(value) else float(round(float(value)))  # type: ignore[arg-type]


def build_goal_headline(data: PageData, month: str, previous_at: datetime) -> tuple[list[HeadlineRow], str]:
    """Rows for the headline table and a note on what they count."""
    report = data.report
    figures = compute_goal_month(report.frames, report.outcomes.lead_times, report.goals, data.config,
                                 month, report.as_of, previous_at)  # fmt: skip
    cur, prev = figures["current"], figures["previous"]
    rows: list[HeadlineRow] = []
    if len(report.goals.kpis):
        def good(side: dict[str, int]) -> int:
            return side["achieved"] + side["on_track"]

        rows += [
            ("KPIs achieved or on track", good(cur["kpi_status"]), good(prev["kpi_status"]), str, False, "n"),
            ("KPIs at risk", cur["kpi_status"]["at_risk"], prev["kpi_status"]["at_risk"], str, True, "n"),
        ]
    rows += [
        # NPS is read in whole points: the change is then the difference a reader sees
        ("NPS of the month's answers", _whole(cur["nps"]), _whole(prev["nps"]), _signed, False, "n"),
        ("Adoption of the work shipped", cur["adoption_mean"], prev["adoption_mean"], fmt_percent, False, "pct"),
        ("Cycle time p50", cur["cycle_time_p50"], prev["cycle_time_p50"], fmt_days, True, "days"),
    ]  # fmt: skip
    no_data = cur["kpi_status"]["no_data"]
    note = (f"NPS: {cur['nps_answers']} answers in {fmt_month(month)}, {prev['nps_answers']} the month before. "
            "Cycle time: started → done, for the items shipped in the month."
            + (f" {no_data} KPI{'s' if no_data != 1 else ''} without a reading yet." if no_data else ""))
    return rows, note


def build_goal_decisions(data: PageData) -> list[ET.Element]:
    report = data.report
    kpis = report.goals.kpis
    at_risk = row_dicts(kpis.loc[kpis["status"].eq("at_risk").to_numpy()])
    blocks: list[ET.Element] = [s.heading(3, f"KPIs at risk ({len(at_risk)})")]
    if at_risk:
        people = data.mentioner
        blocks.append(s.table(("KPI", "Objective", "Owner", "Actual", "Progress"), [[
            s.strong(str(k["kpi"])), str(k["objective"]),
            "—" if is_missing(k["owner"]) else people.mention(str(k["owner"])),
            fmt_value(k["actual"], str(k["unit"])),
            f"{fmt_percent(k['progress'])} (expected {fmt_percent(k['expected'])})",
        ] for k in at_risk[:LIMIT]], widths=(220, 220, 200, 130, 220)))  # fmt: skip
        blocks.extend(more_line(LIMIT, len(at_risk), "KPIs at risk"))
    else:
        blocks.append(s.paragraph(s.small("None. ")))
    scores = report.scores
    unlinked = row_dicts(scores.loc[compute_canonical_objectives(scores["objective"], data.config).isna()])
    blocks.append(s.heading(3, f"Work not linked to an objective ({len(unlinked)})"))
    if unlinked:
        blocks.append(s.paragraph(s.small("Open work that serves no objective: link it to one in Jira, or "
                                          "decide whether it should be done at all.")))  # fmt: skip
        blocks.append(s.table(("Issue", "Summary", "Stage", "Lane"), [
            [issue_ref(r), str(r["summary"]), stage_lozenge(str(r["stage"]), None), str(r["lane"])]
            for r in unlinked[:LIMIT]
        ], widths=(90, 520, 130, 100)))  # fmt: skip
        blocks.extend(more_line(LIMIT, len(unlinked), "items"))
    else:
        blocks.append(s.paragraph(s.small("None. ")))
    return blocks
