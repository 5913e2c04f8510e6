"""The worker process's counters reach the receiver's registry through the relay pipe."""

from __future__ import annotations

import copy
import multiprocessing
import threading

from goldenthread.webhooks.metrics_relay import apply_relayed_metrics, relay_metrics
from goldenthread.webhooks.observability import Metrics


def test_counts_made_on_the_worker_side_land_in_the_receiver_registry() -> None:
    receiver = Metrics()
    receiver.processed.labels("jira:issue_updated", "fetch").inc()  # counted by the receiver itself
    worker = copy.copy(receiver)  # what fork gives the child: the same object, separately owned
    received, relay = multiprocessing.Pipe(duplex=False)
    applier = apply_relayed_metrics(receiver, received)
    flush = relay_metrics(worker, relay, threading.Event(), interval=3600)  # only the final flush sends
    worker.processed.labels("jira:issue_updated", "fetch").inc()
    worker.processed.labels("jira:issue_updated", "fetch").inc(2)
    worker.failed.labels("jira:issue_created", "retry").inc()
    worker.sync_issues.inc(7)
    worker.sync_duration.labels("sync").observe(1.5)
    worker.observe_request("jira", 200)
    assert receiver.registry.get_sample_value(
        "goldenthread_webhook_events_processed_total", {"event": "jira:issue_updated", "action": "fetch"}) == 1.0
    flush()
    applier.join(10)  # the pipe closed after the flush: the applier has added everything and ended
    assert not applier.is_alive()
    value = receiver.registry.get_sample_value
    assert value("goldenthread_webhook_events_processed_total", {"event": "jira:issue_updated", "action": "fetch"}) == 4.0
    assert value("goldenthread_webhook_events_failed_total", {"event": "jira:issue_created", "outcome": "retry"}) == 1.0
    assert value("goldenthread_sync_issues_total") == 7.0
    assert value("goldenthread_sync_duration_seconds_count", {"job": "sync"}) == 1.0
    assert value("goldenthread_sync_duration_seconds_sum", {"job": "sync"}) == 1.5
    assert value("goldenthread_atlassian_requests_total", {"service": "jira", "status": "200"}) == 1.0
