"""`serve` end to end, in-process: the sandbox (Jira + Confluence Cloud) on loopback, a real store
(SQLite and PostgreSQL), the real FastAPI app, the real worker with the live handlers and the real
debounced publisher. Nothing runs in the background: every worker/publisher step is driven by
hand and the debounce window is crossed by moving an injected clock.

Webhook payloads are built the way Jira builds them: the issue as `GET /rest/api/2/issue/KEY`
returns it, the acting user, and the changelog of the change just made in the sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.sync.context import AppContext
from goldenthread.cli.demo import _demo_people, build_demo_config
from goldenthread.sync.jira.ingest import run_sync
from goldenthread.sync.confluence.publisher import publish_pages
from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sandbox.jira_render import render_history, render_user
from goldenthread.sandbox.model import STATUS_BY_NAME, History, HistoryItem, SandboxUser
from goldenthread.sync.settings import Settings
from goldenthread.webhooks.app import AppDeps, create_app
from goldenthread.sync.store.inbox import LIVE_PAGES, load_events
from goldenthread.webhooks.live import LiveJira, LivePublisher
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.server import Services, build_services
from tests.webhooks.helpers import SECRET, load_fixture, signed

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
DEBOUNCE = timedelta(seconds=30)


class Clock:
    """One wall clock for the sandbox (write timestamps), the store, the worker and the publisher."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class HookReporter:
    """A progress reporter that runs `hook` once when a publish starts (after the pages were
    rendered, before any is recorded): the seam the race test uses to land a change mid-publish."""

    def __init__(self) -> None:
        self.hook: Any = None

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Any]:
        hook, self.hook = self.hook, None
        if hook is not None and description == "publish":
            hook()

        class _Task:
            def advance(self, n: int = 1, total: int | None = None) -> None:
                pass

        yield _Task()


@dataclass
class Rig:
    state: SandboxState
    ctx: AppContext
    clock: Clock
    sandbox: httpx.Client  # to the sandbox, as a person editing in Jira would
    app: TestClient
    services: Services
    reporter: HookReporter
    deliveries: int = 0

    # --- sandbox side ------------------------------------------------------------------------
    def jira_requests(self) -> int:
        return sum(n for k, n in self.state.stats.requests.items() if " /rest/api/" in k)

    def confluence_writes(self) -> int:
        return sum(n for k, n in self.state.stats.writes_by.items() if k.startswith("confluence."))

    def page(self, title: str) -> Any:
        return next(p for p in self.state.confluence.pages.values() if p.title == title and p.status == "current")

    def versions(self) -> dict[str, int]:
        return {k: self.page(self.title(k)).version for k in LIVE_PAGES}

    def title(self, page_key: str) -> str:
        publish = self.ctx.config.publish
        return {"roadmap": publish.roadmap, "whats_new": publish.whats_new, "goals": publish.goals}[page_key]

    def shows(self, page_key: str, issue_key: str) -> bool:
        return re.search(rf"\b{re.escape(issue_key)}(?!\d)", self.page(self.title(page_key)).body) is not None

    def user(self, username: str) -> SandboxUser:
        return self.state.data.users_by_name[username]

    # --- webhooks ---------------------------------------------------------------------------
    def webhook(self, event: str, key: str, user: SandboxUser, history: History | None) -> dict[str, Any]:
        base = str(self.sandbox.base_url).rstrip("/")
        issue = self.sandbox.get(f"/rest/api/2/issue/{key}").json()
        at = history.created if history else self.clock()
        payload: dict[str, Any] = {
            "timestamp": int(at.timestamp() * 1000),
            "webhookEvent": event,
            "issue_event_type_name": {"jira:issue_deleted": "issue_deleted"}.get(event, "issue_generic"),
            "user": render_user(user, "cloud2", base),
            "issue": issue,
        }
        if history is not None:
            sandbox_issue = self.state.data.by_key[key]
            rendered = render_history(history, sandbox_issue, self.state.data, "cloud2", base)
            assert rendered is not None
            payload["changelog"] = {"id": rendered["id"], "items": rendered["items"]}
        return payload

    def post(self, payload: dict[str, Any], ident: str | None = None) -> httpx.Response:
        body = json.dumps(payload).encode()
        if ident is None:
            self.deliveries += 1
            ident = f"delivery-{self.deliveries}"
        return self.app.post("/webhooks/jira", content=body, headers=signed(body, SECRET, ident))

    # --- serve's background steps, driven by hand ---------------------------------------------
    def work(self) -> int:
        total = 0
        while n := self.services.workers[0].run_once():
            total += n
        return total

    def publish_due(self) -> list[str]:
        assert self.services.publisher is not None
        return self.services.publisher.run_once()


