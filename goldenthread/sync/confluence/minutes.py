"""The minutes page of each monthly meeting: read last month's, create this month's once.

goldenthread never writes a minutes page after creating it; it only reads the previous month's
to carry its open actions over. Which page is a month's minutes is recorded in the store
(`minutes_pages`), so a page deleted in Confluence is reported, not recreated on every run.

Requests per report run: one GET of the previous minutes (by id, or by title when the store has
no record of them), and none for this month's once they are recorded.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime

from goldenthread.reports.pages import PageData
from goldenthread.reports.pages.meeting import Meeting, parse_task_list
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.sync.confluence.client import ConfluenceApi, LivePage
from goldenthread.sync.confluence.outcomes import PageOutcome, render_diff
from goldenthread.sync.context import AppContext
from goldenthread.sync.store.minutes import load_minutes, save_minutes, save_minutes_gone

log = logging.getLogger(__name__)
PROPERTY_KIND = "minutes"


def fetch_meeting(ctx: AppContext, api: ConfluenceApi, data: PageData, month: str) -> Meeting:
    """The meeting of `month` with the task list of the previous month's minutes."""
    meeting = build_meeting(data, month)
    prev = meeting.previous_month
    rec = load_minutes(ctx.store, prev)
    page: LivePage | None
    if rec is not None:
        page = api.get_page(str(rec["page_id"]), body=True)
        if page is None:
            log.warning("the minutes page of %s (%r) was deleted in Confluence; its actions cannot be carried over",
                        prev, rec["title"])
            save_minutes_gone(ctx.store, prev, ctx.clock())
            return dataclasses.replace(meeting, previous_title=str(rec["title"]), state="gone")
    else:
        # minutes made by hand, or a store that lost its record: the page is found by title
        page = api.find_page(meeting.previous_title, body=True)
        if page is None:
            return meeting
        _record(ctx, prev, page, "found", ctx.clock())
    tasks = parse_task_list(page.storage or "")
    for problem in tasks.problems:
        log.warning("minutes of %s (%r): %s", prev, page.title, problem)
    return dataclasses.replace(meeting, previous_title=page.title, state="read", tasks=tasks)


def _record(ctx: AppContext, month: str, page: LivePage, how: str, at: datetime) -> None:
    save_minutes(ctx.store, month, title=page.title, page_id=page.id, url=page.url, created_at=at, how=how)


def publish_minutes(ctx: AppContext, api: ConfluenceApi, data: PageData, meeting: Meeting, report: PageOutcome,
                    *, dry_run: bool = False) -> PageOutcome:
    """Create the minutes page of `meeting.month` under its report, unless it was created (or
    found) before: then nothing is read or written."""
    key, title = f"minutes:{meeting.month}", meeting.minutes_title
    rec = load_minutes(ctx.store, meeting.month)
    if rec is not None:
        note = ("deleted in Confluence; not recreated" if rec.get("gone_at")
                else "the meeting's page; goldenthread does not write to it")  # fmt: skip
        return PageOutcome(key, str(rec["title"]), "unchanged", str(rec.get("url") or ""), str(rec["page_id"]),
                           note=note)
    existing = api.find_page(title)
    if existing is not None:
        if not dry_run:
            _record(ctx, meeting.month, existing, "found", ctx.clock())
        return PageOutcome(key, title, "unchanged", existing.url, existing.id, existing.version,
                           note="an existing page with this title is kept as the minutes; goldenthread does not write to it")
    model = build_minutes_page(data, meeting, report.title, ctx.clock().date())
    if dry_run:
        return PageOutcome(key, title, "would-create", diff=render_diff(model, None))
    parent = report.page_id or (api.find_page(report.title) or _missing(report.title)).id
    page = api.create_page(title, model.storage, parent)
    api.add_labels(page.id, model.labels)
    api.save_property(page.id, {"kind": PROPERTY_KIND, "month": meeting.month}, None)
    _record(ctx, meeting.month, page, "created", ctx.clock())
    log.info("created the minutes page %r", title)
    return PageOutcome(key, title, "created", page.url, page.id, page.version)


def _missing(title: str) -> LivePage:
    raise LookupError(f"the report page {title!r} is missing, so its minutes page cannot be created under it")
