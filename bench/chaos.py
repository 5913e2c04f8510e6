"""Chaos bench: SIGKILLs and faults against the sandbox, compared with a fault-free run.

    .venv/bin/python bench/chaos.py [--kills 5] [--issues 300] [--events 400] [--backends sqlite,postgresql]

For each store backend, against the bundled sandbox (this process, loopback), every run a real
`goldenthread` child process as an admin would start it:

- reference: `sync --full`, `publish`, `report monthly`, untouched: the figures to equal;
- kills: N SIGKILLs at random moments of `sync --full`, then of `publish` (each killed run
  started again at once, until one finishes), then `report monthly`;
- faults: `sync --full`, `publish`, `report monthly` with 20% of the sandbox's requests faulted,
  every kind (429, 503, 500, a dropped connection, and a write that landed but whose answer was
  lost), each run again until it exits 0;
- serve: `goldenthread serve` under a stream of signed status-change webhooks (each redelivered
  until acknowledged, as Jira does), SIGKILLed N times at random moments and restarted at once.

Printed: runs, kills, faults injected, events accepted vs applied, and whether the final store
(issues, status histories, `metrics --format json`) and the pages (content hash, charts, page
and chart versions) equal the reference's. Targets: 0 lost, 0 duplicated, identical figures and
pages, and after a kill of serve (restarted at once) the events it held, and every event waiting
at the kill, applied within 10 s of the kill.
Each phase has its own sandbox (same seed, same fixed clock) and its own store.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from math import inf
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from goldenthread.cli.demo import _demo_people, build_demo_config  # noqa: E402
from goldenthread.sandbox import RunningSandbox, SandboxState, start_sandbox  # noqa: E402
from goldenthread.sandbox.faults import FaultKind  # noqa: E402
from goldenthread.sandbox.jira_render import render_history, render_user  # noqa: E402
from goldenthread.sandbox.model import STATUS_BY_NAME, HistoryItem  # noqa: E402
from goldenthread.sandbox.outcomes import build_kpi_csv, build_survey_json  # noqa: E402
from goldenthread.sync.store import Store  # noqa: E402
from goldenthread.sync.store.inbox import load_events  # noqa: E402
from goldenthread.webhooks.signature import build_signature  # noqa: E402

PG = os.environ.get("GOLDENTHREAD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "chaos-secret-5f1c0e2b"
KINDS: tuple[FaultKind, ...] = ("429", "503", "500", "drop", "lost")
# every status has a next one (a finished issue is reopened), so any number of webhooks finds an issue to move
NEXT = {"Backlog": "To Do", "To Do": "In Progress", "In Progress": "In Review", "In Review": "Done",
        "Done": "To Do", "Released": "To Do", "Won't Do": "To Do"}


# --- one environment: a sandbox, a store, a config --------------------------------------------

@dataclass
class Env:
    name: str
    sb: RunningSandbox
    state: SandboxState
    db_url: str
    dir: Path
    schema: str | None = None
    runs: int = 0
    kills: int = 0
    notes: list[str] = field(default_factory=list)

    def environ(self) -> dict[str, str]:
        sb = self.sb
        return {**os.environ, "JIRA_URL": sb.jira_url, "JIRA_USER": sb.user, "JIRA_TOKEN": sb.token,
                "CONFLUENCE_URL": sb.confluence_url, "CONFLUENCE_USER": sb.user, "CONFLUENCE_TOKEN": sb.token,
                "GOLDENTHREAD_DATABASE_URL": self.db_url, "GOLDENTHREAD_CONFIG": str(self.dir / "goldenthread.yaml"),
                "GOLDENTHREAD_WEBHOOK_SECRET": SECRET}


def make_env(name: str, backend: str, args: argparse.Namespace, now: datetime, base: Path) -> Env:
    clock = lambda: now  # noqa: E731 - every write the sandbox stamps, stamped alike in every phase
    state = SandboxState.build(seed=args.seed, issues=args.issues, now=now, clock=clock)
    # one port for every phase (one sandbox at a time): issue and page links carry the site's URL
    sb = start_sandbox(state, port=args.port)
    d = base / name
    d.mkdir(parents=True)
    people, rules = _demo_people()
    (d / "goldenthread.yaml").write_text(build_demo_config(people, rules, now), encoding="utf-8")
    (d / "kpis.csv").write_text(build_kpi_csv(now, args.seed), encoding="utf-8")
    (d / "survey.json").write_text(build_survey_json(now, args.seed), encoding="utf-8")
    if backend == "sqlite":
        return Env(name, sb, state, f"sqlite:///{d / 'gt.db'}", d)
    from sqlalchemy import create_engine, text

    schema = f"gt_chaos_{uuid.uuid4().hex[:10]}"
    eng = create_engine(PG)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    sep = "&" if "?" in PG else "?"
    return Env(name, sb, state, f"{PG}{sep}options=-csearch_path%3D{schema}", d, schema)


def drop_env(env: Env) -> None:
    env.sb.stop()
    if env.schema:
        from sqlalchemy import create_engine, text

        eng = create_engine(PG)
        with eng.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{env.schema}" CASCADE'))
        eng.dispose()


def run_cli(env: Env, args: list[str], kill_after: float | None = None) -> tuple[int, float, bool]:
    """One `goldenthread` child process; SIGKILLed after `kill_after` seconds if still running."""
    started = time.monotonic()
    with (env.dir / "runs.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "goldenthread", *args], env=env.environ(), cwd=env.dir,
                                stdout=log, stderr=subprocess.STDOUT)
    env.runs += 1
    try:
        proc.wait(timeout=kill_after)
        return proc.returncode, time.monotonic() - started, False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        env.kills += 1
        return -9, time.monotonic() - started, True
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_until_ok(env: Env, args: list[str], limit: int = 30) -> float:
    """Run until it exits 0 (a run that fails under faults is simply run again, as cron would)."""
    for _ in range(limit):
        rc, took, _ = run_cli(env, args)
        if rc == 0:
            return took
    raise SystemExit(f"{env.name}: `goldenthread {' '.join(args)}` never exited 0 in {limit} runs; see {env.dir}/runs.log")


# --- what a run leaves: store figures and pages ---------------------------------------------

def snapshot(env: Env, as_of: str, month: str) -> dict[str, Any]:
    store = Store.open(env.db_url)
    try:
        issues = store.load_issues(include_removed=True)
        changes = store.load_status_changes()
    finally:
        store.close()
    metrics = subprocess.run([sys.executable, "-m", "goldenthread", "metrics", "--format", "json", "--as-of", as_of],
                             env=env.environ(), cwd=env.dir, capture_output=True, text=True, check=True).stdout
    pages = {}
    home = {"Internal product management", "Internal products"}
    for p in env.state.confluence.pages.values():
        if p.title in home or p.status != "current":
            continue
        prop = next((pp.value for pp in p.properties.values() if pp.key == "goldenthread"), None)
        chart_hashes = {a.title: hashlib.sha256(a.data).hexdigest()[:16] for a in p.attachments.values()}
        pages[p.title] = {"hash": (prop or {}).get("hash") if isinstance(prop, dict) else None,
                          "charts": chart_hashes, "version": p.version,
                          "chart_versions": {a.title: a.version for a in p.attachments.values()}}
    return {"issues": issues, "changes": changes, "metrics": json.loads(metrics), "pages": pages, "month": month}


def _restamped(ref: Any, got: Any, stamp: datetime) -> bool:
    """Equal but for `updated`, which Jira set to the stamp of a write: goldenthread's own stakeholder
    write-back, landed, then re-read by the sync that ran after the kill or fault. The reference
    stores the issue as it read it before writing, until its next sync (a write's answer carries no
    `updated`); so this is Jira seen later, not a difference in what goldenthread keeps."""
    return got.updated == stamp and ref.updated < stamp and replace(got, updated=ref.updated) == ref


def tally(ref: dict[str, Any], got: dict[str, Any], stamp: datetime) -> dict[str, int]:
    """Issues and status changes lost, extra, duplicated, differing; issues only re-stamped."""
    ref_issues = {i.key: i for i in ref["issues"]}
    got_issues = {i.key: i for i in got["issues"]}
    both = set(ref_issues) & set(got_issues)
    restamped = {k for k in both if ref_issues[k] != got_issues[k] and _restamped(ref_issues[k], got_issues[k], stamp)}
    ref_changes, got_changes = Counter(ref["changes"]), Counter(got["changes"])
    return {"issues_lost": len(set(ref_issues) - set(got_issues)), "issues_extra": len(set(got_issues) - set(ref_issues)),
            "issues_differ": sum(1 for k in both if ref_issues[k] != got_issues[k]) - len(restamped),
            "issues_restamped": len(restamped),
            "changes_lost": sum((ref_changes - got_changes).values()),
            "changes_extra": sum((got_changes - ref_changes).values()),
            "changes_duplicated": sum(n - 1 for n in got_changes.values() if n > 1)}


def compare(ref: dict[str, Any], got: dict[str, Any], stamp: datetime, *, versions: bool = True) -> list[str]:
    """What differs from the reference ([] = identical)."""
    out = []
    ref_issues = {i.key: i for i in ref["issues"]}
    got_issues = {i.key: i for i in got["issues"]}
    lost = sorted(set(ref_issues) - set(got_issues))
    extra = sorted(set(got_issues) - set(ref_issues))
    differ = sorted(k for k in set(ref_issues) & set(got_issues)
                    if ref_issues[k] != got_issues[k] and not _restamped(ref_issues[k], got_issues[k], stamp))
    if lost or extra or differ:
        out.append(f"issues: {len(lost)} lost, {len(extra)} extra, {len(differ)} differ {(lost + extra + differ)[:5]}")
    if ref["changes"] != got["changes"]:
        t = tally(ref, got, stamp)
        out.append(f"status changes: {len(ref['changes'])} vs {len(got['changes'])} ({t['changes_lost']} lost, "
                   f"{t['changes_extra']} extra, {t['changes_duplicated']} duplicated)")
    if ref["metrics"] != got["metrics"]:
        keys = [k for k in ref["metrics"] if ref["metrics"].get(k) != got["metrics"].get(k)]
        out.append(f"metrics differ in {keys}")
    if set(ref["pages"]) != set(got["pages"]):
        out.append(f"page titles differ: {sorted(set(ref['pages']) ^ set(got['pages']))}")
    for title in sorted(set(ref["pages"]) & set(got["pages"])):
        a, b = ref["pages"][title], got["pages"][title]
        if (a["hash"], a["charts"]) != (b["hash"], b["charts"]):
            out.append(f"page {title!r}: content differs")
        elif versions and (a["version"], a["chart_versions"]) != (b["version"], b["chart_versions"]):
            out.append(f"page {title!r}: versions {b['version']} {b['chart_versions']} vs reference "
                       f"{a['version']} {a['chart_versions']} (an extra write)")
    return out


def describe(ref: dict[str, Any], got: dict[str, Any], stamp: datetime) -> str:
    t = tally(ref, got, stamp)
    return (f"issues {t['issues_lost']} lost, {t['issues_extra']} extra, {t['issues_differ']} differ "
            f"({t['issues_restamped']} only re-stamped by Jira for goldenthread's own write-back); status changes "
            f"{t['changes_lost']} lost, {t['changes_extra']} extra, {t['changes_duplicated']} duplicated")


# --- the phases -----------------------------------------------------------------------------

def phase_reference(env: Env, month: str) -> dict[str, float]:
    took = {}
    for name, cmd in (("sync", ["sync", "--full"]), ("publish", ["publish"]),
                      ("report", ["report", "monthly", "--month", month])):
        rc, took[name], _ = run_cli(env, cmd)
        if rc != 0:
            raise SystemExit(f"reference `{' '.join(cmd)}` exited {rc}; see {env.dir}/runs.log")
    return took


def phase_kills(env: Env, durations: dict[str, float], kills: int, rng: random.Random, month: str) -> list[float]:
    reruns = []
    for name, cmd in (("sync", ["sync", "--full"]), ("publish", ["publish"])):
        estimate, landed = durations[name], 0
        for _ in range(3 * kills):  # N kills that land, not N attempts
            if landed == kills:
                break
            # a random moment of the run; a run that finished first is simply a run without a kill,
            # and later runs are timed on it (a rerun can be quicker than the reference was)
            rc, took, killed = run_cli(env, cmd, kill_after=rng.uniform(0.05, 0.95) * estimate)
            landed += killed
            if not killed and rc == 0:
                estimate = min(estimate, took)
        reruns.append(run_until_ok(env, cmd))
    run_until_ok(env, ["report", "monthly", "--month", month])
    return reruns


def phase_faults(env: Env, rate: float, month: str) -> dict[str, int]:
    faults = env.state.faults
    faults.random_kinds, faults.random_path_prefix, faults.probability = KINDS, "", rate
    try:
        for cmd in (["sync", "--full"], ["publish"], ["report", "monthly", "--month", month]):
            run_until_ok(env, cmd)
    finally:
        faults.probability = 0.0
    return dict(faults.injected)


# --- serve under load -------------------------------------------------------------------------

def judge(env: Env, ref: dict[str, Any], as_of: str, month: str, now: datetime, headline: str) -> bool:
    """Snapshot `env` after its phase, stop its sandbox, print `headline` with what differs from
    the fault-free reference; True when store, figures and pages equal the reference's."""
    got = snapshot(env, as_of, month)
    diff = compare(ref, got, now)
    env.sb.stop()
    print(f"{headline}; {describe(ref, got, now)}; store, figures and pages equal to reference: "
          f"{'yes' if not diff else 'NO'}")
    for line in diff:
        print(f"    {line}")
    return not diff


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Load:
    """Status changes made in the sandbox's Jira, each delivered as Jira's webhook until acknowledged."""

    def __init__(self, env: Env, port: int, events: int, rng: random.Random) -> None:
        self.env, self.port, self.events, self.rng = env, port, events, rng
        self.accepted: dict[str, float] = {}  # webhook id -> when it was acknowledged (monotonic)
        self.redeliveries = 0
        self.done = threading.Event()

    def _change(self, i: int) -> bytes:
        st = self.env.state
        data = st.data
        issue = self.rng.choice(data.backlog_issues())
        old, new = STATUS_BY_NAME[issue.status], STATUS_BY_NAME[NEXT[issue.status]]
        at = data.now + timedelta(seconds=i + 1)
        author = self.rng.choice(data.users)
        items = [HistoryItem("status", "status", "jira", old.id, old.name, new.id, new.name)]
        if new.category == "done":
            items.append(HistoryItem("resolution", "resolution", "jira", None, None, "10000", "Done"))
            issue.resolution, issue.resolution_date = "Done", at
        elif issue.resolution:
            items.append(HistoryItem("resolution", "resolution", "jira", "10000", issue.resolution, None, None))
            issue.resolution, issue.resolution_date = None, None
        history = data.add_history(issue, author.username, at, tuple(items))
        issue.status, issue.updated = new.name, max(issue.updated, at)
        st.bump()
        url = self.env.sb.url
        raw = httpx.get(f"{url}/rest/api/2/issue/{issue.key}", auth=(st.user, st.token), timeout=30).json()
        rendered = render_history(history, issue, data, "cloud2", url)
        payload = {"timestamp": int(at.timestamp() * 1000), "webhookEvent": "jira:issue_updated",
                   "issue_event_type_name": "issue_generic", "user": render_user(author, "cloud2", url),
                   "issue": raw, "changelog": {"id": rendered["id"] if rendered else "0",
                                               "items": rendered["items"] if rendered else []}}
        return json.dumps(payload).encode()

    def run(self) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=5) as client:
            for i in range(self.events):
                body, ident = self._change(i), f"chaos-{i}"
                headers = {"Content-Type": "application/json", "X-Hub-Signature": build_signature(SECRET, body),
                           "X-Atlassian-Webhook-Identifier": ident}
                while True:  # Jira redelivers what was not acknowledged
                    try:
                        if client.post("/webhooks/jira", content=body, headers=headers).status_code == 202:
                            self.accepted[ident] = time.monotonic()
                            break
                    except httpx.HTTPError:
                        pass
                    self.redeliveries += 1
                    time.sleep(0.05)
                time.sleep(self.rng.uniform(0.0, 0.05))
        self.done.set()


