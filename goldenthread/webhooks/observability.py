"""Prometheus metrics (one registry per app, so tests and replicas in one process never share
counters) and structured JSON logs.

Tests: tests/webhooks/test_worker.py, tests/webhooks/test_metrics_relay.py"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from goldenthread.sync.store import Store


class _InboxCollector(Collector):
    """Inbox depth and age are read from the store at scrape time: every replica reports the
    shared queue, and nothing has to keep a gauge in step with other replicas' writes."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from goldenthread.sync.store.inbox import load_inbox_stats

        try:
            stats = load_inbox_stats(self.store, self.clock())
        except Exception:  # noqa: BLE001 - a scrape must not fail because the store blinked
            return
        depth = GaugeMetricFamily("goldenthread_inbox_events", "Inbox events by status", labels=["status"])
        for status in ("pending", "processing", "done", "failed", "ignored"):
            depth.add_metric([status], stats["counts"].get(status, 0))
        yield depth
        yield GaugeMetricFamily("goldenthread_inbox_depth", "Events waiting or being processed", value=stats["depth"])
        yield GaugeMetricFamily(
            "goldenthread_inbox_oldest_age_seconds", "Age of the oldest unprocessed event", value=stats["lag_seconds"]
        )


class Metrics:
    def __init__(self, store: Store | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.received = Counter("goldenthread_webhook_events_received_total", "Deliveries accepted (202)", ["event"], registry=r)
        self.duplicates = Counter("goldenthread_webhook_events_duplicate_total", "Deliveries collapsed as duplicates", registry=r)
        self.ignored = Counter("goldenthread_webhook_events_ignored_total", "Deliveries ignored", ["reason"], registry=r)
        self.rejected = Counter("goldenthread_webhook_requests_rejected_total", "Deliveries refused", ["code"], registry=r)
        self.processed = Counter("goldenthread_webhook_events_processed_total", "Events applied", ["event", "action"], registry=r)
        self.failed = Counter("goldenthread_webhook_events_failed_total", "Event attempts that failed", ["event", "outcome"], registry=r)
        self.sync_duration = Histogram(
            "goldenthread_sync_duration_seconds", "Scheduled job duration", ["job"], registry=r,
            buckets=(0.5, 1, 5, 15, 30, 60, 120, 300, 900),
        )
        self.sync_issues = Counter("goldenthread_sync_issues_total", "Issues written by scheduled syncs", registry=r)
        self.job_runs = Counter("goldenthread_job_runs_total", "Scheduled job runs", ["job", "status"], registry=r)
        self.atlassian_requests = Counter(
            "goldenthread_atlassian_requests_total", "Jira/Confluence requests", ["service", "status"], registry=r
        )
        self.publishes = Counter("goldenthread_publishes_total", "Page publishes", ["page", "result"], registry=r)
        if store is not None and clock is not None:
            r.register(_InboxCollector(store, clock))

    def observe_request(self, service: str, status: int | str) -> None:
        """Hook for the Atlassian transport: count one request by service and HTTP status."""
        self.atlassian_requests.labels(service, str(status)).inc()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers expect from a service."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key.startswith("gt_"):
                out[key[3:]] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_json_logging() -> None:
    """Switch the root handlers to JSON lines, keeping any redaction filters already installed."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO)
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
