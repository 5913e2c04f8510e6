"""Wires the worker and scheduler to live Jira/Confluence through the sync layer.

Everything here is resolved lazily (first event, first tick), so `serve` starts and acknowledges
webhooks even while Jira is unreachable; events then wait in the inbox and are retried."""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from goldenthread.mappings.records import IssueSnapshot
from goldenthread.sync.context import AppContext
from goldenthread.webhooks.inbox import LIVE_PAGES, save_pages_dirty
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.scheduler import Job

log = logging.getLogger("goldenthread.webhooks.live")


class LiveJira:
    """One Jira handle and resolved field map for the worker threads (built once, on demand)."""

    def __init__(self, ctx: AppContext, metrics: Metrics) -> None:
        self.ctx, self.metrics = ctx, metrics
        self._lock = threading.Lock()
        self._jira: Any = None
        self._field_map: Any = None
        self._me: str | None = None

    def _ready(self) -> tuple[Any, Any]:
        with self._lock:
            if self._jira is None:
                from goldenthread.mappings.jira import parse_field_list, resolve_fields
                from goldenthread.sync.atlassian import build_jira
                from goldenthread.sync.jira_fetch import fetch_field_list

                jira = build_jira(self.ctx.settings, on_request=lambda r: self.metrics.observe_request("jira", r.status or "error"))
                self._field_map = resolve_fields(self.ctx.config.fields, parse_field_list(fetch_field_list(jira)))
                me = jira.client.myself() or {}
                self._me = str(me.get("accountId") or me.get("name") or "")
                self._jira = jira
            return self._jira, self._field_map

    def parse_snapshot(self, payload: Mapping[str, Any]) -> IssueSnapshot:
        from goldenthread.mappings.jira import parse_webhook_snapshot

        jira, field_map = self._ready()
        snap = parse_webhook_snapshot(payload, field_map, base_url=jira.base_url, statuses=self.ctx.store.load_statuses())
        if snap is None:
            raise ValueError("webhook has no issue")
        return snap

    def fetch_snapshot(self, key: str) -> IssueSnapshot | None:
        from goldenthread.sync import jira_sync  # issue 3
        from goldenthread.sync.jira_fetch import fetch_census

        jira, field_map = self._ready()
        # membership is decided by Jira with the admin's own JQL, never re-implemented here
        quoted = key.replace('"', "")
        if key not in fetch_census(jira, f'({self.ctx.config.jira.backlog_jql}) AND key = "{quoted}"'):
            return None
        return jira_sync.fetch_issue_snapshot(jira, field_map, key)  # type: ignore[no-any-return]

    def is_own_change(self, payload: Mapping[str, Any]) -> bool:
        from goldenthread.mappings.stakeholders import is_own_change

        _, field_map = self._ready()
        field_id = field_map.id_for("stakeholders")
        if not field_id or not self._me:
            return False
        spec = field_map.fields.get("stakeholders")
        return is_own_change(payload, self._me, field_id, spec.name if spec else None)

    def handlers(self) -> EventHandlers:
        return EventHandlers(self.parse_snapshot, self.fetch_snapshot, self.is_own_change)


def _call_with_optional(fn: Any, *args: Any, **optional: Any) -> Any:
    params = inspect.signature(fn).parameters
    return fn(*args, **{k: v for k, v in optional.items() if k in params})


def build_live_publish(ctx: AppContext) -> Any:
    def publish(keys: Sequence[str]) -> None:
        from goldenthread.sync import publisher  # issue 6

        _call_with_optional(publisher.publish_pages, ctx, pages=list(keys))

    return publish


def compute_report_month(slot: datetime) -> str:
    """The month a report tick covers: the one before the tick (a 1st-of-month cron)."""
    prev = slot.replace(day=1) - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


def build_live_jobs(ctx: AppContext) -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    sched = ctx.config.schedule

    def sync(slot: datetime) -> Mapping[str, Any] | None:
        from goldenthread.sync import jira_sync  # issue 3

        result = jira_sync.run_sync(ctx, full=False)
        # the sync may have changed anything: let the debounced publisher re-render (content
        # hashes keep unchanged pages from getting a new version)
        save_pages_dirty(ctx.store, LIVE_PAGES, ctx.clock())
        stats = getattr(result, "stats", result)
        return stats if isinstance(stats, Mapping) else None

    def monthly(slot: datetime) -> Mapping[str, Any] | None:
        from goldenthread.sync import publisher  # issue 6

        publisher.publish_monthly_report(ctx, compute_report_month(slot))
        return None

    if sched.sync:
        jobs["sync"] = Job(sched.sync, sync)
    if sched.monthly_report:
        jobs["monthly_report"] = Job(sched.monthly_report, monthly)
    return jobs
