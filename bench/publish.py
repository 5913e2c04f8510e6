"""Benchmark: publish Roadmap, What's new and one monthly report for a 5,000-issue backlog to the
sandbox's Confluence (Cloud by default); first run, then an unchanged second run.

    /work/venv/bin/python bench/publish.py [--issues 5000] [--mode cloud|datacenter]

Prints requests (counted by the sandbox), writes, attachment uploads and wall time per run.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.records import Issue, IssueSnapshot, StatusChange, StatusInfo, UserRef
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.context import AppContext
from goldenthread.sync.confluence.publisher import publish_monthly_report, publish_pages
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.settings import Settings

NOW = datetime(2026, 6, 3, tzinfo=UTC)
PEOPLE = [f"557058:{i:04d}aaaa-bbbb-cccc-dddd-eeeeffff0000" for i in range(8)]
CONFIG = "\n".join([
    "fields: {reach: R, impact: I, confidence: C, effort: E, objective: O, stakeholders: S}",
    "stakeholders:", "  people:",
    *[f'    - {{id: "{p}", name: "Person {i}", power: {"high" if i % 2 else "low"}, interest: high}}'
      for i, p in enumerate(PEOPLE)],
    "prioritisation: {model: rice, next_size: 15}",
])  # fmt: skip
OBJECTIVES = ["Cut time-to-hire", "Platform reliability", "Employee experience", "Self-service IT", None]
VERBS = ["Automate", "Simplify", "Fix", "Report on", "Migrate", "Self-serve"]
NOUNS = ["payslips", "leave approvals", "VPN access", "offer letters", "log retention", "supplier onboarding"]


def build_backlog(n: int, seed: int = 7) -> list[IssueSnapshot]:
    rng = random.Random(seed)
    snaps = []
    for i in range(1, n + 1):
        key = f"{rng.choice(['HR', 'IT', 'PLAT', 'PROC'])}-{i}"
        created = NOW - timedelta(days=rng.uniform(1, 400))
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
        scored = rng.random() < 0.85
        snaps.append(IssueSnapshot(Issue(
            key=key, id=str(i), project=key.split("-")[0], summary=f"{rng.choice(VERBS)} {rng.choice(NOUNS)} #{i}",
            issue_type="Story", status=status, status_category=cat, created=created, updated=at,  # type: ignore[arg-type]
            url=f"https://example.atlassian.net/browse/{key}",
            reach=rng.randint(10, 1000) if scored else None, impact=rng.choice([0.5, 1, 2, 3]),
            confidence=rng.choice([50, 80, 100]), effort=rng.choice([1, 2, 3, 5, 8, 13]),
            objective=rng.choice(OBJECTIVES),
            stakeholders=tuple(UserRef(p, f"Person {PEOPLE.index(p)}") for p in rng.sample(PEOPLE, rng.randint(0, 3))),
        ), tuple(changes)))  # fmt: skip
    return snaps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=5000)
    parser.add_argument("--mode", choices=["cloud", "datacenter"], default="cloud")
    args = parser.parse_args()
    state = SandboxState.build(seed=1, issues=3, confluence_mode=args.mode, jira_mode=args.mode)
    tmp = Path(tempfile.mkdtemp())
    with start_sandbox(state) as sb:
        settings = Settings(confluence_url=sb.confluence_url, confluence_user=state.user,
                            confluence_token=SecretStr(state.token), jira_url="")
        ctx = AppContext(settings=settings, config=parse_config(CONFIG)[0], clock=lambda: NOW,
                         database_url=f"sqlite:///{tmp / 'bench.db'}")
        ctx.store.save_snapshots(build_backlog(args.issues), NOW)
        ctx.store.save_statuses([StatusInfo("To Do", "new"), StatusInfo("In Progress", "indeterminate"),
                                 StatusInfo("Done", "done")])
        handle = build_confluence(settings, deployment=args.mode)
        print(f"{args.issues} issues, Confluence {args.mode}; pages: Roadmap, What's new, Stakeholder report 2026-05")
        for run in ("first", "second (unchanged)"):
            writes0, req0 = state.stats.writes, sum(state.stats.requests.values())
            start = time.perf_counter()
            pages = publish_pages(ctx, confluence=handle).pages + publish_monthly_report(ctx, "2026-05", confluence=handle).pages
            wall = time.perf_counter() - start
            requests = sum(state.stats.requests.values()) - req0
            uploads = sum(p.attachments_uploaded for p in pages)
            print(f"{run:>18}: {requests:3d} requests ({requests / len(pages):.1f}/page), "
                  f"{state.stats.writes - writes0:2d} writes, {uploads} attachment uploads, {wall:5.2f} s wall; "
                  + ", ".join(f"{p.title}={p.outcome}" for p in pages))
        handle.close()
        ctx.close()


if __name__ == "__main__":
    from goldenthread.sync.gc_policy import quiet_gc

    with quiet_gc():  # the policy every CLI command runs under
        main()