def _start_serve(env: Env, port: int) -> subprocess.Popen[bytes]:
    with (env.dir / "serve.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "goldenthread", "serve", "--port", str(port)],
                                env=env.environ(), cwd=env.dir, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"serve did not start; see {env.dir}/serve.log")


def _inbox(env: Env) -> list[dict[str, Any]]:
    store = Store.open(env.db_url)
    try:
        return load_events(store)
    finally:
        store.close()


def _unapplied(env: Env, ids: set[int] | None = None) -> int:
    """Events not applied yet (pending or processing), of `ids` when given."""
    return sum(1 for r in _inbox(env) if r["status"] in ("pending", "processing") and (ids is None or r["id"] in ids))


@dataclass
class Recovery:
    """One kill of serve: what it held and how long (from the kill) until serve was back and
    until they were applied; None: not within 180 s."""

    held: int  # claimed (processing) by the killed process
    waiting: int  # pending or processing at the kill
    restart_s: float
    in_flight_s: float | None = None
    waiting_s: float | None = None


def phase_serve(env: Env, events: int, kills: int, rng: random.Random) -> dict[str, Any]:
    run_until_ok(env, ["sync", "--full"])
    port = _free_port()
    proc = _start_serve(env, port)
    load = Load(env, port, events, rng)
    feeder = threading.Thread(target=load.run, daemon=True)
    feeder.start()
    recoveries: list[Recovery] = []
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.5, 3.0))
            if load.done.is_set():
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = time.monotonic()  # recovery counts serve's start-up too: a restart is part of it
            env.kills += 1
            rows = _inbox(env)
            held = {r["id"] for r in rows if r["status"] == "processing"}
            waiting = {r["id"] for r in rows if r["status"] in ("pending", "processing")}
            proc = _start_serve(env, port)
            rec = Recovery(len(held), len(waiting), time.monotonic() - killed)
            # recovered: the events the killed process held are applied (or failed, visibly);
            # then everything that was waiting at the kill
            while (rec.in_flight_s is None or rec.waiting_s is None) and time.monotonic() - killed < 180:
                now = time.monotonic() - killed
                if rec.in_flight_s is None and not _unapplied(env, held):
                    rec.in_flight_s = now
                if rec.waiting_s is None and not _unapplied(env, waiting):
                    rec.waiting_s = now
                time.sleep(0.1)
            recoveries.append(rec)
        feeder.join(600)
        deadline = time.monotonic() + 120
        while _unapplied(env) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
    store = Store.open(env.db_url)
    try:
        rows = load_events(store)
    finally:
        store.close()
    ids = [r["dedupe_key"].removeprefix("id:") for r in rows if r["dedupe_key"].startswith("id:chaos-")]
    applied = sum(1 for r in rows if r["dedupe_key"].startswith("id:chaos-") and r["status"] in ("done", "ignored"))
    failed = [r["error"] for r in rows if r["status"] == "failed"]
    return {"accepted": len(load.accepted), "stored": len(set(ids)), "lost": len(set(load.accepted) - set(ids)),
            "duplicate_rows": len(ids) - len(set(ids)), "applied": applied, "failed": len(failed),
            "failed_reasons": failed[:3], "redeliveries": load.redeliveries, "recoveries": recoveries,
            "port": port}


