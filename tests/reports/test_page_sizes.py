"""Every page stays under 500 KB of storage for a 20,000-issue backlog built to make pages big
(tests/reports/big_backlog.py), with a long task list carried over from the last minutes."""

from __future__ import annotations

import dataclasses
from datetime import date

from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES, build_page_data
from goldenthread.reports.pages.meeting import Task, TaskList
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.reports.pages.monthly import month_as_of
from tests.reports.big_backlog import NOW, PEOPLE, STATUSES, big_config, build_big_backlog

LIMIT = 500 * 1024


def test_every_page_of_a_20000_issue_backlog_is_under_500_kb() -> None:
    issues, changes = build_big_backlog(20_000)
    config = big_config()
    live = build_page_data(issues, changes, STATUSES, config, NOW, "cloud")
    pages = [model for build in LIVE_PAGES.values() for model in build(live)]
    monthly = build_page_data(issues, changes, STATUSES, config, month_as_of("2026-05", NOW), "cloud")
    tasks = TaskList(tuple(Task("Follow up with the supplier about the invoice workflow " * 3, PEOPLE[i % 40],
                                "2026-06-30") for i in range(400)), closed=120)
    meeting = dataclasses.replace(build_meeting(monthly, "2026-05"), state="read", tasks=tasks)
    monthly = dataclasses.replace(monthly, meeting=meeting)
    report = next(build(monthly, "2026-05") for build in MONTHLY_PAGES.values())
    pages += [report, build_minutes_page(monthly, meeting, report.title, date(2026, 6, 1))]
    sizes = {p.title: len(p.storage.encode("utf-8")) for p in pages}
    assert {"Roadmap", "What's new", "What's new in 2025", "Stakeholder report 2026-05",
            "Stakeholder meeting 2026-05: minutes"} <= set(sizes)
    assert max(sizes.values()) < LIMIT, {t: f"{n / 1024:.0f} KB" for t, n in sizes.items()}
    # the caps are what keeps them small: the backlog itself would not fit
    assert sum(len(i.summary) for i in issues) > 8 * LIMIT
