"""`goldenthread demo`: the real sync -> stakeholders -> metrics -> publish -> report path, run
against the bundled sandbox on loopback, ending in an HTML preview a person can open.

Nothing here is faked: the demo builds an ordinary AppContext whose settings point at the sandbox
and calls the same functions the CLI, the scheduler and the webhook worker call. The previews are
rendered from the page models that were published, and checked against what the sandbox's
Confluence actually stored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.starter import render_starter_config
from goldenthread.cli.demo_meeting import hold_meeting
from goldenthread.reports.pages import PageModel
from goldenthread.reports.format import fmt_month
from goldenthread.sync.context import AppContext, system_clock
from goldenthread.sync.errors import RunFailed
from goldenthread.sync.jira.ingest import SyncResult
from goldenthread.sync.runs import run_sync
from goldenthread.cli.metrics import run_metrics
from goldenthread.reports.months import last_complete_month, previous_month
from goldenthread.sync.progress import build_reporter
from goldenthread.sync.confluence.publisher import (
    publish_monthly_report,
    publish_pages,
    write_previews,
)
from goldenthread.sandbox import SandboxState, build_dataset, start_sandbox
from goldenthread.sandbox.catalogue import STAKEHOLDER_MANAGERS
from goldenthread.sandbox.outcomes import DEMO_GOALS, build_kpi_csv, build_survey_json
from goldenthread.sandbox.state import DEFAULT_TOKEN, DEFAULT_USER
from goldenthread.sync.settings import Settings

log = logging.getLogger("goldenthread.demo")


@dataclass(frozen=True)
class DemoPerson:
    id: str
    name: str
    power: str
    interest: str


def build_goals_yaml(now: datetime) -> str:
    """The sandbox's demo goals as a `goals:` section, dates relative to `now`."""
    lines = ["goals:"]
    for goal in DEMO_GOALS:
        lines += [f"  - name: {json.dumps(goal.name)}", "    objectives:"]
        for o in goal.objectives:
            lines.append(f"      - name: {json.dumps(o.name)}")
            if o.weight is not None:
                lines.append(f"        weight: {o.weight:g}")
            lines += [f"        owner: {json.dumps(o.owner)}", "        kpis:"]
            for k in o.kpis:
                start = (now - timedelta(days=k.start_days_ago)).date().isoformat()
                end = (now + timedelta(days=k.target_in_days)).date().isoformat()
                lines.append(f"          - {{name: {json.dumps(k.name)}, unit: {json.dumps(k.unit)}, "
                             f"baseline: {{value: {k.baseline:g}, date: {start}}}, "
                             f"target: {{value: {k.target:g}, date: {end}}}}}")
    return "\n".join(lines) + "\n"


def build_demo_config(people: list[DemoPerson], rules: list[tuple[dict[str, object], list[str]]],
                      now: datetime) -> str:
    """The starter config with the sandbox's stakeholder managers, rules and write-back switched on,
    and its goals, KPI readings (kpis.csv) and survey answers (survey.json) next to the file."""
    text = render_starter_config()
    people_yaml = "\n".join(
        f"    - {{id: {json.dumps(p.id)}, name: {json.dumps(p.name)}, power: {p.power}, interest: {p.interest}}}"
        for p in people
    )
    rule_yaml = "\n".join(
        f"    - {{when: {json.dumps(when)}, add: {json.dumps(add)}}}" for when, add in rules
    )
    text = text.replace("  write_back: off ", "  write_back: field")
    text = text.replace("  people: []\n", f"  people:\n{people_yaml}\n")
    text = text.replace(
        "    - {when: {reporter: true}}  # whoever asked for the work is a stakeholder\n",
        f"    - {{when: {{reporter: true}}}}  # whoever asked for the work is a stakeholder\n{rule_yaml}\n",
    )
    # the goals' own weights rank their objectives; an objective no goal lists keeps its weight here
    text = text.replace("  objective_weights: {}", '  objective_weights: {"Employee experience": 0.8}')
    text = text.replace("goals: []\n", build_goals_yaml(now), 1)
    text = text.replace("  measurements: []", "  measurements:\n    - {path: kpis.csv}")
    text = text.replace("  surveys: []", "  surveys:\n    - {path: survey.json}")
    return text


