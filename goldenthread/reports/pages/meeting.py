"""The monthly meeting's actions: Confluence tasks read back from the previous minutes page.

The minutes page belongs to the people who hold the meeting: goldenthread creates it once and
then only reads it. Its actions are a Confluence task list (`ac:task-list`); in storage each task
is an `ac:task` with an `ac:task-status` (complete | incomplete) and an `ac:task-body`, where the
editor puts the assignee as the first user mention and the due date as the first `<time>`.

A page a person edited can hold anything: a storage the parser cannot read, a task without a
status, a due date that is not a date. Each becomes a problem that the report names; none stops
the report.

Tests: tests/reports/test_meeting.py
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from typing import Literal

from goldenthread.reports.storage import AC_NS, RI_NS, parse_page_storage

_AC, _RI = f"{{{AC_NS}}}", f"{{{RI_NS}}}"
_USER_ATTRS = (f"{_RI}account-id", f"{_RI}username", f"{_RI}userkey")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MinutesState = Literal["read", "none", "gone"]


@dataclass(frozen=True)
class Task:
    """One action: its words, who it is assigned to (a user id, '' when nobody) and when it is due."""

    text: str
    assignee_id: str = ""
    due: str | None = None  # 'YYYY-MM-DD'
    done: bool = False


@dataclass(frozen=True)
class TaskList:
    open: tuple[Task, ...] = ()
    closed: int = 0
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """What the report and the minutes of `month` say about the meeting.

    `previous` is the task list of the previous month's minutes: `state` 'read' (found and read,
    `tasks` set), 'none' (goldenthread never created minutes for that month) or 'gone' (it did,
    and the page was deleted in Confluence)."""

    month: str
    minutes_title: str
    previous_month: str
    previous_title: str
    state: MinutesState = "none"
    tasks: TaskList = TaskList()


def _text_outside_nested(node: ET.Element) -> str:
    """The words of a task body, leaving out nested task lists (tasks of their own)."""
    parts: list[str] = [node.text or ""]
    for child in node:
        if child.tag != f"{_AC}task-list":
            parts.append(_text_outside_nested(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _first(node: ET.Element, tag: str) -> ET.Element | None:
    """The first `tag` in document order, not looking inside nested task lists."""
    for child in node:
        if child.tag == tag:
            return child
        if child.tag != f"{_AC}task-list":
            found = _first(child, tag)
            if found is not None:
                return found
    return None


def _is_day(text: str) -> bool:
    if not _ISO_DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return False
    return True


def parse_task(task: ET.Element, number: int) -> tuple[Task | None, list[str]]:
    """One `ac:task` -> (Task, problems); (None, problems) when it cannot be counted and None
    without problems for the empty task the template leaves for people to fill in."""
    status = (task.findtext(f"{_AC}task-status") or "").strip()
    body = task.find(f"{_AC}task-body")
    text = " ".join(_text_outside_nested(body).split()) if body is not None else ""
    user = _first(body, f"{_RI}user") if body is not None else None
    assignee = next((user.get(a, "") for a in _USER_ATTRS if user is not None and user.get(a)), "")
    if not text and not assignee:
        return None, []
    what = f"task {number} ({text[:60]!r})" if text else f"task {number}"
    if status not in ("complete", "incomplete"):
        return None, [f"{what} has no readable status ({status!r}); not counted"]
    problems: list[str] = []
    when = _first(body, "time") if body is not None else None
    due = (when.get("datetime") or "").strip() if when is not None else ""
    if due and _is_day(due[:10]):
        due = due[:10]
    elif due:
        problems.append(f"{what}: due date {due!r} is not a date; shown without one")
        due = ""
    return Task(text or "(no description)", assignee, due or None, status == "complete"), problems


def parse_task_list(storage: str) -> TaskList:
    """Every task of a page's storage (nested lists included): open ones in page order, a count
    of the closed ones, and what could not be read."""
    try:
        root = parse_page_storage(storage)
    except ET.ParseError as exc:
        return TaskList(problems=(f"the page's storage could not be read ({exc}); no actions carried over",))
    open_tasks: list[Task] = []
    closed = 0
    problems: list[str] = []
    for number, node in enumerate(root.iter(f"{_AC}task"), start=1):
        task, found = parse_task(node, number)
        problems += found
        if task is None:
            continue
        if task.done:
            closed += 1
        else:
            open_tasks.append(task)
    return TaskList(tuple(open_tasks), closed, tuple(problems))
