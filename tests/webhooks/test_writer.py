"""InboxWriter: group commit under concurrent deliveries, several batches in flight on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from goldenthread.webhooks import writer as writer_mod
from goldenthread.sync.store.inbox import NewEvent, load_events, save_events
from goldenthread.webhooks.writer import InboxWriter

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ev(key: str) -> NewEvent:
    return NewEvent(key, "jira:issue_updated", "IPM-1", "{}", T0)


def test_concurrent_deliveries_are_stored_once_each(store) -> None:  # type: ignore[no-untyped-def]
    writer = InboxWriter(store)

    async def deliver() -> list[bool]:
        results: list[bool] = []
        for wave in range(3):  # waves, so later ones arrive while earlier batches are being written
            results += await asyncio.gather(*(writer.save(ev(f"k{(wave * 100 + i) % 120}")) for i in range(100)))
        return results

    try:
        results = asyncio.run(deliver())
    finally:
        writer.close()
    assert sum(results) == 120 and len(results) == 300
    rows = load_events(store)
    assert len(rows) == 120 and sum(r["duplicates"] for r in rows) == 180


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_postgresql_writes_a_second_batch_while_the_first_is_in_flight(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    started: list[int] = []
    release = threading.Event()
    most = {"now": 0, "max": 0}
    lock = threading.Lock()

    def recording_save(st: Any, events: list[NewEvent]) -> list[bool]:
        with lock:
            started.append(len(events))
            most["now"] += 1
            most["max"] = max(most["max"], most["now"])
        if len(started) == 1:
            assert release.wait(20), "the second batch never started"
        try:
            return save_events(st, events)
        finally:
            with lock:
                most["now"] -= 1

    monkeypatch.setattr(writer_mod, "save_events", recording_save)
    writer = InboxWriter(store)

    async def deliver() -> list[bool]:
        first = asyncio.ensure_future(writer.save(ev("first")))
        while not started:  # wait on a condition: the first batch is being written
            await asyncio.sleep(0.005)
        second = await writer.save(ev("second"))  # must not queue behind the blocked first batch
        release.set()
        return [await first, second]

    try:
        assert asyncio.run(deliver()) == [True, True]
    finally:
        release.set()
        writer.close()
    assert most["max"] == 2 and started == [1, 1]
    assert {r["dedupe_key"] for r in load_events(store)} == {"first", "second"}
