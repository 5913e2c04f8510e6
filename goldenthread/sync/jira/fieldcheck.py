"""`goldenthread check` (live field resolution) and `goldenthread fields` (list Jira's fields)."""

from __future__ import annotations

from typing import Any


from goldenthread.mappings.config import ConfigProblem
from goldenthread.mappings.fields import check_field_config, check_field_mappings
from goldenthread.mappings.goals import check_goals, check_objective_options
from goldenthread.mappings.fields import FieldSpec, parse_field_list
from goldenthread.mappings.deployment import DeploymentKind
from goldenthread.sync.context import AppContext
from goldenthread.mappings.yaml_lines import line_for
from goldenthread.sync.jira.fetch import OptionList, fetch_field_list, fetch_option_list
from goldenthread.sync.jira.ingest import open_jira
from goldenthread.sync.outcomes import check_outcome_sources


def _source(ctx: AppContext) -> str:
    return str(ctx.settings.goldenthread_config)


def _stakeholder_problems(ctx: AppContext, mapped: list[str] | None, deployment: Any) -> list[ConfigProblem]:
    try:
        from goldenthread.mappings.stakeholders import check_stakeholder_rules
    except ImportError:
        return []
    return list(check_stakeholder_rules(ctx.config, ctx.lines, mapped, deployment, source=_source(ctx)))


def _goal_problems(ctx: AppContext, offline: bool) -> list[ConfigProblem]:
    source = _source(ctx)
    base = ctx.settings.goldenthread_config.parent
    return (check_goals(ctx.config, ctx.lines, source)
            + check_outcome_sources(ctx.config, ctx.lines, source, base, offline=offline))


def run_check(ctx: AppContext, offline: bool) -> list[ConfigProblem]:
    """Problems in the config. Online: every mapped field resolved against Jira's /field list,
    the Confluence space checked when CONFLUENCE_URL is set, and every objective under `goals:`
    against the options of the field mapped as `objective`."""
    source = _source(ctx)
    if offline:
        return (check_field_config(ctx.config, ctx.lines, source) + _stakeholder_problems(ctx, None, None)
                + _goal_problems(ctx, offline=True))
    jira = open_jira(ctx)
    try:
        raw = fetch_field_list(jira)
        field_map, problems = check_field_mappings(ctx.config, ctx.lines, parse_field_list(raw), source)
        objective = field_map.fields.get("objective")
        options = (fetch_option_list(jira, objective.id) if objective is not None and ctx.config.goals
                   else OptionList(None))  # fmt: skip
    finally:
        jira.close()
    if options.values is not None:
        problems += check_objective_options(ctx.config, ctx.lines, options.values, source)
    elif objective is not None and ctx.config.goals:
        problems += _objectives_seen(ctx, objective.name, options.problem)
    problems += _stakeholder_problems(ctx, list(field_map.fields), jira.deployment)
    if ctx.settings.confluence_url.strip():
        problems += _space_problems(ctx, jira.deployment)
    return problems + _goal_problems(ctx, False)


def _space_problems(ctx: AppContext, deployment: DeploymentKind) -> list[ConfigProblem]:
    """With CONFLUENCE_URL set, `publish.space` must exist: `publish` would refuse it."""
    from goldenthread.sync.confluence.publisher import fetch_space_problem, open_confluence_api

    api = open_confluence_api(ctx, deployment=deployment)
    try:
        problem = fetch_space_problem(ctx, api)
    finally:
        api.handle.close()
    return [problem] if problem is not None else []


def _objectives_seen(ctx: AppContext, field_name: str, refused: str | None = None) -> list[ConfigProblem]:
    """Without options to compare with (a text field, or an API that refused: said as a
    warning), the objectives of the synced issues stand in, as warnings (a new objective may
    have no issue yet)."""
    seen = sorted({i.objective for i in ctx.store.load_issues() if i.objective})
    out: list[ConfigProblem] = []
    if refused is not None:
        then = ("the objectives are checked against the values on synced issues instead" if seen
                else "the objectives are not checked until a sync has read some issues")
        out.append(ConfigProblem(_source(ctx), line_for(ctx.lines, "goals"), "goals",
                                 f"could not list the options of the Jira field {field_name!r} ({refused}); "
                                 f"{then}", "warning"))  # fmt: skip
    if not seen:
        return out
    found = check_objective_options(ctx.config, ctx.lines, seen, _source(ctx),
                                    what=f"value of {field_name!r} on any synced issue")
    return out + [ConfigProblem(p.source, p.line, p.path, p.message, "warning") for p in found]


def build_fields_rows(fields: list[FieldSpec]) -> list[dict[str, Any]]:
    ordered = sorted(fields, key=lambda f: (not f.is_custom, f.name.casefold(), f.id))
    return [{"id": f.id, "name": f.name, "type": f.describe_type(), "custom": f.is_custom} for f in ordered]


def fetch_fields_rows(ctx: AppContext) -> list[dict[str, Any]]:
    """Jira's fields (custom first) as rows of id, name, type, custom: what `goldenthread fields`
    lists to help write `fields:` mappings."""
    jira = open_jira(ctx)
    try:
        return build_fields_rows(parse_field_list(fetch_field_list(jira)))
    finally:
        jira.close()
