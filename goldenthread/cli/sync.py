"""The `sync` and `fields` commands: call the run (goldenthread.sync.runs), print what it did,
and turn a run that failed into RunFailed (exit 1) once everything it did has been shown.

Jira text reaches rich as `Text` or with markup off: a summary or a name like "[red]" prints
as written, never as markup.

Tests: tests/cli/test_output.py, tests/sync/jira/test_writeback.py
"""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from goldenthread.mappings.writeback import PlannedAdd
from goldenthread.sync import runs
from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import RunFailed
from goldenthread.sync.jira.fieldcheck import fetch_fields_rows
from goldenthread.sync.jira.writeback import WritebackResult


PLAN_PREVIEW_ROWS = 10  # a first sync plans thousands of stakeholder adds: a sample, not a wall


def run_sync_command(ctx: AppContext, console: Console, *, full: bool, dry_run: bool,
                     details: bool = False) -> None:
    result = runs.run_sync(ctx, full=full, dry_run=dry_run)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    table = Table(title=f"Jira sync ({result.mode}, {result.deployment})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("issues fetched", result.fetched),
        ("issues upserted", result.upserted),
        ("unchanged (lookback overlap)", result.unchanged),
        ("issues removed from backlog", result.removed if result.census else "no census this run"),
        ("changelogs fetched", result.changelogs),
        ("status changes stored", result.status_changes),
        *([("KPI readings read", result.kpi_readings), ("survey answers read", result.survey_answers)]
          if ctx.config.outcomes.measurements or ctx.config.outcomes.surveys else []),
        ("requests", result.requests),
        ("duration", f"{result.duration_s:.1f} s"),
        ("cursor", result.cursor or "-"),
    ]
    for what, value in rows:
        table.add_row(what, str(value))
    console.print(table)
    wbr = result.writeback
    if wbr is not None:
        if wbr.plan:
            limit = None if details else PLAN_PREVIEW_ROWS
            console.print(render_plan_by_person(wbr.plan, wbr, limit=limit))
            console.print(render_plan_table(wbr.plan, wbr, limit=limit))
        for warning in wbr.warnings:
            console.print(f"[yellow]write-back:[/yellow] {warning}", highlight=False)
        verb = "would add" if wbr.dry_run else "added"
        n = sum(len(a.users) for a in wbr.plan) if wbr.dry_run else sum(len(v) for v in wbr.added.values())
        console.print(f"stakeholders: {verb} {n} on {len(wbr.plan)} issue(s)"
                      + (f"; {len(wbr.failed)} failed" if wbr.failed else ""))
        adds = sum(len(a.users) for a in wbr.plan)
        people = len({u.id for a in wbr.plan for u in a.users})
        if not details and (adds > PLAN_PREVIEW_ROWS or people > PLAN_PREVIEW_ROWS):
            console.print(f"(shown: the first {min(adds, PLAN_PREVIEW_ROWS)} of {adds} rows and the "
                          f"{min(people, PLAN_PREVIEW_ROWS)} busiest of {people} people; --details lists them all)")
    elif dry_run:
        console.print("stakeholders: write-back is off (stakeholders.write_back)")
    failure = runs.compute_sync_failure(result)
    if failure:
        raise RunFailed(failure)


def render_plan_table(plan: list[PlannedAdd], result: WritebackResult | None = None,
                      limit: int | None = None) -> Table:
    """Which issues gain which stakeholders and why (the first `limit` rows). Jira text goes in
    as Text (no rich markup)."""
    title = "Stakeholders to add" if result is None or result.dry_run else "Stakeholders written"
    table = Table(title=title)
    for column in ("Issue", "Stakeholder", "Where", "Why"):
        table.add_column(column)
    if result is not None and not result.dry_run:
        table.add_column("Result")
    rows = 0
    for add in plan:
        status = ""
        if result is not None and not result.dry_run:
            written = {u.id for u in result.added.get(add.issue_key, ())}
            failure = result.failed.get(add.issue_key) or result.skipped.get(add.issue_key)
        for user in add.users:
            if limit is not None and rows >= limit:
                break
            row = [
                Text(add.issue_key),
                Text(f"{user.name} ({user.id})" if user.name else user.id),
                Text(add.target),
                Text("; ".join(user.reasons)),
            ]
            if result is not None and not result.dry_run:
                status = "added" if user.id in written else f"not added: {failure or 'unknown'}"
                row.append(Text(status))
            table.add_row(*row)
            rows += 1
    return table


def render_plan_by_person(plan: list[PlannedAdd], result: WritebackResult | None = None,
                          limit: int | None = None) -> Table:
    """One row per stakeholder (the `limit` busiest): on how many issues they are (to be) added."""
    dry = result is None or result.dry_run
    counts: dict[tuple[str, str], int] = {}
    for add in plan:
        written = None if dry or result is None else {u.id for u in result.added.get(add.issue_key, ())}
        for user in add.users:
            if written is None or user.id in written:
                counts[(user.id, user.name)] = counts.get((user.id, user.name), 0) + 1
    table = Table(title="Stakeholders to add, by person" if dry else "Stakeholders added, by person")
    table.add_column("Stakeholder")
    table.add_column("issues", justify="right")
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][1] or item[0][0]))
    for (uid, name), n in ranked[:limit]:
        table.add_row(Text(name or uid), str(n))
    return table


def run_fields(ctx: AppContext, console: Console, as_json: bool) -> None:
    """List Jira's fields (custom first), to help write `fields:` mappings."""
    rows = fetch_fields_rows(ctx)
    if as_json:
        console.out(json.dumps(rows, indent=2, ensure_ascii=False), highlight=False)
        return
    table = Table(title=f"Jira fields ({len(rows)})")
    for column in ("id", "name", "type"):
        table.add_column(column)
    for row in rows:
        # field names are Jira text: Text() so a name like "[bold]" is not rich markup
        table.add_row(Text(row["id"]), Text(row["name"]), Text(row["type"]))
    console.print(table)
