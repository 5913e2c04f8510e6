"""Benchmark: frames + every metric + ranking over 100,000 synthetic issues / ~543,000 changes.

Run: python bench/metrics.py [--issues N] [--runs R] [--store]. Every figure is the median of R
runs (default 5), all in the same process:
- full run: records -> frames + all metrics + ranking + summary (wall time), split into
  records -> plain tables and tables -> frames;
- lead times: a straightforward per-issue Python loop over the records (group changes by key,
  sort each issue's changes, first move into in_progress, last move into done not from done,
  subtract) vs the vectorised step over the plain tables (stage mapping, matching change keys
  to issues, per-issue min/max, lead/cycle arithmetic). Both compute lead AND cycle time and
  the results are asserted identical. The records -> tables conversion is not in the vectorised
  figure (the store path never builds records), so a ratio charging it is printed too. The
  headline vectorised figure takes the issue position of every change from the `issue_pos`
  column `build_tables` fills with one dict lookup per change (timed in records -> tables, and
  in the full run); the ratio including matching the keys in the step (categorical keys, as a
  store table has them) is printed as well;
- peak memory (tracemalloc of one full run, and the process max RSS);
- with --store: the same data written to a temporary SQLite store, then the `goldenthread
  metrics` path (columns straight from SQL) timed end to end, asserted identical.
Targets (issue 5): <= 2 s, <= 1 GB, >= 20x."""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import Issue, StatusCategory, StatusChange, UserRef
from goldenthread.reports.frames import (
    IssueTimes,
    build_frames,
    build_frames_from_tables,
    compute_issue_times,
    compute_stage_map,
    compute_status_stages,
)
from goldenthread.reports.tables import build_change_table, build_tables
from goldenthread.reports.scoring import compute_scores
from goldenthread.reports.summary import build_metrics_summary, compute_outcomes

STATUSES: dict[str, StatusCategory] = {
    "To Do": "new", "In Progress": "indeterminate", "In Review": "indeterminate",
    "Done": "done", "Released": "done", "Won't Do": "done",
}  # fmt: skip
CONFIG = Config.model_validate({
    "jira": {"status_overrides": {"Won't Do": "discarded"}},
    "prioritisation": {"objective_weights": {"Cost": 1.5, "Growth": 1.2}},
    "outcomes": {"sla_days": {"Bug": 10, "default": 30}},
})  # fmt: skip
AS_OF = datetime(2025, 1, 15, tzinfo=timezone.utc)
T0 = datetime(2022, 1, 1, tzinfo=timezone.utc)


def make_data(n: int, seed: int = 42) -> tuple[list[Issue], list[StatusChange]]:
    rng = random.Random(seed)
    people = [UserRef(f"user-{i:03d}") for i in range(200)]
    issues: list[Issue] = []
    changes: list[StatusChange] = []
    for i in range(n):
        project = ("HR", "PROC", "ITSD", "PLAT", "FIN")[i % 5]
        key = f"{project}-{i // 5 + 1}"
        created = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 1000))
        at = created
        path: list[str] = ["To Do"]
        fate = rng.random()
        bounces = rng.randrange(0, 11)
        if fate >= 0.15:
            path.append("In Progress")
            for _ in range(bounces):
                path.append("In Review" if path[-1] == "In Progress" else "In Progress")
        if fate >= 0.35:
            path += ["Done", "Released"] if rng.random() < 0.5 else ["Done"]
        if fate >= 0.9:
            path = ["To Do", "Won't Do"]
        for n_change, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            at = at + timedelta(minutes=rng.randrange(60, 60 * 24 * 12))
            changes.append(StatusChange(key, f"{i}-{n_change}", at, a, b))
        status = path[-1]
        has = rng.random() < 0.85
        issues.append(Issue(
            key=key, id=str(i), project=project, summary=f"Item {i}",
            issue_type=rng.choice(("Story", "Bug", "Task")), status=status,
            status_category=STATUSES[status], created=created, updated=at,
            resolution_date=at if status in ("Done", "Released") and rng.random() < 0.5 else None,
            reach=float(rng.randrange(10, 1000)) if has else None,
            impact=float(rng.choice((0.25, 0.5, 1, 2, 3))),
            confidence=float(rng.choice((50, 80, 100, 0.5, 0.8))),
            effort=float(rng.randrange(0, 13)) if has else None,
            objective=rng.choice(("Cost", "Growth", "Compliance", None)),
            team=rng.choice(("Alpha", "Beta", "Gamma")),
            stakeholders=tuple(rng.sample(people, rng.randrange(0, 3))),
        ))  # fmt: skip
    return issues, changes


