"""Wires the worker and scheduler to live Jira/Confluence through the sync layer.

Everything here is resolved lazily (first event, first tick), so `serve` starts and acknowledges
webhooks even while Jira is unreachable; events then wait in the inbox and are retried.

Tests: tests/webhooks/test_live_e2e.py"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from goldenthread.mappings.fields import FieldMap
from goldenthread.mappings.records import IssueSnapshot
from goldenthread.sync.http.atlassian import ConfluenceHandle, JiraHandle
from goldenthread.sync.context import AppContext
from goldenthread.sync.store.inbox import LIVE_PAGES, save_pages_dirty
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.scheduler import Job

log = logging.getLogger("goldenthread.webhooks.live")


def _jql_string(value: str) -> str:
    # a webhook's issue key is untrusted input that ends up inside JQL
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class LiveJira:
    """One Jira handle, resolved field map and API user id for the worker threads (built once,
    on first use; a failure leaves nothing cached so the next event tries again)."""

    def __init__(self, ctx: AppContext, metrics: Metrics, *, jira: JiraHandle | None = None) -> None:
        self.ctx, self.metrics = ctx, metrics
        self._lock = threading.Lock()
        self._jira: JiraHandle | None = jira
        self._field_map: FieldMap | None = None
        self._me: str | None = None

    def _open(self) -> JiraHandle:
        from goldenthread.sync.jira import state as st
        from goldenthread.sync.http.atlassian import build_jira

        # the deployment cached by `sync` saves a /serverInfo round trip per start
        cached = st.load_deployment(self.ctx.store, self.ctx.settings.jira_url.strip().rstrip("/"))
        return build_jira(self.ctx.settings, deployment=cached,
                          on_request=lambda r: self.metrics.observe_request("jira", r.status or "error"))

    def _ready(self) -> tuple[JiraHandle, FieldMap, str]:
        with self._lock:
            if self._field_map is None or self._me is None:
                from goldenthread.sync.jira.ingest import load_field_map
                from goldenthread.sync.jira.writeback import fetch_own_user_id

                jira = self._jira or self._open()
                field_map = load_field_map(self.ctx, jira)
                me = fetch_own_user_id(jira, jira.deployment)
                self._jira, self._field_map, self._me = jira, field_map, me
            assert self._jira is not None
            return self._jira, self._field_map, self._me

    def parse_snapshot(self, payload: Mapping[str, Any]) -> IssueSnapshot:
        from goldenthread.mappings.jira import parse_webhook_snapshot

        jira, field_map, _ = self._ready()
        snap = parse_webhook_snapshot(payload, field_map, base_url=jira.base_url, statuses=self.ctx.store.load_statuses())
        if snap is None:
            raise ValueError("webhook has no issue")
        return snap

    def fetch_snapshot(self, key: str) -> IssueSnapshot | None:
        from goldenthread.sync.jira.fetch import fetch_census
        from goldenthread.sync.jira.state import build_backlog_jql
        from goldenthread.sync.jira.ingest import fetch_issue_snapshot

        jira, field_map, _ = self._ready()
        # the issue first: JQL naming a key that no longer exists is a 400 on Jira, not an empty result
        snap = fetch_issue_snapshot(jira, field_map, key, statuses=self.ctx.store.load_statuses())
        if snap is None:
            return None
        # membership is decided by Jira with the admin's own JQL, never re-implemented here
        jql = f"({build_backlog_jql(self.ctx.config.jira.backlog_jql)}) AND key = {_jql_string(snap.issue.key)}"
        return snap if snap.issue.key in fetch_census(jira, jql) else None

    def is_own_change(self, payload: Mapping[str, Any]) -> bool:
        from goldenthread.mappings.writeback import is_own_change

        # cheap checks first: only an update by someone can be our echo, and only with a changelog
        if payload.get("webhookEvent") != "jira:issue_updated" or not payload.get("changelog"):
            return False
        _, field_map, me = self._ready()
        spec = field_map.fields.get("stakeholders")
        if spec is None or not me:
            return False
        return is_own_change(payload, me, spec.id, spec.name)

    def handlers(self) -> EventHandlers:
        return EventHandlers(self.parse_snapshot, self.fetch_snapshot, self.is_own_change)


class LivePublisher:
    """`publish(page_keys)` for the debounced PagePublisher: one Confluence handle, reused."""

    def __init__(self, ctx: AppContext, metrics: Metrics | None = None, *,
                 confluence: ConfluenceHandle | None = None) -> None:
        self.ctx, self.metrics = ctx, metrics
        self._confluence = confluence

    def _handle(self) -> ConfluenceHandle:
        if self._confluence is None:
            from goldenthread.sync.jira import state as st
            from goldenthread.sync.http.atlassian import build_confluence

            metrics = self.metrics
            cached = st.load_deployment(self.ctx.store, self.ctx.settings.jira_url.strip().rstrip("/"))
            self._confluence = build_confluence(
                self.ctx.settings, deployment=cached,
                on_request=(lambda r: metrics.observe_request("confluence", r.status or "error")) if metrics else None,
            )
        return self._confluence

    def __call__(self, keys: Sequence[str]) -> Any:
        from goldenthread.sync.confluence.publisher import publish_pages

        result = publish_pages(self.ctx, confluence=self._handle(), pages=tuple(keys))
        for page in result.pages:
            log.info("published %s: %s", page.key, page.outcome, extra={"gt_page": page.key, "gt_outcome": page.outcome})
        return result


def build_live_publish(ctx: AppContext, metrics: Metrics | None = None) -> LivePublisher:
    return LivePublisher(ctx, metrics)


def compute_report_month(slot: datetime) -> str:
    """The month a report tick covers: the one before the tick (a 1st-of-month cron)."""
    from goldenthread.reports.months import last_complete_month

    return last_complete_month(slot)


def build_live_jobs(ctx: AppContext) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    sched = ctx.config.schedule

    def sync(slot: datetime) -> Mapping[str, Any] | None:
        from goldenthread.sync.jira.ingest import run_sync

        # the same run as `goldenthread sync` from cron: incremental, census, stakeholder write-back
        # (whose echo webhooks the worker recognises and ignores)
        result = run_sync(ctx, full=False, writeback=True)
        # the sync may have changed anything: let the debounced publisher re-render (content
        # hashes keep unchanged pages from getting a new version)
        save_pages_dirty(ctx.store, LIVE_PAGES, ctx.clock())
        return {**result.as_stats(), "issues": result.upserted}

    def monthly(slot: datetime) -> Mapping[str, Any] | None:
        from goldenthread.sync.confluence.publisher import publish_monthly_report

        from goldenthread.sync.errors import RunFailed

        result = publish_monthly_report(ctx, compute_report_month(slot))
        if result.failed:  # the job is recorded as failed, with the pages that failed and why
            raise RunFailed(result.render_failure())
        return None

    if sched.sync:
        jobs["sync"] = Job(sched.sync, sync)
    if sched.monthly_report:
        jobs["monthly_report"] = Job(sched.monthly_report, monthly)
    return jobs