def move_issue(state: SandboxState, key: str, to: str, author: str, at: datetime) -> History:
    """A person transitions the issue in Jira: status (and resolution into Done), updated, history."""
    issue = state.data.by_key[key]
    before, after = STATUS_BY_NAME[issue.status], STATUS_BY_NAME[to]
    items = [HistoryItem("status", "status", "jira", before.id, before.name, after.id, after.name)]
    if after.category == "done":
        items.append(HistoryItem("resolution", "resolution", "jira", None, None, "10000", "Done"))
        issue.resolution, issue.resolution_date = "Done", at
    issue.status, issue.updated = to, at
    history = state.data.add_history(issue, author, at, tuple(items))
    state.bump()
    return history


def delete_issue(state: SandboxState, key: str) -> None:
    state.data.issues.remove(state.data.by_key[key])
    state.data.reindex()
    state.bump()


@contextmanager
def rig(store_url: str) -> Iterator[Rig]:
    clock = Clock()
    # hostile: every page the rig publishes carries the escaping corpus, which the sandbox's
    # Confluence refuses unless it is well-formed storage
    state = SandboxState.build(seed=7, issues=40, now=NOW, clock=clock, hostile=True)
    people, rules = _demo_people()
    config, lines = parse_config(build_demo_config(people, rules, NOW), "goldenthread.yaml")
    reporter = HookReporter()
    with start_sandbox(state) as sb:
        settings = Settings(
            jira_url=sb.jira_url, jira_user=sb.user, jira_token=SecretStr(sb.token),
            confluence_url=sb.confluence_url, confluence_user=sb.user, confluence_token=SecretStr(sb.token),
            goldenthread_database_url=store_url, goldenthread_webhook_secret=SecretStr(SECRET),
        )
        ctx = AppContext(settings=settings, config=config, lines=lines, clock=clock, reporter=reporter)
        try:
            # what an admin does before turning webhooks on: one full sync (with write-back), one publish
            run_sync(ctx, full=True, writeback=True)
            first = publish_pages(ctx)
            assert set(LIVE_PAGES) <= {p.key for p in first.pages}  # and What's new's yearly archives
            assert {p.outcome for p in first.pages} == {"created"}
            metrics = Metrics(ctx.store, clock)
            services = build_services(
                ctx, metrics, handlers=LiveJira(ctx, metrics).handlers(), publish=LivePublisher(ctx, metrics),
                jobs={}, replica="e2e", workers=1, debounce=DEBOUNCE,
            )
            deps = AppDeps(store=ctx.store, clock=clock, secret=SECRET, metrics=metrics)
            with TestClient(create_app(deps)) as app, \
                    httpx.Client(base_url=sb.url, auth=(sb.user, sb.token), timeout=10) as jira:
                yield Rig(state, ctx, clock, jira, app, services, reporter)
        finally:
            ctx.close()


def pick_in_progress(r: Rig) -> str:
    """A backlog issue in progress that the Roadmap shows and What's new does not (yet)."""
    keys = sorted(i.key for i in r.state.data.backlog_issues() if i.status == "In Progress")
    key = next(k for k in keys if r.shows("roadmap", k) and not r.shows("whats_new", k))
    return key