def loop_lead_times(
    issues: Sequence[Issue], changes: Sequence[StatusChange], statuses: dict[str, StatusCategory]
) -> dict[str, tuple[float, float | None]]:
    """The straightforward version, per issue: take its changes, sort them by time, find the
    first move into in_progress and the last move into done (not from done), subtract.
    Returns {key: (lead_time_days, cycle_time_days or None)} for completed issues."""
    seen = {i.status: i.status_category for i in issues}

    class StageOf(dict[str, str]):
        # a status seen only in old changes gets its stage on first use (same fallback rule)
        def __missing__(self, name: str) -> str:
            self[name] = compute_status_stages([name], statuses, CONFIG, seen)[name]
            return self[name]

    stage_of = StageOf(compute_status_stages(sorted(set(statuses) | set(seen)), statuses,
                                             CONFIG, seen))  # type: ignore[arg-type]  # fmt: skip
    by_key: dict[str, list[StatusChange]] = defaultdict(list)
    for c in changes:
        by_key[c.issue_key].append(c)
    day = timedelta(days=1)
    out: dict[str, tuple[float, float | None]] = {}
    for issue in issues:
        if stage_of[issue.status] != "done":
            continue
        history = sorted(by_key.get(issue.key, ()), key=lambda c: c.at)
        started = None
        completed = None
        for c in history:
            to_stage = stage_of[c.to_status]
            if to_stage == "in_progress" and started is None:
                started = c.at
            from_done = c.from_status is not None and stage_of[c.from_status] == "done"
            if to_stage == "done" and not from_done:
                completed = c.at
        completed = completed or issue.resolution_date
        if completed is not None:
            cycle = (completed - started) / day if started is not None else None
            out[issue.key] = ((completed - issue.created) / day, cycle)
    return out


def vector_lead_times(issue_table: Any, change_table: Any, match_keys: bool) -> IssueTimes:
    """The vectorised counterpart over the same data (as plain tables): stage mapping, issue
    positions of the changes, first in-progress / last into-done, lead and cycle time.
    match_keys: match the change keys to the issue keys here (strings, ~100k distinct); else
    use the `issue_pos` column `build_tables` computed while building the tables."""
    stage_of = compute_stage_map(issue_table, change_table, STATUSES, CONFIG)
    pos = None if match_keys else change_table["issue_pos"].to_numpy()
    return compute_issue_times(issue_table, change_table, stage_of, pos)


def pipeline(issues: Sequence[Issue], changes: Sequence[StatusChange]) -> Any:
    frames = build_frames(issues, changes, STATUSES, CONFIG, AS_OF)
    scores = compute_scores(frames, CONFIG)
    outcomes = compute_outcomes(frames, CONFIG, AS_OF)
    summary = build_metrics_summary(frames, scores, outcomes, CONFIG, AS_OF)
    return frames, summary


def pipeline_from_store(store: Any) -> Any:
    """The `goldenthread metrics` path: columns straight from SQL, no records."""
    frames = build_frames_from_tables(
        store.load_issue_table(), store.load_change_table(), STATUSES, CONFIG, AS_OF
    )
    scores = compute_scores(frames, CONFIG)
    outcomes = compute_outcomes(frames, CONFIG, AS_OF)
    return frames, build_metrics_summary(frames, scores, outcomes, CONFIG, AS_OF)


