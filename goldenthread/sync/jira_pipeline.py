"""The paging engine: search pages stream in on one thread while changelogs for earlier pages are
fetched on a small pool and committed in order on the caller's thread.

Why this shape: search pages must be fetched one after another (each token comes from the page
before), so their latency is the floor. Everything else overlaps with it: a producer thread
keeps paging into a bounded queue, bulkfetch calls (one per ≤1000 changed issues) run on a pool
of 2, and commits happen here. Each page is committed in ONE transaction together with its
histories and the advanced cursor, in page order, so a kill -9 at any point leaves a store that
the next run completes without loss or duplicates (upserts are idempotent; the cursor only
covers committed pages). Memory is bounded by the queue and the number of batches in flight.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from goldenthread.mappings.jira import (
    FieldMap,
    parse_datetime,
    parse_embedded_changelog,
    parse_issue,
    parse_status_changes,
)
from goldenthread.mappings.records import IssueSnapshot, StatusCategory
from goldenthread.sync.atlassian import JiraHandle
from goldenthread.sync.jira_fetch import BULK_ISSUES, SearchPage, fetch_bulk_changelogs
from goldenthread.sync.jira_state import CURSOR, format_cursor, load_stored_updated
from goldenthread.sync.store import Store

PREFETCH_PAGES = 24  # search pages buffered ahead of the committer (~2 bulkfetch batches)
MAX_BATCHES_IN_FLIGHT = 3
CHANGELOG_WORKERS = 2
BATCH_PAGES = 10  # also bounds a batch of unchanged pages, which needs no bulkfetch

_DONE = object()


@dataclass
class PageStats:
    fetched: int = 0
    upserted: int = 0
    unchanged: int = 0
    changelogs: int = 0
    status_changes: int = 0
    pages: int = 0
    cursor: datetime | None = None
    status_names: set[str] = field(default_factory=set)


@dataclass
class _Batch:
    pages: list[tuple[SearchPage, list[dict[str, Any]]]] = field(default_factory=list)  # page, issues to save
    ids: list[str] = field(default_factory=list)
    histories: Future[dict[str, list[dict[str, Any]]]] | None = None


def _produce(pages: Iterator[SearchPage], out: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for page in pages:
            while not stop.is_set():
                try:
                    out.put(page, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_DONE)
    except BaseException as exc:  # noqa: BLE001 - handed to the committer, which re-raises it
        out.put(exc)


class PageCommitter:
    """Consumes search pages, fetches what changed, commits page by page."""

    def __init__(
        self,
        store: Store,
        jira: JiraHandle,
        field_map: FieldMap,
        *,
        full: bool,
        run_start: datetime,
        cursor: datetime | None,
        statuses: dict[str, StatusCategory],
        on_page: Callable[[int, int], None] | None = None,
        on_search_done: Callable[[], None] | None = None,
    ) -> None:
        self.store, self.jira, self.field_map = store, jira, field_map
        self.full, self.run_start, self.statuses = full, run_start, statuses
        self.on_page = on_page
        self.on_search_done = on_search_done
        self.stats = PageStats(cursor=cursor)

    # -- selection ------------------------------------------------------------------------
    def _changed(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.full:
            return issues
        stored = load_stored_updated(self.store, [str(i["key"]) for i in issues])
        out = []
        for raw in issues:
            seen = stored.get(str(raw["key"]))
            if seen is not None and seen == parse_datetime((raw.get("fields") or {}).get("updated")):
                self.stats.unchanged += 1
            else:
                out.append(raw)
        return out

    # -- commit ---------------------------------------------------------------------------
    def _commit_page(self, page: SearchPage, issues: list[dict[str, Any]], histories: dict[str, list[dict[str, Any]]] | None) -> None:
        snaps: list[IssueSnapshot] = []
        for raw in issues:
            issue = parse_issue(raw, self.field_map, base_url=self.jira.base_url, statuses=self.statuses)
            if histories is None:
                changes = parse_embedded_changelog(raw)
            else:
                changes = parse_status_changes(issue.key, histories.get(str(raw.get("id")), ()))
            snaps.append(IssueSnapshot(issue, changes))
            self.stats.status_names.add(issue.status)
            for c in changes:
                self.stats.status_names.add(c.to_status)
                if c.from_status:
                    self.stats.status_names.add(c.from_status)
            self.stats.status_changes += len(changes)
        # the cursor covers every issue of this page (even unchanged ones) and never passes the
        # run's start: anything updated after we started is picked up by the next run
        for raw in page.issues:
            updated = parse_datetime((raw.get("fields") or {}).get("updated"))
            if updated is not None:
                capped = min(updated, self.run_start)
                if self.stats.cursor is None or capped > self.stats.cursor:
                    self.stats.cursor = capped
        with self.store.begin() as conn:
            if snaps:
                self.store.save_snapshots_in(conn, snaps, self.run_start, full_history=True)
            if self.stats.cursor is not None:
                self.store.save_state(CURSOR, format_cursor(self.stats.cursor), self.run_start, conn=conn)
        self.stats.upserted += len(snaps)
        self.stats.pages += 1
        if self.on_page is not None:
            self.on_page(page.index, len(page.issues))

    # -- drivers --------------------------------------------------------------------------
    def run(self, pages: Iterator[SearchPage]) -> PageStats:
        q: queue.Queue[Any] = queue.Queue(maxsize=PREFETCH_PAGES)
        stop = threading.Event()
        producer = threading.Thread(target=_produce, args=(pages, q, stop), name="gt-search", daemon=True)
        producer.start()
        self._search_error: BaseException | None = None
        try:
            if self.jira.cloud:
                self._run_cloud(q)
            else:
                self._run_dc(q)
            if self._search_error is not None:
                raise self._search_error
        finally:
            stop.set()
            producer.join(timeout=30)
        return self.stats

    def _next(self, q: queue.Queue[Any]) -> SearchPage | None:
        item = q.get()
        if item is _DONE:
            if self.on_search_done is not None:
                self.on_search_done()  # e.g. start the census while the last pages commit
            return None
        if isinstance(item, BaseException):
            # commit what was already fetched before failing: the next run starts after it
            self._search_error = item
            return None
        self.stats.fetched += len(item.issues)
        return item  # type: ignore[no-any-return]

    def _run_dc(self, q: queue.Queue[Any]) -> None:
        # Data Center: histories arrive inside the search page (expand=changelog)
        while (page := self._next(q)) is not None:
            changed = self._changed(page.issues)
            self.stats.changelogs += len(changed)
            self._commit_page(page, changed, None)

    def _run_cloud(self, q: queue.Queue[Any]) -> None:
        in_flight: deque[_Batch] = deque()
        batch = _Batch()
        with ThreadPoolExecutor(max_workers=CHANGELOG_WORKERS, thread_name_prefix="gt-changelog") as pool:

            def submit(b: _Batch) -> None:
                if b.ids:
                    b.histories = pool.submit(fetch_bulk_changelogs, self.jira, list(b.ids))
                    self.stats.changelogs += len(b.ids)
                in_flight.append(b)

            def commit(b: _Batch) -> None:
                histories = b.histories.result() if b.histories is not None else {}
                for page, issues in b.pages:
                    self._commit_page(page, issues, histories)

            def drain(block_over: int) -> None:
                while in_flight and (len(in_flight) > block_over or _ready(in_flight[0])):
                    commit(in_flight.popleft())

            while (page := self._next(q)) is not None:
                changed = self._changed(page.issues)
                if batch.ids and len(batch.ids) + len(changed) > BULK_ISSUES:
                    submit(batch)
                    batch = _Batch()
                batch.pages.append((page, changed))
                batch.ids.extend(str(i["id"]) for i in changed)
                if len(batch.ids) >= BULK_ISSUES or len(batch.pages) >= BATCH_PAGES:
                    submit(batch)
                    batch = _Batch()
                drain(MAX_BATCHES_IN_FLIGHT)
            if batch.pages:
                submit(batch)
            drain(0)


def _ready(batch: _Batch) -> bool:
    return batch.histories is None or batch.histories.done()
