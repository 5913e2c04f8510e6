"""The demo's monthly meeting: what people write on a minutes page after the meeting.

goldenthread creates the minutes page and never writes to it again; people fill it in. The demo
plays those people once, in the sandbox's Confluence (as Dana, an editor's save, not an API
call of ours), so the next report shows what carrying actions over looks like: two actions still
open (one overdue by the end of the next month), one done.

Tests: tests/cli/test_demo.py
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.stakeholders import compute_people_order
from goldenthread.reports import storage as s
from goldenthread.sandbox import SandboxState

ACTIONS: tuple[str, ...] = (
    "Send the payroll self-service survey to every line manager",
    "Agree the laptop refresh budget with Procurement",
    "Book the room for the quarterly review",
)


def build_minutes_after_meeting(config: Config, month: str, next_month: str) -> str:
    """Minutes as the meeting's note-taker leaves them: attendees, decisions, three actions."""
    people = s.Mentioner({p.id: p.name for p in config.stakeholders.people}, "cloud")
    order = compute_people_order(config.stakeholders.people)
    owners = [p.id for p in order[:2]] or ["", ""]
    due = [(pd.Period(month, freq="M").end_time + timedelta(days=14)).date(),
           (pd.Period(next_month, freq="M").end_time + timedelta(days=10)).date()]  # fmt: skip
    tasks: list[s.Content] = [
        [people.mention(owners[0]) if owners[0] else None, f" {ACTIONS[0]} ", s.date(due[0].isoformat())],
        [people.mention(owners[1]) if owners[1] else None, f" {ACTIONS[1]} ", s.date(due[1].isoformat())],
        [ACTIONS[2]],
    ]
    return s.render_storage([
        s.heading(2, "Attendees"),
        s.bullet_list([people.mention(p.id, p.name) for p in order[:4]]),
        s.heading(2, "Decisions"),
        s.bullet_list(["Payroll self-service goes ahead of the onboarding work next quarter.",
                       "Laptop swaps stay in the IT Service Desk backlog; Procurement joins the next review."]),
        s.heading(2, "Actions"),
        s.task_list(tasks, done={2}),
        s.heading(2, "Notes"),
        s.paragraph("Lead times improved; the SLA misses were all in Procurement's invoice work."),
    ])  # fmt: skip


def hold_meeting(state: SandboxState, config: Config, month: str, next_month: str) -> str:
    """Write `month`'s minutes in the sandbox as a person would; a line saying what was written."""
    title = config.publish.minutes.format(month=month)
    page = next(p for p in state.confluence.pages.values() if p.title == title and p.status == "current")
    author = config.stakeholders.people[0].id if config.stakeholders.people else None
    state.confluence.simulate_manual_edit(page.id, build_minutes_after_meeting(config, month, next_month),
                                          author_id=author)
    return f"{title!r} written in Confluence: 2 decisions, {len(ACTIONS) - 1} actions open, 1 done"
