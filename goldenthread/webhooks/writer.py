"""Group commit for the receiver: deliveries arriving together are saved in one transaction.

Each request still waits for ITS commit before answering 202 (persist, then acknowledge); what is
shared is the commit, which on SQLite is the expensive part and holds the single write lock. One
writer thread also means the event loop never blocks on the store and SQLite never sees two
receiver writers fighting over the lock."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass

from goldenthread.sync.store import Store
from goldenthread.webhooks.inbox import NewEvent, save_events

log = logging.getLogger("goldenthread.webhooks.writer")
MAX_BATCH = 256


@dataclass
class _Item:
    event: NewEvent
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


def _resolve(fut: asyncio.Future[bool], value: bool | None, exc: BaseException | None) -> None:
    if fut.done():  # the request was cancelled (client went away); nothing to tell it
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(bool(value))


class InboxWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()

    async def save(self, event: NewEvent) -> bool:
        """True when new, False for a duplicate; raises when the store refused the batch."""
        self._ensure_started()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Item(event, fut, loop))
        return await fut

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Item]) -> None:
        try:
            results = save_events(self.store, [i.event for i in batch])
        except Exception:  # noqa: BLE001 - one bad row must not fail its neighbours: retry singly
            if len(batch) > 1:
                for item in batch:
                    self._commit([item])
                return
            item = batch[0]
            log.exception("could not persist a delivery")
            item.loop.call_soon_threadsafe(_resolve, item.future, None, RuntimeError("inbox unavailable"))
            return
        for item, new in zip(batch, results, strict=True):
            item.loop.call_soon_threadsafe(_resolve, item.future, new, None)
