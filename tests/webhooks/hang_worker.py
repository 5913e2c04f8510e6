"""Subprocess for the kill -9 test: claims one event, announces it, then hangs mid-event."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from goldenthread.sync.store import Store
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.worker import Worker


def main(url: str, marker: str) -> None:
    store = Store.open(url)

    def hang(ev):  # type: ignore[no-untyped-def]
        Path(marker).write_text(str(ev.id))
        threading.Event().wait()  # until SIGKILL

    def unreachable(*_a):  # type: ignore[no-untyped-def]
        raise AssertionError("the hang hook runs before any processing")

    handlers = EventHandlers(parse_snapshot=unreachable, fetch_snapshot=unreachable)
    worker = Worker(store, handlers, Metrics(), worker_id="doomed", clock=lambda: datetime.now(UTC), before_apply=hang)
    worker.run_once()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