# --- main -----------------------------------------------------------------------------------

def _spread(xs: list[float]) -> str:
    return f"(median {statistics.median(xs):.1f} s, max {max(xs):.1f} s)" if xs else "-"


def _secs(x: float | None) -> str:
    return "never (180 s)" if x is None else f"{x:.1f} s"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=5, help="SIGKILLs per command and per serve phase")
    ap.add_argument("--issues", type=int, default=300)
    ap.add_argument("--events", type=int, default=400, help="webhooks delivered to serve")
    ap.add_argument("--fault-rate", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    args.port = _free_port()
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    as_of = now.isoformat().replace("+00:00", "Z")
    month = f"{now.year - (now.month == 1):04d}-{(now.month - 2) % 12 + 1:02d}"
    print(f"chaos: {args.issues} issues, {args.kills} kills per phase, {args.events} webhooks, "
          f"{args.fault_rate:.0%} faults of kinds {', '.join(KINDS)}; load average {_load()}")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="gt-chaos-") as tmp:
        for backend in args.backends.split(","):
            base = Path(tmp) / backend
            envs: list[Env] = []
            try:
                ref_env = make_env("reference", backend, args, now, base)
                envs.append(ref_env)
                took = phase_reference(ref_env, month)
                ref = snapshot(ref_env, as_of, month)
                ref_env.sb.stop()
                print(f"\n[{backend}] reference: sync {took['sync']:.1f} s, publish {took['publish']:.1f} s, "
                      f"report {took['report']:.1f} s; {len(ref['issues'])} issues, {len(ref['changes'])} status "
                      f"changes, {len(ref['pages'])} pages")

                kill_env = make_env("kills", backend, args, now, base)
                envs.append(kill_env)
                reruns = phase_kills(kill_env, took, args.kills, rng, month)
                verdicts.append(judge(kill_env, ref, as_of, month, now, (
                    f"[{backend}] kills: {kill_env.runs} runs, {kill_env.kills} SIGKILLed (sync, then publish); the run "
                    f"after the kills took sync {reruns[0]:.1f} s, publish {reruns[1]:.1f} s")))

                fault_env = make_env("faults", backend, args, now, base)
                envs.append(fault_env)
                injected = phase_faults(fault_env, args.fault_rate, month)
                verdicts.append(judge(fault_env, ref, as_of, month, now, (
                    f"[{backend}] faults: {fault_env.runs} runs to finish sync, publish and report; "
                    f"faults injected {sum(injected.values())} {injected}")))

                serve_env = make_env("serve", backend, args, now, base)
                envs.append(serve_env)
                got = phase_serve(serve_env, args.events, args.kills, rng)
                # the same Jira, synced fresh and published once: what the serve store must equal
                serve_env.sb.stop()  # its port, for a moment: the fresh env's sandbox is replaced by serve's
                fresh = make_env("serve-fresh", backend, args, now, base)
                envs.append(fresh)
                fresh.sb.stop()
                serve_env.sb = start_sandbox(serve_env.state, port=args.port)
                fresh.sb, fresh.state = serve_env.sb, serve_env.state
                run_until_ok(fresh, ["sync", "--full"])
                mine = snapshot(serve_env, as_of, month)
                theirs = snapshot(fresh, as_of, month)
                diff = [d for d in compare(theirs, mine, now, versions=False) if not d.startswith("page")]
                recs: list[Recovery] = got["recoveries"]
                # a kill that caught nothing in flight has no in-flight recovery to measure
                in_flight = [inf if r.in_flight_s is None else r.in_flight_s for r in recs if r.held]
                waiting = [inf if r.waiting_s is None else r.waiting_s for r in recs]
                worst = max(in_flight + waiting, default=0.0)
                # pages: a publish from the fresh store into the same Confluence must find every page as
                # it would write it (serve's debounced publisher, finished by one publish of its own store)
                run_until_ok(serve_env, ["publish"])
                writes = serve_env.state.stats.writes
                run_until_ok(fresh, ["publish"])
                page_writes = serve_env.state.stats.writes - writes
                if page_writes:
                    diff.append(f"a publish of the fresh store wrote {page_writes} time(s): pages differ")
                ok = (not diff and got["lost"] == 0 and got["duplicate_rows"] == 0 and got["failed"] == 0
                      and got["applied"] == got["accepted"] and worst <= 10)
                print(f"[{backend}] serve: {got['accepted']} webhooks accepted ({got['redeliveries']} redeliveries "
                      f"while it was down), {got['stored']} stored, {got['applied']} applied, {got['failed']} failed, "
                      f"{got['lost']} lost, {got['duplicate_rows']} duplicated; {serve_env.kills} SIGKILLs, each "
                      f"restarted at once; from the kill: serve back in {_spread([r.restart_s for r in recs])}, "
                      f"the events in flight at the kill applied in {_spread(in_flight)} "
                      f"({sum(1 for r in recs if r.held)} kills caught any: "
                      f"{', '.join(f'{r.held} in {_secs(r.in_flight_s)}' for r in recs if r.held) or '-'}), "
                      f"everything waiting at the kill applied in {_spread(waiting)} "
                      f"({', '.join(f'{r.waiting} in {_secs(r.waiting_s)}' for r in recs) or '-'}); "
                      f"store and pages equal to a fresh sync of the same Jira: {'yes' if not diff else 'NO'}")
                for line in diff + [f"    failed: {r}" for r in got["failed_reasons"]]:
                    print(f"    {line}")
                verdicts.append(ok)
            finally:
                for env in envs:
                    try:
                        drop_env(env)
                    except Exception as exc:  # noqa: BLE001 - cleaning up a bench: say so, go on
                        print(f"    (cleanup of {env.name}: {exc})")
    print(f"\nload average {_load()}; targets (0 lost, 0 duplicated, identical figures and pages, "
          f"recovery <= 10 s): {'met' if all(verdicts) else 'NOT met'}")


if __name__ == "__main__":
    main()
