"""The monthly meeting: its agenda, the actions carried over from the last meeting, and the
minutes page template.

The minutes page (`publish.minutes`, a child of the month's report) is created once from
`build_minutes_page` and then belongs to the people who hold the meeting: goldenthread never
writes its body again. Its task list is read back the next month (`meeting.parse_task_list`):
open tasks appear in the next report and the next minutes' agenda, done ones are counted.

Tests: tests/reports/test_minutes_page.py
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd

from goldenthread.mappings.stakeholders import compute_people_order
from goldenthread.reports import storage as s
from goldenthread.reports.format import fmt_date, fmt_month
from goldenthread.reports.pages.common import PageData, PageModel, people_of
from goldenthread.reports.months import previous_month
from goldenthread.reports.pages.meeting import Meeting, Task

MINUTES_LABELS: tuple[str, ...] = ("goldenthread", "meeting-minutes")
CARRIED_LIMIT = 50  # open actions listed; the rest are on the previous minutes page


def build_meeting(data: PageData, month: str) -> Meeting:
    """The meeting of `month` before anything was read from Confluence (no previous minutes)."""
    pub = data.config.publish
    prev = previous_month(month)
    return Meeting(month, pub.minutes.format(month=month), prev, pub.minutes.format(month=prev))


def _owner(data: PageData, task: Task) -> s.Inline:
    if not task.assignee_id:
        return "nobody assigned"
    return data.mentioner.mention(task.assignee_id, people_of(data).get(task.assignee_id, task.assignee_id))


def _due(task: Task, as_of: pd.Timestamp) -> list[s.Inline]:
    if task.due is None:
        return ["no due date"]
    late = pd.Timestamp(task.due).date() < as_of.date()
    return [fmt_date(task.due), " ", s.status_lozenge("overdue", "Red", subtle=True) if late else None]


def build_agenda(data: PageData, meeting: Meeting) -> ET.Element:
    dec = data.report.decisions
    carried = len(meeting.tasks.open)
    return s.bullet_list([
        f"Open actions from the {fmt_month(meeting.previous_month)} meeting: {carried} (5 min)",
        f"Headline outcomes for {fmt_month(meeting.month)} against the month before (5 min)",
        "What was delivered, per stakeholder (10 min)",
        f"Decisions: {int(dec['kind'].eq('unscored').sum())} items to score, "
        f"{int(dec['kind'].eq('past_sla').sum())} items past their SLA (15 min)",
        "What comes next: the Next lane of the roadmap (10 min)",
        "Any other business (5 min)",
    ])  # fmt: skip


def build_carried_actions(data: PageData, meeting: Meeting) -> list[ET.Element]:
    """The open actions of the previous minutes with owner and due date, the closed count, and
    anything that could not be read from that page."""
    prev = fmt_month(meeting.previous_month)
    title = s.page_link(meeting.previous_title)
    tasks = meeting.tasks
    if meeting.state == "none":
        return [s.paragraph(s.small(f"No minutes were kept for the {prev} meeting, so no actions carry over."))]
    if meeting.state == "gone":
        return [s.panel("warning", s.paragraph(
            f"The minutes page of the {prev} meeting ({meeting.previous_title}) was deleted in Confluence: "
            "its actions cannot be carried over. goldenthread does not recreate it."))]
    blocks: list[ET.Element] = [s.paragraph([
        s.strong(f"{len(tasks.open)} open"), f", {tasks.closed} closed, from ", title, "."
    ])]  # fmt: skip
    if tasks.open:
        blocks.append(s.table(("Action", "Owner", "Due"), [
            [t.text, _owner(data, t), _due(t, data.report.as_of)] for t in tasks.open[:CARRIED_LIMIT]
        ], widths=(560, 220, 210)))  # fmt: skip
    if len(tasks.open) > CARRIED_LIMIT:
        blocks.append(s.paragraph(s.emphasis([
            f"… and {len(tasks.open) - CARRIED_LIMIT} more open actions on ", s.page_link(meeting.previous_title), ".",
        ])))  # fmt: skip
    if tasks.problems:
        blocks.append(s.panel("warning", [
            s.paragraph(f"Some of the {prev} minutes could not be read:"), s.bullet_list(tasks.problems),
        ]))  # fmt: skip
    return blocks


def build_minutes_page(data: PageData, meeting: Meeting, report_title: str, created_on: date) -> PageModel:
    """The template the minutes page starts from (written once, at creation)."""
    cfg = data.config
    people = data.mentioner
    attendees = [people.mention(p.id, p.name or p.id) for p in compute_people_order(cfg.stakeholders.people)]
    blocks: list[ET.Element] = [
        s.panel("info", [
            s.paragraph([
                "Minutes of the stakeholder meeting on ", s.strong(fmt_month(meeting.month)), ", for those who "
                "could not attend. The numbers are in ", s.page_link(report_title), ".",
            ]),
            s.paragraph(s.small(
                "goldenthread created this page once and never changes it: edit it freely. Record actions "
                "as tasks with an @owner and a date; the open ones are carried into next month's report "
                "and agenda.")),
        ], title="Meeting minutes"),
        s.heading(2, "Date"),
        s.paragraph(s.date(created_on.isoformat())),
        s.heading(2, "Attendees"),
        s.bullet_list(attendees) if attendees else s.paragraph(s.emphasis("No stakeholders are configured.")),
        s.heading(2, "Agenda"),
        build_agenda(data, meeting),
        s.heading(3, f"Open actions from the {fmt_month(meeting.previous_month)} meeting"),
        *build_carried_actions(data, meeting),
        s.heading(2, "Decisions"),
        s.bullet_list([""]),
        s.heading(2, "Actions"),
        s.task_list([""]),
        s.heading(2, "Notes"),
        s.paragraph(""),
    ]  # fmt: skip
    return PageModel(
        key=f"minutes:{meeting.month}",
        title=meeting.minutes_title,
        parent_title=report_title,
        grandparent_title=cfg.publish.monthly_parent,
        body=s.render_storage(blocks),
        labels=MINUTES_LABELS,
        people={p.id: p.name or p.id for p in cfg.stakeholders.people},
    )
