"""The paging engine: search pages stream in on producer threads while changelogs for earlier
pages are fetched on a small pool and committed in order on the caller's thread.

Why this shape: the pages of one search must be fetched one after another (each token comes
from the page before), so their latency is the floor. A full sync therefore pages several
disjoint issue-id ranges of the backlog side by side (one producer thread each, see
`jira_state.build_stream_jqls`), and everything else overlaps with the paging: bulkfetch calls
(one per ≤1000 changed issues) run on a pool of 2, and commits happen here, on one thread, so
the store sees a single writer. Each page is committed in ONE transaction together with its
histories and the cursor, and each stream's pages in their order, so a kill -9 at any point
leaves a store that the next run completes without loss or duplicates (upserts are idempotent;
the cursor never passes an uncommitted page of any stream). Memory is bounded by the queue and
the number of batches in flight.

Tests: tests/sync/jira/test_ingest.py, tests/sync/jira/test_ingest_sandbox.py
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

from goldenthread.mappings.fields import FieldMap
from goldenthread.mappings.jira import parse_embedded_changelog, parse_issue, parse_status_changes
from goldenthread.mappings.values import parse_datetime
from goldenthread.mappings.records import IssueSnapshot, StatusCategory
from goldenthread.sync.http.atlassian import JiraHandle
from goldenthread.sync.jira.fetch import BULK_ISSUES, SearchPage, fetch_bulk_changelogs
from goldenthread.sync.jira.state import CURSOR, format_cursor, load_stored_updated
from goldenthread.sync.store import Store

PREFETCH_PAGES = 24  # search pages buffered ahead of the committer (~2 bulkfetch batches)
MAX_BATCHES_IN_FLIGHT = 3
CHANGELOG_WORKERS = 2
BATCH_PAGES = 10  # also bounds a batch of unchanged pages, which needs no bulkfetch

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
    keys: set[str] = field(default_factory=set)  # every issue key the searches returned


@dataclass
class _Batch:
    pages: list[tuple[SearchPage, list[dict[str, Any]]]] = field(default_factory=list)  # page, issues to save
    ids: list[str] = field(default_factory=list)
    histories: Future[dict[str, list[dict[str, Any]]]] | None = None


def _produce(stream: int, pages: Iterator[SearchPage], out: queue.Queue[_Item], stop: threading.Event) -> None:
    def put(item: _Item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    try:
        for page in pages:
            page.stream = stream
            if not put(page):
                return
        # the end of a stream travels through the batches like a page: the stream counts as
        # complete (for the cursor) only once everything before it is committed
        put(SearchPage(-1, [], stream=stream, end=True))
    except BaseException as exc:  # noqa: BLE001 - handed to the committer, which re-raises it
        put(_Failed(stream, exc))


@dataclass
class _Failed:
    stream: int
    error: BaseException


_Item = SearchPage | _Failed  # what the producers hand the committer


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
        self._stream_cursor: dict[int, datetime | None] = {}
        self._complete: set[int] = set()
        self._ends = 0

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
        self._advance_cursor(page)
        with self.store.begin() as conn:
            if snaps:
                self.store.save_snapshots_in(conn, snaps, self.run_start, full_history=True)
            if self.stats.cursor is not None:
                self.store.save_state(CURSOR, format_cursor(self.stats.cursor), self.run_start, conn=conn)
        self.stats.upserted += len(snaps)
        if page.end:
            return
        self.stats.pages += 1
        self.stats.keys.update(str(raw["key"]) for raw in page.issues)
        if self.on_page is not None:
            self.on_page(page.index, len(page.issues))

    def _advance_cursor(self, page: SearchPage) -> None:
        """The cursor covers every committed issue (even unchanged ones) and never passes the run's
        start: anything updated after we started is picked up by the next run. With several
        streams it is the least advanced unfinished stream's, so no uncommitted page is skipped."""
        mine = self._stream_cursor.get(page.stream)
        for raw in page.issues:
            updated = parse_datetime((raw.get("fields") or {}).get("updated"))
            if updated is not None:
                capped = min(updated, self.run_start)
                if mine is None or capped > mine:
                    mine = capped
        self._stream_cursor[page.stream] = mine
        if page.end:
            self._complete.add(page.stream)
        if len(self._streams_seen) <= 1:
            if mine is not None and (self.stats.cursor is None or mine > self.stats.cursor):
                self.stats.cursor = mine
            return
        open_ = [self._stream_cursor.get(s) for s in self._streams_seen if s not in self._complete]
        if not open_:
            done = [c for c in self._stream_cursor.values() if c is not None]
            self.stats.cursor = max(done) if done else self.stats.cursor
        elif all(c is not None for c in open_):
            self.stats.cursor = min(open_)  # type: ignore[type-var]
        else:
            self.stats.cursor = None  # a stream has committed nothing yet: no safe cursor

    # -- drivers --------------------------------------------------------------------------
    def run(self, *streams: Iterator[SearchPage]) -> PageStats:
        """Page `streams` (disjoint searches) side by side, commit as described above."""
        q: queue.Queue[_Item] = queue.Queue(maxsize=PREFETCH_PAGES)
        stop = threading.Event()
        self._streams_seen = set(range(len(streams)))
        producers = [
            threading.Thread(target=_produce, args=(n, pages, q, stop), name=f"gt-search-{n}", daemon=True)
            for n, pages in enumerate(streams)
        ]
        for producer in producers:
            producer.start()
        self._search_error: BaseException | None = None
        try:
            if self.jira.profile.changelog_in_search:
                self._run_dc(q)
            else:
                self._run_cloud(q)
            if self._search_error is not None:
                raise self._search_error
        finally:
            stop.set()
            for producer in producers:
                producer.join(timeout=30)
        return self.stats

    def _next(self, q: queue.Queue[_Item]) -> SearchPage | None:
        """The next page (a stream's end marker included); None once every stream has ended.

        A stream that fails ends there; the others are paged to their end and committed before
        the first failure is raised, so a failed run keeps all the work that could be done."""
        while self._ends < len(self._streams_seen):
            item = q.get()
            if isinstance(item, _Failed):
                self._ends += 1
                if self._search_error is None:
                    self._search_error = item.error
                continue
            if item.end:
                self._ends += 1
                if self._ends == len(self._streams_seen) and self._search_error is None \
                        and self.on_search_done is not None:
                    self.on_search_done()  # e.g. start the census while the last pages commit
                return item
            self.stats.fetched += len(item.issues)
            return item
        return None

    def _run_dc(self, q: queue.Queue[_Item]) -> None:
        # Data Center: histories arrive inside the search page (expand=changelog)
        while (page := self._next(q)) is not None:
            changed = self._changed(page.issues)
            self.stats.changelogs += len(changed)
            self._commit_page(page, changed, None)

    def _run_cloud(self, q: queue.Queue[_Item]) -> None:
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
