"""The `publish` and `report monthly` commands: check the settings and the month, publish,
and print what happened (a dry run as a diff of each page's text, its first lines unless
--details).

Tests: tests/cli/test_output.py, tests/cli/test_check.py, tests/cli/test_errors.py, tests/sync/confluence/test_publisher.py
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.text import Text

from goldenthread.mappings.config import ConfigError
from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.reports.months import last_complete_month, month_as_of, month_of, parse_month
from goldenthread.sync.confluence.outcomes import PublishResult
from goldenthread.sync.confluence.publisher import (
    load_page_data,
    publish_monthly_report,
    publish_pages,
    write_previews,
)
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage, RunFailed
from goldenthread.sync.http.atlassian import require_settings

DIFF_PREVIEW_LINES = 40  # a new Roadmap is ~1,000 lines of text: a glimpse, not a wall
_DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def _print_diff(console: Console, diff: str, details: bool) -> None:
    lines = diff.splitlines()
    shown = lines if details else lines[:DIFF_PREVIEW_LINES]
    for line in shown:
        style = next((s for prefix, s in _DIFF_STYLES if line.startswith(prefix)), "")
        console.print(Text(line, style=style), soft_wrap=True)
    if len(shown) < len(lines):
        console.print(f"  ... {len(lines) - len(shown)} more line(s): --details prints the whole diff, "
                      "--preview DIR writes each page as HTML", markup=False, highlight=False)


def _print(console: Console, result: PublishResult, dry_run: bool, details: bool = False) -> None:
    for page in result.pages:
        if dry_run and page.diff:
            _print_diff(console, page.diff, details)
        extra = f" ({page.note})" if page.note else ""
        uploads = f", {page.attachments_uploaded} attachment(s) uploaded" if page.attachments_uploaded else ""
        where = f" {page.url}" if page.url else ""
        console.print(f"{page.title}: {page.outcome}{uploads}{extra}{where}", markup=False, highlight=False)
    if dry_run:
        console.print("dry run: nothing was written", markup=False)


def _check_ready(ctx: AppContext) -> None:
    require_settings("confluence", ctx.settings)


def run_publish_command(ctx: AppContext, console: Console, *, dry_run: bool, preview_dir: Path | None,
                        details: bool = False) -> None:
    if preview_dir is not None:
        data = load_page_data(ctx, ctx.clock())
        paths = write_previews([model for build in LIVE_PAGES.values() for model in build(data)], preview_dir)
        console.print(f"preview: {paths[0]}", markup=False)
    _check_ready(ctx)
    try:
        result = publish_pages(ctx, dry_run=dry_run)
    except (BadUsage, RunFailed, ConfigError):
        raise
    except Exception as exc:
        raise RunFailed(f"publishing to Confluence failed: {exc}") from exc
    _print(console, result, dry_run, details)
    if result.failed:
        raise RunFailed(result.render_failure())


def check_report_month(month: str, now: datetime, first_created: datetime | None) -> list[str]:
    """Warnings for a report month that is not over or holds no data; BadUsage for one that has
    not begun (its report would describe the future as if it were history)."""
    current = month_of(now)
    if month > current:  # both YYYY-MM: string order is month order
        raise BadUsage(f"--month {month} has not begun (it is {current} now): a report describes a month "
                       f"that is over; the last complete month is {last_complete_month(now)}")
    if month == current:
        return [f"--month {month} is not over: the report covers {month} up to now and will change"]
    first = None if first_created is None else month_of(first_created)
    if first is None:
        return [f"--month {month}: the store holds no issues (run `goldenthread sync` first): the report will be empty"]
    if month < first:
        return [f"--month {month} is before any data (the earliest issue in the store was created in {first}): "
                "the report will be empty"]
    return []


def run_monthly_command(ctx: AppContext, console: Console, *, month: str | None, dry_run: bool,
                        preview_dir: Path | None, details: bool = False) -> None:
    month = month or last_complete_month(ctx.clock())
    try:
        parse_month(month)
    except ValueError as exc:
        raise BadUsage(f"--month: {exc}") from None
    for warning in check_report_month(month, ctx.clock(), ctx.store.load_first_created()):
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)  # as sync does
    if preview_dir is not None:
        data = load_page_data(ctx, month_as_of(month, ctx.clock()))
        models = [build(data, month) for build in MONTHLY_PAGES.values()]
        # the minutes as they would be created (without last month's actions: nothing is read)
        minutes = build_minutes_page(data, build_meeting(data, month), models[0].title, ctx.clock().date())
        paths = write_previews([*models, minutes], preview_dir)
        console.print(f"preview: {paths[0]}", markup=False)
    _check_ready(ctx)
    try:
        result = publish_monthly_report(ctx, month, dry_run=dry_run)
    except (BadUsage, RunFailed, ConfigError):
        raise
    except Exception as exc:
        raise RunFailed(f"publishing the {month} stakeholder report failed: {exc}") from exc
    _print(console, result, dry_run, details)
    if result.failed:
        raise RunFailed(result.render_failure())
