"""Counters of the worker process (`serve --worker-process`) on the receiver's /metrics.

The forked worker keeps the receiver's `Metrics` object, but a copy: what it counts would stay in
its own memory, where no scrape reaches. In the child, `relay_metrics` swaps each counter and
histogram of that copy for a stand-in that accumulates increments and sends them down a pipe
once a second (and at shutdown); in the receiver, `apply_relayed_metrics` adds them to the real
ones. Prometheus' multiprocess mode would do the same through files in a shared directory, but
it needs an environment variable set before prometheus_client is imported and does not fit the
per-app registries the tests rely on. A scrape may lag the worker by up to a second."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from prometheus_client import Counter, Histogram

from goldenthread.webhooks.observability import Metrics

log = logging.getLogger("goldenthread.metrics")
Key = tuple[str, tuple[str, ...]]  # (Metrics attribute, label values)


class _Batch:
    """Increments and observations since the last send; thread-safe (worker threads count)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.incs: defaultdict[Key, float] = defaultdict(float)
        self.observations: defaultdict[Key, list[float]] = defaultdict(list)

    def take(self) -> tuple[dict[Key, float], dict[Key, list[float]]] | None:
        with self.lock:
            if not self.incs and not self.observations:
                return None
            out = (dict(self.incs), dict(self.observations))
            self.incs.clear()
            self.observations.clear()
        return out


class _Relayed:
    """Stands in for one Counter/Histogram (or one labelled child of it)."""

    def __init__(self, batch: _Batch, name: str, labels: tuple[str, ...] = ()) -> None:
        self.batch, self.name, self.label_values = batch, name, labels

    def labels(self, *values: Any) -> _Relayed:
        return _Relayed(self.batch, self.name, tuple(str(v) for v in values))

    def inc(self, amount: float = 1.0) -> None:
        with self.batch.lock:
            self.batch.incs[(self.name, self.label_values)] += amount

    def observe(self, value: float) -> None:
        with self.batch.lock:
            self.batch.observations[(self.name, self.label_values)].append(value)


def relay_metrics(metrics: Metrics, conn: Connection, stop: threading.Event, interval: float = 1.0) -> Callable[[], None]:
    """In the worker process: redirect `metrics` into `conn`. Returns `flush`, to call once the
    worker has stopped (it sends what is left and closes the pipe)."""
    batch = _Batch()
    for name, value in list(vars(metrics).items()):
        if isinstance(value, Counter | Histogram):
            setattr(metrics, name, _Relayed(batch, name))
    send_lock = threading.Lock()

    def send() -> None:
        taken = batch.take()
        if taken is None:
            return
        with send_lock:
            try:
                conn.send(taken)
            except (OSError, ValueError):  # the receiver is gone: nobody left to scrape these
                pass

    def loop() -> None:
        while not stop.wait(interval):
            send()

    thread = threading.Thread(target=loop, name="metrics-relay", daemon=True)
    thread.start()

    def flush() -> None:
        stop.set()
        thread.join(5)
        send()
        conn.close()

    return flush


def apply_relayed_metrics(metrics: Metrics, conn: Connection) -> threading.Thread:
    """In the receiver: add what the worker process relays to `metrics`, until the pipe closes."""

    def loop() -> None:
        while True:
            try:
                incs, observations = conn.recv()
            except (EOFError, OSError):
                return
            for (name, labels), amount in incs.items():
                metric = getattr(metrics, name)
                (metric.labels(*labels) if labels else metric).inc(amount)
            for (name, labels), values in observations.items():
                metric = getattr(metrics, name)
                target = metric.labels(*labels) if labels else metric
                for v in values:
                    target.observe(v)

    thread = threading.Thread(target=loop, name="metrics-from-worker", daemon=True)
    thread.start()
    return thread