def test_webhook_payloads_have_jiras_top_level_shape(tmp_path: Path) -> None:
    fixture = load_fixture("jira-cloud-webhook-issue-updated-status.json")
    with rig(f"sqlite:///{tmp_path / 'gt.db'}") as r:
        key = pick_in_progress(r)
        h = move_issue(r.state, key, "Done", "tom.baker", r.clock())
        ours = r.webhook("jira:issue_updated", key, r.user("tom.baker"), h)
    assert set(ours) == set(fixture)
    assert set(ours["changelog"]["items"][0]) >= set(fixture["changelog"]["items"][0])


def test_status_change_then_delete_reach_confluence_once_per_page_after_the_debounce(store_url: str) -> None:
    with rig(store_url) as r:
        key = pick_in_progress(r)
        before = r.versions()
        writes_before = r.confluence_writes()

        # 1. a person moves the issue to Done; Jira delivers, then redelivers the same event
        r.clock.advance(60)
        h = move_issue(r.state, key, "Done", "tom.baker", r.clock())
        payload = r.webhook("jira:issue_updated", key, r.user("tom.baker"), h)
        first = r.post(payload, ident="done-1")
        again = r.post(payload, ident="done-1")
        assert (first.status_code, first.json()) == (202, {"status": "accepted", "duplicate": False})
        assert (again.status_code, again.json()) == (202, {"status": "accepted", "duplicate": True})
        bulk_before = r.state.stats.requests["POST /rest/api/3/changelog/bulkfetch"]
        assert r.work() == 1  # the redelivery collapsed into the first
        # a status change needs the whole history: the worker fetched it (one bulk changelog call)
        assert r.state.stats.requests["POST /rest/api/3/changelog/bulkfetch"] == bulk_before + 1
        stored = [c for c in r.ctx.store.load_status_changes() if c.issue_key == key]
        assert stored[-1].change_id == str(h.id) and stored[-1].to_status == "Done"
        assert r.ctx.store.load_issue(key).status == "Done"

        # 2. a second edit inside the same window (summary with markup characters), by another person
        r.clock.advance(10)
        edit = r.sandbox.put(f"/rest/api/2/issue/{key}", json={"fields": {"summary": "Payroll & <bonus> export"}})
        assert edit.status_code == 204
        h2 = r.state.data.by_key[key].histories[-1]
        payload2 = r.webhook("jira:issue_updated", key, r.user("tom.baker"), h2)
        assert r.post(payload2).status_code == 202
        assert r.work() == 1
        assert r.ctx.store.load_issue(key).summary == "Payroll & <bonus> export"

        # nothing is written to Confluence before the debounce window (from the first change) ends
        assert r.publish_due() == []
        r.clock.advance(DEBOUNCE.total_seconds() - 10 - 1)
        assert r.publish_due() == []
        assert r.versions() == before and r.confluence_writes() == writes_before
        r.clock.advance(1)
        assert r.publish_due() == sorted(LIVE_PAGES)
        # two events, one write per page (Goals counts the issue done now, under its objective or not)
        assert r.versions() == {k: v + 1 for k, v in before.items()}
        assert r.shows("whats_new", key) and not r.shows("roadmap", key)  # shipped: off the roadmap
        assert "Payroll &amp; &lt;bonus&gt; export" in r.page("What's new").body
        assert r.publish_due() == []  # and nothing left dirty

        # 3. the issue is deleted in Jira
        mid = r.versions()
        linked = r.ctx.store.load_issue(key).objective is not None
        r.clock.advance(600)
        deleted = r.webhook("jira:issue_deleted", key, r.user("tom.baker"), None)
        delete_issue(r.state, key)
        assert r.post(deleted).status_code == 202
        assert r.work() == 1
        assert key not in r.ctx.store.load_live_keys()
        r.clock.advance(DEBOUNCE.total_seconds())
        assert r.publish_due() == sorted(LIVE_PAGES)
        assert not r.shows("whats_new", key) and not r.shows("roadmap", key)
        # only What's new showed the issue (and Goals counted it done under its objective, if it
        # had one): the Roadmap re-renders identically and is not written
        assert r.versions() == {"roadmap": mid["roadmap"], "whats_new": mid["whats_new"] + 1,
                                "goals": mid["goals"] + linked}
        assert [e["status"] for e in load_events(r.ctx.store)] == ["done", "done", "done"]


