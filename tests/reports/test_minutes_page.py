"""The meeting on the report and the minutes template: link instead of a blank table, actions
carried over with owner and due date, a task list for new actions, attendees @mentioned."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import date

from goldenthread.reports import storage as s
from goldenthread.reports.pages import build_page_data
from goldenthread.reports.pages.meeting import Meeting, Task, TaskList
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.reports.pages.monthly import build_monthly_report_page, month_as_of
from tests.reports.page_fixtures import DANA, JIRA_ONLY, OMAR, STATUSES, backlog, config, t

AC, RI = f"{{{s.AC_NS}}}", f"{{{s.RI_NS}}}"
NOW = t("2026-06-03")


def _data(meeting: Meeting | None = None):  # type: ignore[no-untyped-def]
    issues, changes = backlog()
    data = build_page_data(issues, changes, STATUSES, config(), month_as_of("2026-05", NOW), "cloud")
    return dataclasses.replace(data, meeting=meeting)


def _read(tasks: TaskList) -> Meeting:
    return dataclasses.replace(build_meeting(_data(), "2026-05"), state="read", tasks=tasks)


def _text(storage: str) -> str:
    return " ".join("".join(s.parse_storage(storage).itertext()).split())


def _cell(node: ET.Element) -> str:
    """Cell text with mentions as @id and status lozenges as [title] (macro parameters left out)."""
    out = [node.text or ""]
    for child in node:
        if child.tag == f"{AC}structured-macro":
            out.append("[" + next(p.text or "" for p in child if p.get(f"{AC}name") == "title") + "]")
        elif child.tag == f"{AC}link" and child.find(f"{RI}user") is not None:
            out.append("@" + (child.find(f"{RI}user").get(f"{RI}account-id") or ""))  # type: ignore[union-attr]
        else:
            out.append(_cell(child))
        out.append(child.tail or "")
    return " ".join("".join(out).split())


def _section(storage: str, heading: str) -> str:
    """The text from `heading` to the next heading of any level."""
    root = s.parse_storage(storage)
    out, inside = [], False
    for node in root:
        if node.tag in ("h2", "h3"):
            if inside:
                break
            inside = "".join(node.itertext()) == heading
            continue
        if inside:
            out.append("".join(node.itertext()))
    return " ".join(" ".join(out).split())


def test_report_links_to_the_minutes_page_instead_of_a_blank_table() -> None:
    page = build_monthly_report_page(_data(), "2026-05")
    root = s.parse_storage(page.storage)
    targets = [p.get(f"{RI}content-title") for p in root.iter(f"{RI}page")]
    assert "Stakeholder meeting 2026-05: minutes" in targets
    assert "Attendees" not in [("".join(td.itertext())) for td in root.iter("td")]  # the old blank table
    assert "No minutes were kept for the April 2026 meeting" in _text(page.storage)


def test_report_and_minutes_list_the_open_actions_with_owner_and_due_date() -> None:
    tasks = TaskList((Task("Send the payroll survey", DANA, "2026-05-20"), Task("Price the LMS", JIRA_ONLY, None),
                      Task("Nobody's job", "", "2026-07-01")), closed=3)
    data = _data(_read(tasks))
    report = build_monthly_report_page(data, "2026-05")
    section = _section(report.storage, "Actions from the April 2026 meeting")
    assert section.startswith("3 open, 3 closed, from Stakeholder meeting 2026-04: minutes.")
    table = next(tb for tb in s.parse_storage(report.storage).iter("table")
                 if [th.text for th in tb.iter("th")] == ["Action", "Owner", "Due"])
    rows = [[_cell(td) for td in tr] for tr in table.iter("tr") if tr[0].tag == "td"]
    # due 20 May is before the report's as-of (end of May): overdue; Dana is @mentioned
    assert rows == [["Send the payroll survey", f"@{DANA}", "20 May 2026 [overdue]"],
                    ["Price the LMS", "Jira Person", "no due date"],
                    ["Nobody's job", "nobody assigned", "1 Jul 2026"]]
    assert JIRA_ONLY not in report.storage  # not a configured person: named, never mentioned
    minutes = build_minutes_page(data, data.meeting, report.title, date(2026, 6, 1))
    assert "Open actions from the April 2026 meeting: 3 (5 min)" in _text(minutes.storage)
    assert "Send the payroll survey" in _section(minutes.storage, "Open actions from the April 2026 meeting")


def test_minutes_template_has_date_attendees_agenda_decisions_and_a_task_list() -> None:
    data = _data()
    page = build_minutes_page(data, build_meeting(data, "2026-05"), "Stakeholder report 2026-05", date(2026, 6, 1))
    assert page.key == "minutes:2026-05" and page.title == "Stakeholder meeting 2026-05: minutes"
    assert page.parent_title == "Stakeholder report 2026-05" and page.grandparent_title == "Stakeholder reports"
    root = s.parse_storage(page.storage)
    assert [h.text for h in root.iter("h2")] == ["Date", "Attendees", "Agenda", "Decisions", "Actions", "Notes"]
    assert [t.get("datetime") for t in root.iter("time")] == ["2026-06-01"]
    # attendees in power/interest order; only configured people with valid ids are mentioned
    attendees = next(n for i, n in enumerate(root) if i and root[i - 1].text == "Attendees")
    assert [u.get(f"{RI}account-id") for u in attendees.iter(f"{RI}user")] == [DANA, OMAR]
    assert "Broken" in "".join(attendees.itertext())
    (tasks,) = root.iter(f"{AC}task-list")
    assert [t.findtext(f"{AC}task-status") for t in tasks] == ["incomplete"]
    assert page.footer == "" and "meeting-minutes" in page.labels


def test_a_deleted_or_unreadable_previous_minutes_page_is_said_on_the_report() -> None:
    gone = dataclasses.replace(build_meeting(_data(), "2026-05"), state="gone")
    text = _text(build_monthly_report_page(_data(gone), "2026-05").storage)
    assert "was deleted in Confluence: its actions cannot be carried over" in text
    broken = _read(TaskList(problems=("the page's storage could not be read (mismatched tag)",)))
    text = _text(build_monthly_report_page(_data(broken), "2026-05").storage)
    assert "0 open, 0 closed" in text and "could not be read (mismatched tag)" in text
