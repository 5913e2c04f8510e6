"""The `publish` and `report monthly` commands: call the run (goldenthread.sync.runs) and print
what happened (a dry run as a diff of each page's text, its first lines unless --details).

Tests: tests/cli/test_output.py, tests/cli/test_check.py, tests/cli/test_errors.py, tests/sync/confluence/test_publisher.py
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from goldenthread.sync import runs
from goldenthread.sync.confluence.outcomes import PublishResult
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import RunFailed

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


def run_publish_command(ctx: AppContext, console: Console, *, dry_run: bool, preview_dir: Path | None,
                        details: bool = False, adopt: Sequence[str] = ()) -> None:
    if preview_dir is not None:
        console.print(f"preview: {runs.write_live_previews(ctx, preview_dir)}", markup=False)
    result = runs.run_publish(ctx, dry_run=dry_run, adopt=adopt)
    _print(console, result, dry_run, details)
    if result.failed:
        raise RunFailed(result.render_failure())


def run_monthly_command(ctx: AppContext, console: Console, *, month: str | None, dry_run: bool,
                        preview_dir: Path | None, details: bool = False, adopt: Sequence[str] = ()) -> None:
    month, warnings = runs.resolve_report_month(ctx, month)
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)  # as sync does
    if preview_dir is not None:
        console.print(f"preview: {runs.write_monthly_previews(ctx, month, preview_dir)}", markup=False)
    result = runs.run_monthly_report(ctx, month, dry_run=dry_run, adopt=adopt)
    _print(console, result, dry_run, details)
    if result.failed:
        raise RunFailed(result.render_failure())