def test_echo_of_our_own_stakeholder_write_back_writes_and_publishes_nothing(store_url: str) -> None:
    with rig(store_url) as r:
        api_user = r.state.data.api_user
        # the initial sync's write-back left histories by the API user touching only Stakeholders
        stakeholder_field = r.ctx.config.fields.stakeholders
        echoes = [
            (i.key, h) for i in r.state.data.backlog_issues() for h in i.histories
            if h.author == api_user.username and {it.field for it in h.items} == {stakeholder_field}
        ]
        assert echoes, "the initial sync wrote no stakeholders: nothing to echo"
        key, history = echoes[0]
        # a person's event first, so the live handlers are warmed up like on a running service
        other = pick_in_progress(r)
        r.clock.advance(5)
        hp = move_issue(r.state, other, "In Review", "tom.baker", r.clock())
        r.post(r.webhook("jira:issue_updated", other, r.user("tom.baker"), hp))
        r.work()
        r.clock.advance(DEBOUNCE.total_seconds())
        assert r.publish_due() == sorted(LIVE_PAGES)

        echo = r.webhook("jira:issue_updated", key, api_user, history)
        jira_before, writes_before, versions = r.jira_requests(), r.state.stats.writes, r.versions()
        assert r.post(echo).status_code == 202
        assert r.work() == 1
        event = load_events(r.ctx.store)[-1]
        assert (event["status"], event["issue_key"]) == ("ignored", key)
        assert "own stakeholder write-back" in (event["error"] or "")
        r.clock.advance(DEBOUNCE.total_seconds() * 2)
        assert r.publish_due() == []
        assert r.jira_requests() == jira_before  # no fetch, and certainly no write-back again
        assert r.state.stats.writes == writes_before and r.versions() == versions

        # the same field changed by a person is not ours: processed and republished
        edit = r.sandbox.put(f"/rest/api/2/issue/{key}", json={"fields": {"summary": "Renamed by a person"}})
        assert edit.status_code == 204
        human = r.webhook("jira:issue_updated", key, r.user("tom.baker"), r.state.data.by_key[key].histories[-1])
        assert r.post(human).status_code == 202
        assert r.work() == 1
        assert load_events(r.ctx.store)[-1]["status"] == "done"


def test_change_arriving_while_a_publish_runs_is_published_in_the_next_window(store_url: str) -> None:
    with rig(store_url) as r:
        first, second = sorted(
            (i.key for i in r.state.data.backlog_issues() if i.status == "In Progress" and r.shows("roadmap", i.key)
             and not r.shows("whats_new", i.key))
        )[:2]
        r.clock.advance(5)
        h1 = move_issue(r.state, first, "Done", "tom.baker", r.clock())
        r.post(r.webhook("jira:issue_updated", first, r.user("tom.baker"), h1))
        r.work()
        before = r.versions()

        def change_mid_publish() -> None:
            # the pages were claimed and rendered; this change is not in what is being written
            r.clock.advance(1)
            h2 = move_issue(r.state, second, "Done", "tom.baker", r.clock())
            r.post(r.webhook("jira:issue_updated", second, r.user("tom.baker"), h2))
            assert r.work() == 1

        r.reporter.hook = change_mid_publish
        r.clock.advance(DEBOUNCE.total_seconds())
        assert r.publish_due() == sorted(LIVE_PAGES)
        assert r.reporter.hook is None  # the hook ran, inside that publish
        assert r.shows("whats_new", first) and not r.shows("whats_new", second)
        # the change that landed during the publish keeps both pages dirty ...
        assert {k: r.ctx.store.load_published(k)["dirty"] for k in LIVE_PAGES} == {k: True for k in LIVE_PAGES}
        assert r.publish_due() == []  # ... with its own debounce window
        r.clock.advance(DEBOUNCE.total_seconds())
        assert r.publish_due() == sorted(LIVE_PAGES)
        assert r.shows("whats_new", second)
        assert r.versions() == {k: v + 2 for k, v in before.items()}