def bench_store(
    issues: Sequence[Issue], changes: Sequence[StatusChange], runs: int, expected: Any
) -> None:
    """Same data through a SQLite store: the table path vs loading records."""
    from goldenthread.mappings.records import IssueSnapshot
    from goldenthread.sync.store import Store

    by_key: dict[str, list[StatusChange]] = defaultdict(list)
    for c in changes:
        by_key[c.issue_key].append(c)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        snaps = [IssueSnapshot(i, tuple(by_key[i.key])) for i in issues]
        start = time.perf_counter()
        for n in range(0, len(snaps), 5000):
            store.save_snapshots(snaps[n : n + 5000], AS_OF)
        print(f"store: wrote {len(snaps):,} snapshots in {time.perf_counter() - start:.1f} s")
        t_tab, (frames, _) = timed(lambda: pipeline_from_store(store), runs)
        t_rec, _ = timed(lambda: (store.load_issues(), store.load_status_changes()), runs)
        store.close()
    print(f"full run from the store (SQL columns -> frames + all metrics + ranking + summary): "
          f"{t_tab:.3f} s; loading records alone (old path, before any metric): {t_rec:.3f} s")
    same = frames.issues["lead_time_days"].equals(expected.issues["lead_time_days"])
    same &= frames.issues["cycle_time_days"].equals(expected.issues["cycle_time_days"])
    assert same, "store path lead/cycle times differ from the records path"
    print("  store path lead and cycle times identical to the records path")


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", action="store_true", help="also time the SQLite table path")
    args = parser.parse_args()

    issues, changes = make_data(args.issues)
    print(f"data: {len(issues):,} issues, {len(changes):,} status changes; "
          f"median of {args.runs} runs each")  # fmt: skip
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t_pipe, (frames, summary) = timed(lambda: pipeline(issues, changes), args.runs)
    t_tables, tables = timed(lambda: build_tables(issues, changes), args.runs)
    t_derive, derived = timed(
        lambda: build_frames_from_tables(*tables, STATUSES, CONFIG, AS_OF), args.runs
    )
    t_loop, loop = timed(lambda: loop_lead_times(issues, changes, STATUSES), args.runs)
    t_vec, vec = timed(lambda: vector_lead_times(*tables, match_keys=False), args.runs)
    # as on the store path: categorical issue_key (coded while building that table), matched here
    store_like = build_change_table(changes)
    t_vec_keys, vec_keys = timed(
        lambda: vector_lead_times(tables[0], store_like, match_keys=True), args.runs
    )
    assert np.array_equal(vec.change_pos, vec_keys.change_pos), "issue_pos != key matching"

    # identical numbers: the loop vs the vectorised step vs the frames the pipeline built
    keys = tables[0]["key"].to_numpy()
    done = ~np.isnan(vec.lead_time_days)
    vector = {
        k: (lead, None if np.isnan(cyc) else cyc)
        for k, lead, cyc in zip(keys[done], vec.lead_time_days[done].tolist(),
                                vec.cycle_time_days[done].tolist(), strict=True)
    }  # fmt: skip
    assert vector == loop, "vectorised lead/cycle times differ from the loop"
    lead = frames.issues.loc[frames.issues["lead_time_days"].notna()]
    from_frames = dict(zip(lead["key"], lead["lead_time_days"].tolist(), strict=True))
    assert from_frames == {k: v[0] for k, v in loop.items()}, "frames differ from the loop"
    assert derived.issues["lead_time_days"].equals(frames.issues["lead_time_days"])
    print(f"lead and cycle times identical (loop == vectorised == frames): "
          f"{len(loop):,} completed issues")  # fmt: skip

    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    pipeline(issues, changes)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ratio = t_loop / t_vec
    print(f"full run (records -> frames + all metrics + ranking + summary): {t_pipe:.3f} s")
    print(f"  records -> plain tables: {t_tables:.3f} s; tables -> frames: {t_derive:.3f} s")
    print(f"lead times, per-issue Python loop over the records: {t_loop:.3f} s")
    print(f"lead times, vectorised over the plain tables, issue positions of the changes taken "
          f"from build_tables' issue_pos (key matching is done while building the tables, "
          f"timed in records -> tables, not here): {t_vec * 1000:.1f} ms -> {ratio:.1f}x")
    print(f"  including matching the change keys to the issue keys in the step (categorical "
          f"keys, as the store path does): {t_vec_keys * 1000:.1f} ms -> "
          f"{t_loop / t_vec_keys:.1f}x")
    print(f"  counting records -> tables against the vectorised side too: "
          f"{t_loop / (t_vec + t_tables):.2f}x (a store read as tables skips that step)")  # fmt: skip
    print(f"peak memory: pipeline allocations {peak / 2**20:.0f} MiB (tracemalloc); "
          f"process max RSS {rss_after:.0f} MiB (records alone {rss_before:.0f} MiB)")
    print(f"backlog: {summary['backlog']}; lead time p50 {summary['lead_time_days']['p50']:.2f} d")
    checks = {"<= 2 s": t_pipe <= 2.0, "<= 1 GB": rss_after <= 1024, ">= 20x": ratio >= 20}
    for name, ok in checks.items():
        print(f"target {name}: {'met' if ok else 'NOT met'}")
    print("targets:", "met" if all(checks.values()) else "NOT met")
    if args.store:
        bench_store(issues, changes, args.runs, frames)


if __name__ == "__main__":
    main()