def _demo_people() -> tuple[list[DemoPerson], list[tuple[dict[str, object], list[str]]]]:
    grid = [("high", "high"), ("high", "low"), ("low", "high"), ("high", "high"), ("low", "low")]
    people = [
        DemoPerson(u.account_id, u.display_name, power, interest)
        for u, (power, interest) in zip(STAKEHOLDER_MANAGERS, grid, strict=True)
    ]
    dana, omar, priya, lena, marcus = (p.id for p in people)
    rules: list[tuple[dict[str, object], list[str]]] = [
        ({"component": "Payroll"}, [dana]),
        ({"project": "HR"}, [omar]),
        ({"project": "PROC"}, [priya]),
        ({"project": "ITSD"}, [lena]),
        ({"project": "PLAT", "issue_type": "Story"}, [marcus]),
    ]
    return people, rules


@dataclass
class DemoResult:
    index: Path
    state: SandboxState  # the sandbox after the run: what Jira and Confluence now hold
    config_text: str


def run_demo(*, out_dir: Path, issues: int = 300, seed: int = 7, console: Console | None = None,
             now: datetime | None = None, progress_console: Console | None = None,
             hostile: bool = False) -> DemoResult:
    """Run the whole path against a fresh sandbox; `now` pins the clock (tests). Progress bars go
    to `progress_console`: the CLI passes the console its log handler writes to, so log lines
    print above the bars instead of through them. `hostile` mixes the sandbox's escaping test
    corpus into the backlog's text."""
    console = console or Console(soft_wrap=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    db = out_dir / "demo.db"
    for stale in (db, db.with_name("demo.db-wal"), db.with_name("demo.db-shm")):
        stale.unlink(missing_ok=True)  # every demo starts from an empty store, so re-runs agree

    pinned = now
    now = now or system_clock()
    people, rules = _demo_people()
    config_text = build_demo_config(people, rules, now)
    (out_dir / "goldenthread.yaml").write_text(config_text, encoding="utf-8")
    (out_dir / "kpis.csv").write_text(build_kpi_csv(now, seed), encoding="utf-8")
    (out_dir / "survey.json").write_text(build_survey_json(now, seed), encoding="utf-8")
    config, lines = parse_config(config_text, str(out_dir / "goldenthread.yaml"))

    console.print(f"building the sandbox backlog ({issues} issues, seed {seed})")
    state = SandboxState(data=build_dataset(seed=seed, issues=issues, now=now, hostile=hostile))
    with start_sandbox(state) as sandbox:
        console.print(f"sandbox Jira + Confluence listening on {sandbox.url}")
        settings = Settings(
            jira_url=sandbox.jira_url,
            jira_user=DEFAULT_USER,
            jira_token=SecretStr(DEFAULT_TOKEN),
            confluence_url=sandbox.confluence_url,
            confluence_user=DEFAULT_USER,
            confluence_token=SecretStr(DEFAULT_TOKEN),
            goldenthread_database_url=f"sqlite:///{db}",
            goldenthread_config=out_dir / "goldenthread.yaml",  # kpis.csv and survey.json sit next to it
        )
        ctx = AppContext(settings=settings, config=config, lines=lines,
                         clock=(lambda: pinned) if pinned else system_clock,
                         reporter=build_reporter(progress_console or Console(stderr=True)))
        try:
            index = _run_steps(ctx, console, out_dir, state)
        finally:
            ctx.close()
    return DemoResult(index=index, state=state, config_text=config_text)


def _run_steps(ctx: AppContext, console: Console, out_dir: Path, state: SandboxState) -> Path:
    sync = run_sync(ctx, full=True)
    console.print(f"sync: {render_sync_sentence(sync)}", markup=False, highlight=False)
    again = run_sync(ctx, full=False)
    console.print(f"incremental sync right after: {again.requests} request(s), {again.upserted} issue(s) changed")

    as_of = ctx.clock()
    month = last_complete_month(as_of)
    before = previous_month(month)
    published = publish_pages(ctx)
    earlier = publish_monthly_report(ctx, before)
    held = hold_meeting(state, ctx.config, before, month)
    console.print(f"the {fmt_month(before)} meeting took place: {held}")
    report = publish_monthly_report(ctx, month)
    outcomes = [*published.pages, *earlier.pages, *report.pages]
    for page in outcomes:
        console.print(f"{page.title}: {page.outcome} {page.url or ''}", markup=False, highlight=False)  # as `publish`
    failed = [p for p in outcomes if p.outcome == "failed"]
    if failed:
        raise RunFailed(f"publishing failed for {[p.title for p in failed]}; see the log above")

    metrics_json = run_metrics(ctx.store, ctx.config, as_of, "json")
    (out_dir / "metrics.json").write_text(metrics_json + "\n", encoding="utf-8")

    models = [*published.models, *report.models]
    _verify_previews_match_published(models, state)
    people = {p.id: p.name for p in ctx.config.stakeholders.people}
    minutes = [build_stored_page(state, f"minutes:{m}", ctx.config.publish.minutes.format(month=m), people)
               for m in (month, before)]
    paths = write_previews([*models, *minutes], out_dir)
    summary = json.loads(metrics_json)
    backlog = summary["backlog"]
    lt = summary["lead_time_days"]
    console.print(
        f"\nbacklog: {backlog['total']} issues ({backlog['todo']} to do, {backlog['in_progress']} in progress, "
        f"{backlog['done']} done, {backlog['discarded']} discarded, {backlog['unscored']} need scoring)"
    )
    if lt["p50"] is not None:
        console.print(f"lead time: p50 {lt['p50']:.1f} d, p85 {lt['p85']:.1f} d over {lt['count']} completed issues")
    console.print(f"\nopen {paths[0].resolve()} in a browser to see the pages as Confluence readers will.")
    console.print(f"also written: {out_dir / 'metrics.json'}, {out_dir / 'goldenthread.yaml'} (the demo's config, "
                  "with its KPI readings kpis.csv and survey answers survey.json)")
    db = Path(ctx.settings.goldenthread_database_url.removeprefix("sqlite:///")).resolve()
    config = (out_dir / "goldenthread.yaml").resolve()
    console.print(f"\nthe demo's store is the SQLite file {db}; query it with the commands you would run at work:\n"
                  f"  GOLDENTHREAD_DATABASE_URL=sqlite:///{db} GOLDENTHREAD_CONFIG={config} goldenthread metrics\n"
                  f"  sqlite3 {db} 'select key, status, summary from issues limit 5'\n"
                  "to try sync, publish and serve by hand, keep a sandbox running with `goldenthread sandbox`",
                  markup=False, highlight=False, soft_wrap=True)
    return paths[0]


def render_sync_sentence(sync: SyncResult) -> str:
    """A full sync in one sentence: what was read and written, in how many requests."""
    wb = sync.writeback
    added = sum(len(users) for users in wb.added.values()) if wb is not None else 0
    stakeholders = f"; {added} stakeholder(s) written back to {len(wb.added)} issue(s)" if wb is not None else ""
    return (f"{sync.fetched} issues and {sync.status_changes} status changes read from Jira ({sync.deployment}) "
            f"in {sync.requests} requests, {sync.duration_s:.1f} s{stakeholders}")


def build_stored_page(state: SandboxState, key: str, title: str, people: dict[str, str]) -> PageModel:
    """A page as the sandbox's Confluence holds it (the minutes: the people's pages, not ours)."""
    page = next(p for p in state.confluence.pages.values() if p.title == title and p.status == "current")
    parent = state.confluence.pages[page.parent_id].title if page.parent_id else ""
    return PageModel(key=key, title=title, parent_title=parent, body=page.body, people=people)


def _verify_previews_match_published(models: list[PageModel], state: SandboxState) -> None:
    """The preview must show what was published: compare with the sandbox Confluence's stored bodies."""
    stored = {p.title: p.body for p in state.confluence.pages.values()}
    for model in models:
        if stored.get(model.title) != model.storage:
            raise RunFailed(f"the preview of {model.title!r} differs from what the sandbox Confluence stored")
