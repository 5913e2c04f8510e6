"""Benchmark: publish every page for a 20,000-issue backlog to the sandbox's Confluence.

    python bench/publish.py [--issues 20000] [--mode cloud|datacenter] [--runs 3]

The backlog is the page-size test's (tests/reports/big_backlog.py: long summaries, 60
objectives, 40 people, two years of work). The pages: Roadmap, What's new and its yearly
archives, Goals, the previous month's stakeholder report and its minutes page. Printed:
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
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from goldenthread.mappings.records import IssueSnapshot, StatusChange, StatusInfo
from goldenthread.reports.pages import LIVE_PAGES, MONTHLY_PAGES
from goldenthread.reports.pages.minutes import build_meeting, build_minutes_page
from goldenthread.reports.pages.monthly import month_as_of
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.confluence.publisher import load_page_data, publish_monthly_report, publish_pages
from goldenthread.sync.context import AppContext
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.runs import load_report
from goldenthread.sync.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its tests' data
from tests.reports.big_backlog import NOW, big_config, build_big_backlog  # noqa: E402
from tests.reports.big_backlog import STATUSES as BIG_STATUSES  # noqa: E402

MONTH = "2026-05"
STATUSES = [StatusInfo(name, cat) for name, cat in BIG_STATUSES.items()]  # type: ignore[arg-type]


def build_backlog(n: int) -> list[IssueSnapshot]:
    """The page-size test's backlog (tests/reports/big_backlog.py): two years of work, long
    summaries, 60 objectives, 40 people, release notes on half the shipped work."""
    issues, changes = build_big_backlog(n)
    by_key: dict[str, list[StatusChange]] = {}
    for c in changes:
        by_key.setdefault(c.issue_key, []).append(c)
    return [IssueSnapshot(i, tuple(by_key.get(i.key, ()))) for i in issues]


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
        ctx = AppContext(settings=settings, config=big_config(), clock=lambda: NOW,
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
