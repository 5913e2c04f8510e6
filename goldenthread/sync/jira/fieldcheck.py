"""`goldenthread check` (live field resolution) and `goldenthread fields` (list Jira's fields)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from goldenthread.mappings.config import ConfigProblem
from goldenthread.mappings.fields import check_field_config, check_field_mappings
from goldenthread.mappings.jira import FieldSpec, parse_field_list
from goldenthread.mappings.records import Deployment
from goldenthread.sync.context import AppContext
from goldenthread.sync.jira.fetch import fetch_field_list
from goldenthread.sync.jira.ingest import open_jira


def _source(ctx: AppContext) -> str:
    return str(ctx.settings.goldenthread_config)


def _stakeholder_problems(ctx: AppContext, mapped: list[str] | None, deployment: Any) -> list[ConfigProblem]:
    try:
        from goldenthread.mappings.stakeholders import check_stakeholder_rules
    except ImportError:
        return []
    return list(check_stakeholder_rules(ctx.config, ctx.lines, mapped, deployment, source=_source(ctx)))


def run_check(ctx: AppContext, offline: bool) -> list[ConfigProblem]:
    """Problems in the config. Online: every mapped field resolved against Jira's /field list,
    and the Confluence space checked when CONFLUENCE_URL is set."""
    source = _source(ctx)
    if offline:
        return check_field_config(ctx.config, ctx.lines, source) + _stakeholder_problems(ctx, None, None)
    jira = open_jira(ctx)
    try:
        raw = fetch_field_list(jira)
    finally:
        jira.close()
    field_map, problems = check_field_mappings(ctx.config, ctx.lines, parse_field_list(raw), source)
    problems += _stakeholder_problems(ctx, list(field_map.fields), jira.deployment)
    if ctx.settings.confluence_url.strip():
        problems += _space_problems(ctx, jira.deployment)
    return problems


def _space_problems(ctx: AppContext, deployment: Deployment) -> list[ConfigProblem]:
    """With CONFLUENCE_URL set, `publish.space` must exist: `publish` would refuse it."""
    from goldenthread.sync.confluence.publisher import fetch_space_problem, open_confluence_api

    api = open_confluence_api(ctx, deployment=deployment)
    try:
        problem = fetch_space_problem(ctx, api)
    finally:
        api.handle.close()
    return [problem] if problem is not None else []


def build_fields_rows(fields: list[FieldSpec]) -> list[dict[str, Any]]:
    ordered = sorted(fields, key=lambda f: (not f.is_custom, f.name.casefold(), f.id))
    return [{"id": f.id, "name": f.name, "type": f.describe_type(), "custom": f.is_custom} for f in ordered]


def run_fields(ctx: AppContext, console: Console, as_json: bool) -> None:
    """List Jira's fields (custom first), to help write `fields:` mappings."""
    jira = open_jira(ctx)
    try:
        rows = build_fields_rows(parse_field_list(fetch_field_list(jira)))
    finally:
        jira.close()
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
