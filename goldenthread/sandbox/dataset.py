"""Seeded generator of a realistic internal-product backlog for the sandbox.

Deterministic for (seed, issues, months, now). Only `random.Random(seed)` drives choices; the
people, products and fields it draws from are the fixed constants of `catalogue`.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from goldenthread.sandbox.catalogue import (
    API_USER,
    BACKLOG_LABEL,
    COMPONENTS,
    EXTRA_OBJECTIVE,
    HOSTILE,
    OBJECTIVES,
    PROJECT_LABELS,
    PROJECTS,
    STAKEHOLDER_MANAGERS,
    TEAMS,
    USERS,
    build_fields,
    build_quarters,
)
from goldenthread.sandbox.model import STATUS_BY_NAME, History, HistoryItem, SandboxData, SandboxIssue, SandboxUser
from goldenthread.sandbox.titles import TitleDealer, build_release_note

_VERBS = ("Automate", "Simplify", "Add", "Fix", "Speed up", "Replace", "Audit", "Migrate", "Report on", "Self-serve")
_NOUNS = {
    "HR": ("payslip downloads", "onboarding checklist", "leave approvals", "offer letters", "interview scheduling"),
    "PROC": ("purchase order approvals", "supplier onboarding", "invoice matching", "spend reports", "contract renewals"),
    "ITSD": ("password resets", "laptop requests", "VPN access", "software catalogue", "access reviews"),
    "PLAT": ("deploy pipeline", "log retention", "SSO for internal apps", "on-call alerts", "secrets rotation"),
}


def _fmt_hostile(rng: random.Random, users: list[SandboxUser]) -> str:
    text = rng.choice(HOSTILE)
    return text.replace("{mention}", rng.choice(users).account_id)


def _path(rng: random.Random, outcome: str) -> tuple[str, list[str]]:
    """Initial status and the statuses it moves through, ending in the final one."""
    start = "Backlog" if rng.random() < 0.85 else "To Do"
    pre = ["To Do"] if start == "Backlog" else []
    if pre and rng.random() < 0.2:  # groomed back to the backlog once before being picked up
        pre += ["Backlog", "To Do"]
    if outcome == "backlog":
        return "Backlog", []
    if outcome == "todo":
        return start, pre
    if outcome == "wontdo":
        return start, [*pre[: rng.randint(0, len(pre))], *(["In Progress"] if rng.random() < 0.2 else []), "Won't Do"]
    work = ["In Progress"] + (["In Review"] if rng.random() < 0.8 else [])
    if len(work) == 2 and rng.random() < 0.35:  # review sent it back
        work += ["In Progress", "In Review"]
    if outcome == "inprogress":
        return start, [*pre, "In Progress"]
    if outcome == "inreview":
        return start, [*pre, "In Progress", "In Review"]
    if rng.random() < 0.06:  # skips every stage: To Do -> Done
        steps = [*pre, "Done"]
    else:
        steps = [*pre, *work, "Done"]
        if rng.random() < 0.2:  # reopened
            steps += ["In Progress", *(["In Review"] if rng.random() < 0.5 else []), "Done"]
    if outcome == "released":
        steps.append("Released")
    return start, steps


def _add_churn(rng: random.Random, start: str, steps: list[str], churn: float) -> list[str]:
    """Insert back-and-forth moves (X -> previous -> X) at random points; the final status stays."""
    loops = int(churn) + (1 if rng.random() < churn - int(churn) else 0)
    out = list(steps)
    for _ in range(loops):
        at = rng.randrange(len(out))  # after reaching out[at], go back to where it came from, then return
        back = out[at - 1] if at > 0 else start
        out[at + 1:at + 1] = [back, out[at]]
    return out


def _times(rng: random.Random, created: datetime, now: datetime, n: int) -> list[datetime]:
    gaps = [rng.expovariate(1 / (4.5 * 86400)) + 600 for _ in range(n)]
    room = (now - created).total_seconds() * 0.97
    scale = min(1.0, room / sum(gaps)) if gaps else 1.0
    out, t = [], created
    for g in gaps:
        t = t + timedelta(seconds=max(1.0, g * scale))
        out.append(t.replace(microsecond=0))
    return out


def _status_item(a: str, b: str) -> HistoryItem:
    return HistoryItem("status", "status", "jira", STATUS_BY_NAME[a].id, a, STATUS_BY_NAME[b].id, b)


def build_dataset(
    seed: int = 7,
    issues: int = 300,
    months: int = 12,
    now: datetime | None = None,
    distractor_share: float = 0.1,
    churn: float = 0.0,
    hostile: bool = False,
) -> SandboxData:
    """A backlog of `issues` issues (about `distractor_share` of them outside it) over `months`.

    `churn` adds that many back-and-forth moves per issue on average (sent back to the previous
    status and forward again: two status changes each); 0 keeps the default data set unchanged
    (~3.3 status changes per issue), 1.6 gives ~6 (the sync benchmark's workload).

    Titles read like a real company's (`titles`), all different. `hostile` mixes the HOSTILE
    corpus (markup, CDATA ends, wiki macros, mentions) into summaries and descriptions, for the
    tests of escaping; without it the same random draws are made and dropped, so the rest of the
    backlog is identical either way."""
    enabled = gc.isenabled()
    gc.disable()  # the generator allocates hundreds of thousands of long-lived objects: skip pointless GC passes
    try:
        return _generate(seed, issues, months, now, distractor_share, churn, hostile)
    finally:
        if enabled:
            gc.enable()


def _generate(seed: int, issues: int, months: int, now: datetime | None, distractor_share: float,
              churn: float, hostile: bool) -> SandboxData:
    now = (now or datetime.now(UTC).replace(hour=0, minute=0, second=0)).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    users = list(USERS)
    fields = build_fields(now)
    quarters = build_quarters(now)
    span = months * 30.4 * 86400
    counters = dict.fromkeys(PROJECTS, 0)
    epics: dict[str, list[str]] = {p: [] for p in PROJECTS}
    proj_keys = list(PROJECTS)
    out: list[SandboxIssue] = []
    hid = 10000
    texts: list[_Text] = []
    for n in range(issues):
        proj = proj_keys[rng.randrange(4)]
        counters[proj] += 1
        key = f"{proj}-{counters[proj]}"
        created = (now - timedelta(seconds=span * (1 - (n + rng.random()) / max(issues, 1)))).replace(microsecond=0)
        age_days = (now - created).days
        r = rng.random()
        itype = "Epic" if r < 0.05 else "Bug" if r < 0.25 else "Task" if r < 0.45 else "Story"
        rng.choice(_VERBS), rng.choice(_NOUNS[proj])  # the draws the old templated titles made
        # every hostile string appears at least once, whatever the seed (kept only when asked for)
        in_summary = (HOSTILE[n].replace("{mention}", users[n].account_id) if n < len(HOSTILE)
                      else _fmt_hostile(rng, users) if rng.random() < 0.12 else None)  # fmt: skip
        in_description = _fmt_hostile(rng, users) if rng.random() < 0.12 else None
        texts.append(_Text(in_summary, in_description) if hostile else _Text(None, None))
        summary = description = ""  # titled below, newest first
        o = rng.random() * (1.0 if age_days > 60 else 0.55)
        outcome = ("backlog" if o < 0.08 else "todo" if o < 0.2 else "inprogress" if o < 0.3 else "inreview"
                   if o < 0.35 else "wontdo" if o < 0.42 else "released" if o < 0.52 else "done")
        start, steps = _path(rng, outcome)
        reporter = rng.choice(users).username
        issue = SandboxIssue(n + 10001, key, proj, itype, summary, description, start, created, created,
                             priority=rng.choice(("Low", "Medium", "Medium", "High", "Highest")), reporter=reporter,
                             assignee=rng.choice(users).username if steps else None)
        distractor = rng.random() < distractor_share and n >= len(HOSTILE)
        issue.labels = [] if distractor else [BACKLOG_LABEL]
        if distractor and rng.random() < 0.5:
            issue.labels.append("internal-products")  # near-miss label the JQL must not match
        issue.labels += rng.sample(PROJECT_LABELS[proj], rng.randint(0, 2))
        issue.components = rng.sample(COMPONENTS[proj], rng.randint(0, 2))
        _fill_custom(rng, issue, proj, quarters, users, epics[proj], outcome)
        texts[-1].shipped = outcome in ("done", "released")
        if itype == "Epic":
            epics[proj].append(key)
        if outcome in ("done", "released") and rng.random() < 0.05:
            issue.status = steps[-1]  # imported already Done: no changelog, only a resolution date
            resolved = min(now, created + timedelta(days=rng.randint(1, 20)))
            issue.resolution, issue.resolution_date, issue.updated = "Done", resolved, resolved
            out.append(issue)
            continue
        if churn > 0 and steps:
            steps = _add_churn(rng, start, steps, churn)
        times = _times(rng, created, now, len(steps))
        prev = start
        author = issue.assignee or reporter
        for st, at in zip(steps, times, strict=True):
            items = [_status_item(prev, st)]
            if STATUS_BY_NAME[st].category == "done" and STATUS_BY_NAME[prev].category != "done":
                res = "Won't Do" if st == "Won't Do" else "Done"
                items.append(HistoryItem("resolution", "resolution", "jira", None, None, "10000", res))
                issue.resolution, issue.resolution_date = res, at
            elif STATUS_BY_NAME[prev].category == "done" and STATUS_BY_NAME[st].category != "done":
                items.append(HistoryItem("resolution", "resolution", "jira", "10000", issue.resolution, None, None))
                issue.resolution, issue.resolution_date = None, None
            hid += 1
            issue.histories.append(_hist(hid, author, at, items))
            prev = st
        if steps and rng.random() < 0.3:  # a non-status edit the fieldIds filter must drop
            at = times[0] - timedelta(seconds=rng.randint(60, 3600))
            old, new = rng.choice((1, 2, 3)), issue.custom.get("customfield_10103", 5)
            hid += 1
            issue.histories.insert(0, _hist(hid, reporter, max(at, created + timedelta(seconds=1)), [
                HistoryItem("Story Points", "customfield_10103", "custom", None, str(old), None, str(new))]))
        issue.status = prev
        issue.updated = times[-1] if steps else created
        out.append(issue)
    _title_backlog(out, texts, seed)
    return SandboxData(users=users, api_user=API_USER, stakeholder_managers=list(STAKEHOLDER_MANAGERS),
                       fields=fields, projects=dict(PROJECTS), components=dict(COMPONENTS), issues=out, now=now)


@dataclass
class _Text:
    """What one issue's text gets besides its title: hostile extras (None when off or not drawn)."""

    in_summary: str | None
    in_description: str | None
    shipped: bool = False


def _title_backlog(issues: list[SandboxIssue], texts: list[_Text], seed: int) -> None:
    """Titles, descriptions and release notes, dealt newest issue first: the recent work a reader
    sees first gets the plain titles, older work the qualified ones (`titles.TitleDealer`)."""
    titles = TitleDealer(seed)
    notes = random.Random(seed * 31 + 5)  # own streams: the backlog's draws stay what they were
    for issue, text in zip(reversed(issues), reversed(texts), strict=True):
        title = titles.deal(issue.project, fix=issue.issue_type == "Bug")
        product = PROJECTS[issue.project]
        issue.summary = f"{title}: {text.in_summary}" if text.in_summary else title
        issue.description = (f"{title}.\n\nAsked for by the {product} users; the {TEAMS[issue.project]} team "
                             "will confirm the scope before starting.")
        if text.in_description:
            issue.description += "\n\n" + text.in_description
        if text.shipped and notes.random() < 0.6:
            issue.custom["customfield_10113"] = build_release_note(notes, title, product)


def _hist(hid: int, author: str, at: datetime, items: list[HistoryItem]) -> History:
    return History(hid, author, at, tuple(items))


def _fill_custom(rng: random.Random, issue: SandboxIssue, proj: str, quarters: tuple[str, ...],
                 users: list[SandboxUser], epics: list[str], outcome: str) -> None:
    c = issue.custom
    if rng.random() > 0.08:
        c["customfield_10100"] = rng.choice((10, 25, 50, 120, 300, 800, 2000, 5000))
    if rng.random() > 0.08:
        c["customfield_10101"] = rng.choice((0.25, 0.5, 1, 2, 3))
    if rng.random() > 0.05:
        c["customfield_10102"] = rng.choice((0.5, 0.8, 1.0)) if rng.random() < 0.15 else rng.choice((50, 80, 80, 100))
    if rng.random() > 0.06:
        c["customfield_10103"] = 0 if rng.random() < 0.04 else rng.choice((1, 2, 3, 5, 8, 13))
    for fid in ("customfield_10104", "customfield_10105", "customfield_10106"):
        if rng.random() > 0.1:
            c[fid] = rng.choice((1, 2, 3, 5, 8, 13, 20))
    if rng.random() > 0.15:
        c["customfield_10107"] = OBJECTIVES[proj] if rng.random() < 0.8 else EXTRA_OBJECTIVE
    stake = rng.sample(users, rng.randint(0, 3))
    if stake:
        c["customfield_10108"] = [u.username for u in stake]
    if rng.random() > 0.2:
        c["customfield_10109"] = rng.choice(quarters)
    c["customfield_10110"] = TEAMS[proj]
    if outcome in ("done", "released") and rng.random() < 0.5:
        c["customfield_10111"] = round(rng.uniform(0.1, 1.0), 2) if rng.random() < 0.6 else rng.randint(10, 100)
        c["customfield_10112"] = rng.randint(-40, 90)
    if rng.random() < 0.3:
        c["customfield_10016"] = rng.choice(("S", "M", "L", "3"))
    if epics and issue.issue_type != "Epic" and rng.random() < 0.4:
        c["customfield_10014"] = rng.choice(epics)
    if rng.random() < 0.2:
        c["customfield_10120"] = rng.randint(1, 100)
