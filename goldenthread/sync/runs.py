"""Runs as functions: what `goldenthread sync`, `publish`, `report monthly` and `metrics` do.
Each returns what happened and prints nothing: the CLI (goldenthread.cli) parses arguments,
calls a run and renders its result; the scheduler and the webhook worker call the same steps.

Tests: tests/sync/test_runs.py
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pandas as pd

from goldenthread.mappings.config import Config, ConfigError
from goldenthread.mappings.records import Issue, StatusCategory, StatusChange
from goldenthread.reports.frames import build_frames_from_tables
from goldenthread.reports.goals import OutcomeTables
from goldenthread.reports.months import last_complete_month, month_as_of, month_of, parse_month
from goldenthread.reports.summary import Report, compute_all, compute_report
from goldenthread.sync.errors import BadUsage, RunFailed

if TYPE_CHECKING:
    from goldenthread.reports.pages import PageModel
    from goldenthread.sync.confluence.publisher import PublishResult
    from goldenthread.sync.context import AppContext
    from goldenthread.sync.jira.ingest import SyncResult

# The I/O modules (HTTP stack, Atlassian clients) and the pages (matplotlib) are imported by the
# runs that use them, so `goldenthread metrics` never loads them (bench/cli.py: start-up time).


class MetricsStore(Protocol):
    """A store read through its records."""

    def load_issues(self) -> list[Issue]: ...
    def load_status_changes(self) -> list[StatusChange]: ...
    def load_statuses(self) -> dict[str, StatusCategory]: ...


@runtime_checkable
class TableStore(Protocol):
    """A store read column by column (`Store`, and `store.readonly.ReadStore`, which has no records)."""

    def load_issue_table(self) -> pd.DataFrame: ...
    def load_change_table(self) -> pd.DataFrame: ...
    def load_statuses(self) -> dict[str, StatusCategory]: ...


@runtime_checkable
class OutcomeStore(Protocol):
    def load_outcome_tables(self) -> OutcomeTables: ...


def load_outcome_tables(store: object) -> OutcomeTables | None:
    """The stored KPI readings and survey answers, when the store keeps them."""
    return store.load_outcome_tables() if isinstance(store, OutcomeStore) else None


def load_report(store: MetricsStore | TableStore, config: Config, as_of: datetime) -> Report:
    """Read the live backlog from the store and compute the run's `Report`.

    A store that can hand over columns (`Store.load_issue_table` / `load_change_table`) is
    read that way: no per-issue record objects are built, which is most of the cost of a
    large backlog. Any other store goes through its records."""
    outcome_tables = load_outcome_tables(store)
    if isinstance(store, TableStore):
        frames = build_frames_from_tables(
            store.load_issue_table(), store.load_change_table(), store.load_statuses(),
            config, as_of,
        )  # fmt: skip
        return compute_report(frames, config, as_of, outcome_tables)
    return compute_all(
        store.load_issues(), store.load_status_changes(), store.load_statuses(), config, as_of,
        outcome_tables,
    )


# --- sync --------------------------------------------------------------------------------------


def run_sync(ctx: AppContext, *, full: bool = False, dry_run: bool = False) -> SyncResult:
    """`goldenthread sync`: the backlog into the store, then stakeholders written back (with
    `dry_run`: only planned). A write-back that failed for some issues is in
    `result.writeback.failed`: see `compute_sync_failure`."""
    from goldenthread.sync.jira.ingest import run_sync as sync_backlog

    return sync_backlog(ctx, full=full, writeback=True, dry_run=dry_run)


def compute_sync_failure(result: SyncResult) -> str | None:
    """Why a sync run failed although it completed (write-back refused for some issues)."""
    wbr = result.writeback
    if wbr is None or not wbr.failed:
        return None
    return (f"stakeholder write-back failed for {len(wbr.failed)} issue(s): "
            + "; ".join(f"{k}: {v}" for k, v in sorted(wbr.failed.items())[:5]))


# --- publish -----------------------------------------------------------------------------------


def write_live_previews(ctx: AppContext, out_dir: Path) -> Path:
    """HTML previews of the live pages as of now; the index's path."""
    from goldenthread.reports.pages import LIVE_PAGES
    from goldenthread.sync.confluence.publisher import load_page_data, write_previews

    data = load_page_data(ctx, ctx.clock())
    return write_previews([model for build in LIVE_PAGES.values() for model in build(data)], out_dir)[0]


def run_publish(ctx: AppContext, *, dry_run: bool = False, adopt: Sequence[str] = ()) -> PublishResult:
    """`goldenthread publish`: every live page rendered and written when it changed (with
    `dry_run`: the diffs only). Pages that failed are in the result (`failed`). `adopt`: titles
    of existing pages goldenthread did not create that it may take over."""
    from goldenthread.sync.confluence.publisher import publish_pages
    from goldenthread.sync.http.atlassian import require_settings

    require_settings("confluence", ctx.settings)
    try:
        return publish_pages(ctx, dry_run=dry_run, adopt=adopt)
    except (BadUsage, RunFailed, ConfigError):
        raise
    except Exception as exc:
        raise RunFailed(f"publishing to Confluence failed: {exc}") from exc


# --- report monthly ----------------------------------------------------------------------------


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


def resolve_report_month(ctx: AppContext, month: str | None) -> tuple[str, list[str]]:
    """The month `report monthly` covers (default: the last complete one) and its warnings;
    BadUsage for a month that is not YYYY-MM or has not begun."""
    month = month or last_complete_month(ctx.clock())
    try:
        parse_month(month)
    except ValueError as exc:
        raise BadUsage(f"--month: {exc}") from None
    return month, check_report_month(month, ctx.clock(), ctx.store.load_first_created())


def write_monthly_previews(ctx: AppContext, month: str, out_dir: Path) -> Path:
    """HTML previews of the month's report and its minutes as they would be created (without
    last month's actions: nothing is read from Confluence); the index's path."""
    from goldenthread.reports.pages import MONTHLY_PAGES
    from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
    from goldenthread.sync.confluence.publisher import load_page_data, write_previews

    data = load_page_data(ctx, month_as_of(month, ctx.clock()))
    models: Sequence[PageModel] = [build(data, month) for build in MONTHLY_PAGES.values()]
    minutes = build_minutes_page(data, build_meeting(data, month), models[0].title, ctx.clock().date())
    return write_previews([*models, minutes], out_dir)[0]


def run_monthly_report(ctx: AppContext, month: str, *, dry_run: bool = False,
                       adopt: Sequence[str] = ()) -> PublishResult:
    """`goldenthread report monthly`: the month's report and minutes published (idempotent)."""
    from goldenthread.sync.confluence.publisher import publish_monthly_report
    from goldenthread.sync.http.atlassian import require_settings

    require_settings("confluence", ctx.settings)
    try:
        return publish_monthly_report(ctx, month, dry_run=dry_run, adopt=adopt)
    except (BadUsage, RunFailed, ConfigError):
        raise
    except Exception as exc:
        raise RunFailed(f"publishing the {month} stakeholder report failed: {exc}") from exc
