"""The process's garbage-collector policy: one context manager, `quiet_gc`, for the whole of a
CLI command (and for `serve`, in its collecting form). Nothing else in goldenthread touches gc.

Why: a run builds 100k+ long-lived objects (records, decoded pages, plain columns) and allocates
millions of short-lived ones, so the automatic collector runs thousands of times and each pass
walks what is alive. With the heap built before the run frozen and the collector run every
100,000 allocations instead of every 700, a full sync of 20k issues took 5.2 s of CPU instead of
6.8 s and the store's 100k-issue table read 2.0 s instead of 3.0 s (bench/sync.py,
bench/metrics.py). Switching it off outright saved no more and let a sync grow to 409 MB
(cycles that responses leave are still collected this way: 313 MB). `serve` keeps the default
thresholds (it lives for months), but the heap it has built before it serves (modules, the
app, compiled statements) is frozen out of the collector's sight: full passes over it stalled
the event loop (bench/webhooks.py p99).

Only ever switched on the main thread: `serve`'s worker, publisher and scheduler run the same
sync and publish code on threads, and the collector is process-wide.

Tests: tests/sync/test_gc_policy.py
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


#: Allocations between two young collections while a command runs (the default is 700), and
#: how rarely the older generations follow.
RUN_THRESHOLDS = (100_000, 10, 10)


@contextmanager
def quiet_gc(*, collect: bool = False) -> Iterator[None]:
    """Freeze the heap built so far; unless `collect`, collect rarely (RUN_THRESHOLDS) until
    the end.

    At the end everything the process holds is frozen too and the thresholds are restored: a
    command's process exits right after, and the interpreter's final collection then has
    nothing to walk (~0.15 s of a `metrics` run). A process that lives on (the tests) keeps
    that run's cyclic garbage."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if gc.get_freeze_count() == 0:
        # the young generations: what garbage there is was made lately (a full pass walked the
        # whole imported heap, pandas and pydantic, ~30 ms of a `metrics` run, and found none)
        gc.collect(1)
        gc.freeze()
    thresholds = gc.get_threshold()
    if not collect:
        gc.set_threshold(*RUN_THRESHOLDS)
    try:
        yield
    finally:
        gc.freeze()
        gc.set_threshold(*thresholds)
