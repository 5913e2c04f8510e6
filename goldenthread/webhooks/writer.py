"""Group commit for the receiver: deliveries arriving together are saved in one transaction.

Each request still waits for ITS commit before answering 202 (persist, then acknowledge); what is
shared is the commit. On SQLite one batch is in flight at a time (requests arriving meanwhile form
the next) and it is written on the event loop itself: a local WAL commit takes well under a
millisecond, and handing it to a thread costs more (GIL hand-offs between the loop and the
writer thread dominated the latency in bench/webhooks.py). PostgreSQL is network round trips
(checkout, insert, commit), so there batches go to worker threads, up to `PG_IN_FLIGHT` at once:
with one, the receiver spent most of its time waiting on the database. Order between batches does
not matter: the inbox insert decides duplicates by its unique keys.

The one slow part of a SQLite commit is the WAL auto-checkpoint (copy the WAL into the database
file, fsync), which runs inside whichever commit crosses 1,000 WAL pages: at ~5 KiB per delivery
that was every ~0.6 s of load, tens of ms each, with the loop blocked: the p99 of
bench/webhooks.py. A `_Checkpointer` thread runs PASSIVE checkpoints on its own connection
instead (sqlite3 releases the GIL for the copy and the fsync; a passive checkpoint never takes
the write lock), so the WAL is restarted by the next commit before it reaches the threshold.
Durability is unchanged: a commit is durable once in the WAL (journal_mode=WAL, synchronous=NORMAL)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading

from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import NewEvent, save_events

log = logging.getLogger("goldenthread.webhooks.writer")
MAX_BATCH = 512
PG_IN_FLIGHT = 3
CHECKPOINT_EVERY = 0.2  # seconds; at ~1,300 deliveries/s that is ~350 WAL pages, well under 1,000


class _Checkpointer:
    def __init__(self, path: str) -> None:
        self.path = path
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="wal-checkpointer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False, isolation_level=None)
        except sqlite3.Error:
            log.warning("no WAL checkpointer: commits will checkpoint themselves", exc_info=True)
            return
        try:
            while not self.stop.wait(CHECKPOINT_EVERY):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:  # busy or locked: the next round (or an auto-checkpoint) catches up
                    pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


class InboxWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.inline = store.dialect == "sqlite"
        self._pending: list[tuple[NewEvent, asyncio.Future[bool]]] = []
        self._in_flight = 0
        self._max_in_flight = 1 if self.inline else PG_IN_FLIGHT
        self._checkpointer: _Checkpointer | None = None
        db = store.engine.url.database if self.inline else None
        self._db_path = db if db and db != ":memory:" and not db.startswith("file:") else None

    async def save(self, event: NewEvent) -> bool:
        """True when new, False for a duplicate; raises when the store refused it."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bool] = loop.create_future()
        if self._db_path is not None and self._checkpointer is None:
            self._checkpointer = _Checkpointer(self._db_path)
        self._pending.append((event, fut))
        if self._in_flight < self._max_in_flight:
            self._in_flight += 1
            # call_soon: every request whose body completed in this loop turn joins the batch
            loop.call_soon(self._flush, loop)
        return await fut

    def _take(self) -> list[tuple[NewEvent, asyncio.Future[bool]]]:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        return batch

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._take()
        if not batch:
            self._in_flight -= 1
            return
        if self.inline:
            self._deliver(batch, self._write(batch))
            self._after(loop)
            return
        task = loop.run_in_executor(None, self._write, batch)

        def written(t: asyncio.Future[list[bool | BaseException]]) -> None:
            self._deliver(batch, t.result())
            self._after(loop)

        task.add_done_callback(written)

    def _after(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pending:
            loop.call_soon(self._flush, loop)
        else:
            self._in_flight -= 1

    def _write(self, batch: list[tuple[NewEvent, asyncio.Future[bool]]]) -> list[bool | BaseException]:
        try:
            return list(save_events(self.store, [e for e, _ in batch]))
        except Exception:  # noqa: BLE001 - one bad row must not fail its neighbours: retry singly
            if len(batch) == 1:
                log.exception("could not persist a delivery")
                return [RuntimeError("inbox unavailable")]
            out: list[bool | BaseException] = []
            for item in batch:
                out.extend(self._write([item]))
            return out

    @staticmethod
    def _deliver(batch: list[tuple[NewEvent, asyncio.Future[bool]]], results: list[bool | BaseException]) -> None:
        for (_, fut), res in zip(batch, results, strict=True):
            if fut.done():  # the client went away; the event is stored all the same
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
            else:
                fut.set_result(res)

    def close(self) -> None:
        """Nothing buffered outlives a request: every pending save is awaited by its request.
        Stops the checkpointer (a later save starts a new one)."""
        cp, self._checkpointer = self._checkpointer, None
        if cp is not None:
            cp.close()
