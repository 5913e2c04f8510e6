"""quiet_gc: rare collection for a command's main thread, never switched from another thread."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from goldenthread.sync.gc_policy import RUN_THRESHOLDS, quiet_gc


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_command_collects_rarely_and_ends_frozen() -> None:
    before = gc.get_threshold()
    with quiet_gc():
        assert gc.get_threshold() == RUN_THRESHOLDS and gc.isenabled()
        assert gc.get_freeze_count() > 0  # the heap built before the run is out of sight
        made = [[] for _ in range(1000)]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() >= len(made)  # what the run built is frozen for the exit


def test_thresholds_are_back_after_a_failure() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), quiet_gc():
        raise RuntimeError("sync failed")
    assert gc.get_threshold() == before


def test_serve_keeps_collecting_as_usual() -> None:
    before = gc.get_threshold()
    with quiet_gc(collect=True):
        assert gc.get_threshold() == before and gc.get_freeze_count() > 0


def test_never_switched_from_a_thread() -> None:
    """serve's worker, publisher and scheduler threads run the same code: the collector is
    process-wide, so a thread must leave it alone."""
    seen: list[tuple[int, int, int]] = []
    frozen_before, before = gc.get_freeze_count(), gc.get_threshold()

    def body() -> None:
        with quiet_gc():
            seen.append(gc.get_threshold())

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [before] and gc.get_freeze_count() == frozen_before
