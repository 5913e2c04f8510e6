"""Sync benchmark: `python bench/sync.py [--issues 20000] [--latency-ms 50]`.

The sandbox (this process, loopback) serves N backlog issues with an added latency per request;
the sync runs in a child process so its peak RSS is its own. Printed: requests made, wall time,
the sequential paging floor (search pages × latency, and the same pages actually paged alone,
measured in this run), the ratios, an incremental re-run's request count, the child's peak RSS,
against the targets of issue 3.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CONFIG = """jira:
  backlog_jql: 'labels = internal-product'
fields:
  reach: Reach
  impact: Impact
  confidence: Confidence
  effort: Story Points
  objective: Objective
  stakeholders: Stakeholders
  team: Team
stakeholders:
  write_back: 'off'
"""


def _ctx(url: str, user: str, token: str, db: str) -> Any:
    from pydantic import SecretStr

    from goldenthread.mappings.config import parse_config
    from goldenthread.sync.context import AppContext
    from goldenthread.sync.settings import Settings

    settings = Settings(jira_url=url, jira_user=user, jira_token=SecretStr(token))  # type: ignore[arg-type]
    config, lines = parse_config(CONFIG)
    return AppContext(settings=settings, config=config, lines=lines, database_url=db)


def _child(url: str, user: str, token: str, db: str, out: Any) -> None:
    from goldenthread.sync.jira_sync import run_sync

    ctx = _ctx(url, user, token, db)
    ctx.store  # noqa: B018 - open and migrate the database outside the timed sync
    started = time.perf_counter()
    full = run_sync(ctx, full=True)
    wall = time.perf_counter() - started
    incremental = run_sync(ctx)
    changes = ctx.store.count("status_changes")
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.send({"full": full.as_stats(), "wall": wall, "incremental": incremental.as_stats(),
              "status_changes": changes, "rss_mb": rss_kb / 1024})


def _paging_alone(url: str, user: str, token: str, db: str) -> tuple[int, float]:
    """The search pages of a full sync fetched back to back, nothing else: the real floor."""
    from goldenthread.mappings.jira import build_search_fields
    from goldenthread.sync.jira_fetch import fetch_search_pages
    from goldenthread.sync.jira_state import build_full_jql
    from goldenthread.sync.jira_sync import load_field_map, open_jira

    ctx = _ctx(url, user, token, db)
    jira = open_jira(ctx)
    fields = build_search_fields(load_field_map(ctx, jira))
    started = time.perf_counter()
    pages = sum(1 for _ in fetch_search_pages(jira, build_full_jql(ctx.config.jira.backlog_jql), fields))
    return pages, time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--issues", type=int, default=20_000, help="backlog issues (distractors come on top)")
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from goldenthread.sync.sandbox.dataset import build_dataset
    from goldenthread.sync.sandbox.server import start_sandbox
    from goldenthread.sync.sandbox.state import SandboxState

    t0 = time.perf_counter()
    data = build_dataset(seed=args.seed, issues=math.ceil(args.issues / 0.9), months=12)
    state = SandboxState(data=data)
    n = len(data.backlog_issues())
    print(f"dataset: {n} backlog issues (+{len(data.issues) - n} outside it), "
          f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    state.faults.latency_ms = args.latency_ms
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, start_sandbox(state) as sb:
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        parent, child = mp.get_context("spawn").Pipe()
        proc = mp.get_context("spawn").Process(target=_child, args=(sb.jira_url, sb.user, sb.token, db, child))
        state.stats.reset()
        proc.start()
        got = parent.recv()
        proc.join()
        stats = state.stats.snapshot()
        search_pages = stats["requests"].get("GET /rest/api/3/search/jql", 0)  # type: ignore[union-attr]
        full, inc = got["full"], got["incremental"]
        census_pages = math.ceil(n / 5000)
        pages = search_pages - census_pages - inc["pages"] - (1 if inc["census"] else 0)
        floor = pages * latency
        alone_pages, alone = _paging_alone(sb.jira_url, sb.user, sb.token, db)

    budget = math.ceil(n / 100) + math.ceil(n / 1000) + 10
    wall = got["wall"]
    print(f"requests (full sync):      {full['requests']}   target <= {budget}  "
          f"[{'ok' if full['requests'] <= budget else 'MISSED'}]")
    print(f"  by endpoint (sandbox):   {dict(sorted(stats['requests'].items()))}")  # type: ignore[union-attr]
    print(f"issues / status changes:   {full['upserted']} / {got['status_changes']} "
          f"({got['status_changes'] / max(1, full['upserted']):.1f} per issue)")
    print(f"wall time (full sync):     {wall:.2f} s")
    print(f"paging floor:              {pages} search pages x {args.latency_ms:.0f} ms = {floor:.2f} s")
    print(f"  ratio wall / floor:      {wall / floor:.2f}   target <= 1.30  [{'ok' if wall <= 1.3 * floor else 'MISSED'}]")
    print(f"  same {alone_pages} pages paged alone (measured): {alone:.2f} s; ratio wall / that: {wall / alone:.2f}")
    print(f"incremental, nothing changed: {inc['requests']} request(s)   target <= 2  "
          f"[{'ok' if inc['requests'] <= 2 else 'MISSED'}]")
    print(f"peak RSS of the sync process: {got['rss_mb']:.0f} MB   target < 400  "
          f"[{'ok' if got['rss_mb'] < 400 else 'MISSED'}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
