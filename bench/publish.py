"""Benchmark: publish every page for a 20,000-issue backlog to the sandbox's Confluence.

    python bench/publish.py [--issues 20000] [--mode cloud|datacenter] [--runs 3]

The pages: Roadmap, What's new and its yearly archives, Goals, the previous month's stakeholder
report and its minutes page. Printed:
- the first run (everything created) and a second, unchanged run: requests counted by the
  sandbox, writes, wall time, and the largest page's storage;
- the cost per issue of publishing against the cost per issue of `goldenthread metrics` (store
  tables -> report -> JSON), all medians of --runs runs in this process, wall and CPU time: an
  unchanged `goldenthread publish` (the live pages: render + the requests that find nothing
  changed; the target), an unchanged `report monthly` (a second report, as of the month's end,
  and its charts), and the render of every page without requests. The sandbox answers from a
  thread of this process, so its work counts in the publish figures; the load average is printed
  (the machine is shared).
Targets (issue 15): unchanged run <= 1 request per page and 0 writes; every page < 500 KB;
`publish` per issue <= 2x `metrics` per issue.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.records import Issue, IssueSnapshot, StatusChange, StatusInfo, UserRef
from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.reports.pages.monthly import month_as_of
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.confluence.publisher import load_page_data, publish_monthly_report, publish_pages
from goldenthread.sync.context import AppContext
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.runs import load_report
from goldenthread.sync.settings import Settings

NOW = datetime(2026, 6, 3, tzinfo=UTC)
MONTH = "2026-05"
PEOPLE = [f"557058:{i:04d}aaaa-bbbb-cccc-dddd-eeeeffff0000" for i in range(12)]
OBJECTIVES = ["Cut time-to-hire", "Platform reliability", "Employee experience", "Self-service IT",
              "Procurement compliance", "Cost transparency", None]  # fmt: skip
CONFIG = "\n".join([
    "fields: {reach: R, impact: I, confidence: C, effort: E, objective: O, stakeholders: S, release_note: N}",
    "stakeholders:", "  people:",
    *[f'    - {{id: "{p}", name: "Person {i}", power: {"high" if i % 2 else "low"}, interest: high}}'
      for i, p in enumerate(PEOPLE)],
    "  rules:", "    - {when: {reporter: true}}",
    "prioritisation: {model: rice, next_size: 15}",
])  # fmt: skip
STATUSES = [StatusInfo("To Do", "new"), StatusInfo("In Progress", "indeterminate"), StatusInfo("Done", "done")]
THINGS = ["payslips", "leave approvals", "VPN access", "offer letters", "log retention", "supplier onboarding",
          "laptop swaps", "expense claims", "access reviews", "purchase orders"]  # fmt: skip


def build_backlog(n: int, seed: int = 7) -> list[IssueSnapshot]:
    """Two years of backlog: 55% to do, 15% in progress, 30% shipped; most shipped work has a
    release note; summaries of realistic length."""
    rng = random.Random(seed)
    snaps = []
    for i in range(1, n + 1):
        key = f"{rng.choice(['HR', 'IT', 'PLAT', 'PROC'])}-{i}"
        created = NOW - timedelta(days=rng.uniform(1, 730))
        stage = rng.choices(["todo", "in_progress", "done"], [55, 15, 30])[0]
        status, cat = {"todo": ("To Do", "new"), "in_progress": ("In Progress", "indeterminate"),
                       "done": ("Done", "done")}[stage]  # fmt: skip
        changes: list[StatusChange] = []
        at = created
        if stage != "todo":
            at = min(NOW, at + timedelta(days=rng.uniform(0, 30)))
            changes.append(StatusChange(key, f"{i}-1", at, "To Do", "In Progress"))
        if stage == "done":
            at = min(NOW, at + timedelta(days=rng.uniform(0.5, 40)))
            changes.append(StatusChange(key, f"{i}-2", at, "In Progress", "Done"))
        thing = rng.choice(THINGS)
        scored = rng.random() < 0.85
        snaps.append(IssueSnapshot(Issue(
            key=key, id=str(i), project=key.split("-")[0],
            summary=f"Self-service {thing} for the {rng.choice(['Berlin', 'London', 'Madrid', 'Oslo'])} office, step {i}",
            issue_type=rng.choice(["Story", "Story", "Bug", "Improvement"]), status=status, status_category=cat,  # type: ignore[arg-type]
            created=created, updated=at, url=f"https://example.atlassian.net/browse/{key}",
            reach=rng.randint(10, 1000) if scored else None, impact=rng.choice([0.5, 1, 2, 3]),
            confidence=rng.choice([50, 80, 100]), effort=rng.choice([1, 2, 3, 5, 8, 13]),
            objective=rng.choice(OBJECTIVES), reporter=UserRef(rng.choice(PEOPLE), "Reporter"),
            stakeholders=tuple(UserRef(p, f"Person {PEOPLE.index(p)}") for p in rng.sample(PEOPLE, rng.randint(0, 3))),
            release_note=f"Employees can now handle {thing} themselves, without a ticket." if rng.random() < 0.6 else None,
        ), tuple(changes)))  # fmt: skip
    return snaps


class Timing:
    """Median wall and CPU seconds (this process) of R runs."""

    def __init__(self, samples: list[tuple[float, float]]) -> None:
        self.wall = statistics.median(w for w, _ in samples)
        self.cpu = statistics.median(c for _, c in samples)

    def per_issue(self, n: int) -> str:
        return f"{self.wall / n * 1e6:.0f} µs wall ({self.cpu / n * 1e6:.0f} µs CPU) per issue"

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall ({self.cpu:.2f} s CPU)"


def timed(fn: Callable[[], Any], runs: int) -> Timing:
    samples = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return Timing(samples)


def render_every_page(ctx: AppContext) -> list[Any]:
    """Store -> every page model, as one publish of all pages computes them (no requests)."""
    data = load_page_data(ctx, NOW, "cloud")
    monthly = load_page_data(ctx, month_as_of(MONTH, NOW), "cloud")
    models = [m for build in LIVE_PAGES.values() for m in build(data)]
    report = [build(monthly, MONTH) for build in MONTHLY_PAGES.values()]
    minutes = build_minutes_page(monthly, build_meeting(monthly, MONTH), report[0].title, NOW.date())
    return [*models, *report, minutes]


def metrics_command(ctx: AppContext) -> str:
    """What `goldenthread metrics --format json` computes once the process is up."""
    return json.dumps(load_report(ctx.store, ctx.config, NOW).summary, indent=2, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=20_000)
    parser.add_argument("--mode", choices=["cloud", "datacenter"], default="cloud")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.issues
    state = SandboxState.build(seed=1, issues=3, confluence_mode=args.mode, jira_mode=args.mode)
    tmp = Path(tempfile.mkdtemp())
    with start_sandbox(state) as sb:
        settings = Settings(confluence_url=sb.confluence_url, confluence_user=state.user,
                            confluence_token=SecretStr(state.token), jira_url="")
        ctx = AppContext(settings=settings, config=parse_config(CONFIG)[0], clock=lambda: NOW,
                         database_url=f"sqlite:///{tmp / 'bench.db'}")
        snaps = build_backlog(n)
        for start in range(0, n, 5000):
            ctx.store.save_snapshots(snaps[start:start + 5000], NOW)
        ctx.store.save_statuses(STATUSES)
        handle = build_confluence(settings, deployment=args.mode)
        print(f"{n:,} issues, Confluence {args.mode}, SQLite store; load average {os.getloadavg()[0]:.1f}")

        ok = True
        for run in ("first", "second (unchanged)"):
            writes0, req0 = state.stats.writes, sum(state.stats.requests.values())
            start = time.perf_counter()
            result = publish_pages(ctx, confluence=handle)
            monthly = publish_monthly_report(ctx, MONTH, confluence=handle)
            wall = time.perf_counter() - start
            pages = [*result.pages, *monthly.pages]
            requests = sum(state.stats.requests.values()) - req0
            writes = state.stats.writes - writes0
            sizes = {m.title: len(m.storage.encode("utf-8")) for m in [*result.models, *monthly.models]}
            biggest = max(sizes, key=sizes.__getitem__)
            print(f"{run:>18}: {len(pages)} pages, {requests} requests ({requests / len(pages):.2f}/page), "
                  f"{writes} writes, {wall:.2f} s wall; largest page {biggest!r} "
                  f"{sizes[biggest] / 1024:.0f} KB; " + ", ".join(f"{p.title}={p.outcome}" for p in pages))
            if run.startswith("second"):
                ok &= requests <= len(pages) and writes == 0
            ok &= max(sizes.values()) < 500 * 1024

        t_metrics = timed(lambda: metrics_command(ctx), args.runs)
        t_render = timed(lambda: render_every_page(ctx), args.runs)
        t_live = timed(lambda: publish_pages(ctx, confluence=handle), args.runs)
        t_report = timed(lambda: publish_monthly_report(ctx, MONTH, confluence=handle), args.runs)
        print(f"metrics (store tables -> report -> JSON): {t_metrics}; {t_metrics.per_issue(n)}")
        print(f"render every page (store -> models, both reports, no requests): {t_render}; "
              f"{t_render.per_issue(n)}; {t_render.wall / t_metrics.wall:.1f}x metrics")
        ratio = t_live.wall / t_metrics.wall
        print(f"`publish` unchanged (Roadmap, What's new + archives, Goals; render + requests): {t_live}; "
              f"{t_live.per_issue(n)}; {ratio:.1f}x metrics (CPU {t_live.cpu / t_metrics.cpu:.1f}x); target <= 2x")
        print(f"`report monthly` unchanged (its own report at the month's end, charts, minutes): {t_report}; "
              f"{t_report.per_issue(n)}; {t_report.wall / t_metrics.wall:.1f}x metrics")
        ok &= ratio <= 2
        print(f"load average {os.getloadavg()[0]:.1f}; targets {'met' if ok else 'NOT met'}")
        handle.close()
        ctx.close()


if __name__ == "__main__":
    from goldenthread.sync.gc_policy import quiet_gc

    with quiet_gc():  # the policy every CLI command runs under
        main()
