"""The pages goldenthread publishes: one module per page, and this registry.

Adding a page is one module plus one line here. `LIVE_PAGES` are re-rendered whenever the
backlog changes (the `publish` command, the webhook worker's debounced publisher); a live entry
gives its page and any pages under it (What's new: one archive page per year), parents first.
`MONTHLY_PAGES` are built for one calendar month by `report monthly` and the scheduler (the
month's minutes page is not among them: it is created once, see `pages.minutes`).

Tests: tests/reports/test_pages.py
"""

from __future__ import annotations

from collections.abc import Callable

from goldenthread.reports.pages.common import PageData, PageModel, build_page_data
from goldenthread.reports.pages.goals import build_goals_page
from goldenthread.reports.pages.monthly import build_monthly_report_page
from goldenthread.reports.pages.roadmap import build_roadmap_page
from goldenthread.reports.pages.whats_new import build_whats_new_page, build_whats_new_pages

LivePageBuilder = Callable[[PageData], list[PageModel]]
MonthlyPageBuilder = Callable[[PageData, str], PageModel]

LIVE_PAGES: dict[str, LivePageBuilder] = {
    "roadmap": lambda data: [build_roadmap_page(data)],
    "whats_new": build_whats_new_pages,
    "goals": lambda data: [build_goals_page(data)],
}
MONTHLY_PAGES: dict[str, MonthlyPageBuilder] = {
    "monthly": build_monthly_report_page,
}

__all__ = [
    "LIVE_PAGES", "MONTHLY_PAGES", "LivePageBuilder", "MonthlyPageBuilder", "PageData", "PageModel",
    "build_goals_page", "build_monthly_report_page", "build_page_data", "build_roadmap_page", "build_whats_new_page",
    "build_whats_new_pages",
]
