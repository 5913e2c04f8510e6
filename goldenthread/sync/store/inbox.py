"""The webhook inbox and the dirty-page queue, over the store (I/O).

A delivery is saved before it is acknowledged; workers claim events with a lease so a worker
killed mid-event leaves it to be claimed again once the lease expires. On PostgreSQL several
replicas claim concurrently with `FOR UPDATE SKIP LOCKED`; SQLite serialises writers, so the
claim there is a single atomic UPDATE ... RETURNING (one claimer at a time by construction).

Tests: tests/webhooks/test_receiver.py, tests/webhooks/test_worker.py"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update

from goldenthread.reports.pages import LIVE_PAGES as LIVE_PAGE_BUILDERS
from goldenthread.sync.store import schema as t
from goldenthread.sync.store.bulk import save_rows
from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store.core import Store

inbox = t.webhook_inbox
pages = t.published_pages

#: Pages every issue change can alter; monthly reports are published by the scheduler only.
# the pages a change of the backlog makes stale: the reports layer's registry decides
LIVE_PAGES: tuple[str, ...] = tuple(LIVE_PAGE_BUILDERS)


@dataclass(frozen=True, slots=True)
class InboxEvent:
    id: int
    dedupe_key: str
    event: str
    issue_key: str | None
    payload: str
    received_at: datetime
    attempts: int
    claimed_by: str | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    dedupe_key: str
    event: str
    issue_key: str | None
    payload: str
    received_at: datetime
    ignored: bool = False


_COLS = ("dedupe_key", "event", "issue_key", "payload", "received_at", "status", "attempts", "available_at",
         "processed_at", "duplicates")
_SQLITE_INSERT = (
    f"INSERT INTO webhook_inbox ({', '.join(_COLS)}) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, 0) "
    "ON CONFLICT (dedupe_key) DO NOTHING"
)
_SQLITE_DUPLICATE = "UPDATE webhook_inbox SET duplicates = duplicates + 1 WHERE dedupe_key = ?"
# one statement for the whole batch (arrays, not a VALUES list: the text is the same for every
# batch size, so the server can keep it prepared); RETURNING names the rows actually inserted.
# %b: arrays sent in binary. In text format psycopg escapes every quote of every JSON payload
# with a regex callback, which was ~45% of the receiver's CPU on PostgreSQL.
_PG_INSERT = (
    f"INSERT INTO webhook_inbox ({', '.join(_COLS)}) "
    "SELECT k, e, i, p, r, s, 0, r, pr, 0 FROM unnest("
    "%b::varchar[], %b::varchar[], %b::varchar[], %b::text[], %b::timestamptz[], %b::varchar[], %b::timestamptz[]"
    ") AS u(k, e, i, p, r, s, pr) ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key"
)
_PG_DUPLICATES = (
    "UPDATE webhook_inbox SET duplicates = webhook_inbox.duplicates + d.n "
    "FROM unnest(%s::varchar[], %s::int[]) AS d(k, n) WHERE webhook_inbox.dedupe_key = d.k"
)


def _row(e: NewEvent) -> tuple[Any, ...]:
    return (e.dedupe_key, e.event[:128], e.issue_key[:64] if e.issue_key else None, e.payload, e.received_at,
            "ignored" if e.ignored else "pending", e.received_at if e.ignored else None)


def save_events(store: Store, events: list[NewEvent]) -> list[bool]:
    """Persist deliveries in ONE transaction (group commit); per event True when new, False when
    it duplicates one already stored (or an earlier one of the batch), whose `duplicates` count
    is bumped. All or nothing: on error nothing of the batch is kept.

    This is the receiver's hot path, so it talks to the DBAPI connection directly: SQLAlchemy's
    statement execution and a duplicate-check SELECT per batch were ~20% of the receiver's CPU in
    bench/webhooks.py. Whether a row is new is decided by the INSERT itself (ON CONFLICT DO
    NOTHING), so concurrent redeliveries on several replicas still collapse to one row and the
    flag is exact: a conflicting insert of another replica's open transaction waits for it."""
    if not events:
        return []
    raw = store.engine.raw_connection()
    try:
        if store.dialect == "postgresql":
            out = _save_pg(raw.cursor(), events)
        else:
            out = _save_sqlite(raw.cursor(), store, events)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()  # back to the pool
    return out


def _save_sqlite(cur: Any, store: Store, events: list[NewEvent]) -> list[bool]:
    # the dialect's own bind processor, so timestamps are the exact text SQLAlchemy writes and
    # compares elsewhere (claim_events' `available_at <= now` is a string comparison on SQLite)
    ts = inbox.c.received_at.type.dialect_impl(store.engine.dialect).bind_processor(store.engine.dialect)
    if ts is None:  # SQLite's DateTime always has one; without it the value goes as it is
        def ts(value: Any) -> Any:
            return value
    out = []
    for e in events:
        k, ev, key, payload, at, status, done = _row(e)
        at_text = ts(at)
        # SQLite runs in-process: a statement per row costs microseconds and tells us exactly
        # which rows conflicted, batch-internal duplicates included
        cur.execute(_SQLITE_INSERT, (k, ev, key, payload, at_text, status, at_text, at_text if done else None))
        new = cur.rowcount == 1
        if not new:
            cur.execute(_SQLITE_DUPLICATE, (k,))
        out.append(new)
    return out


def _save_pg(cur: Any, events: list[NewEvent]) -> list[bool]:
    first: dict[str, NewEvent] = {}
    for e in events:
        first.setdefault(e.dedupe_key, e)
    rows = [_row(e) for e in first.values()]
    cur.execute(_PG_INSERT, [list(col) for col in zip(*rows, strict=True)])
    inserted = {r[0] for r in cur.fetchall()}
    out: list[bool] = []
    seen: set[str] = set()
    repeats: dict[str, int] = {}
    for e in events:
        new = e.dedupe_key in inserted and e.dedupe_key not in seen
        seen.add(e.dedupe_key)
        out.append(new)
        if not new:
            repeats[e.dedupe_key] = repeats.get(e.dedupe_key, 0) + 1
    if repeats:
        cur.execute(_PG_DUPLICATES, (list(repeats), list(repeats.values())))
    return out


def save_event(
    store: Store,
    *,
    dedupe_key: str,
    event: str,
    issue_key: str | None,
    payload: str,
    received_at: datetime,
    ignored: bool = False,
) -> bool:
    """Persist one delivery; True when new, False when it duplicates one already stored."""
    return save_events(store, [NewEvent(dedupe_key, event, issue_key, payload, received_at, ignored)])[0]


def _event(row: Any) -> InboxEvent:
    return InboxEvent(
        id=row.id,
        dedupe_key=row.dedupe_key,
        event=row.event,
        issue_key=row.issue_key,
        payload=row.payload,
        received_at=parse_datetime(row.received_at),  # type: ignore[arg-type]
        attempts=row.attempts,
        claimed_by=row.claimed_by,
    )


def claim_events(store: Store, worker_id: str, now: datetime, lease: timedelta, limit: int = 1) -> list[InboxEvent]:
    """Claim up to `limit` due events (pending and available, or processing with an expired lease)."""
    due = or_(
        and_(inbox.c.status == "pending", inbox.c.available_at <= now),
        and_(inbox.c.status == "processing", inbox.c.claimed_at < now - lease),
    )
    pick = select(inbox.c.id).where(due).order_by(inbox.c.id).limit(limit)
    if store.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(inbox)
        .where(inbox.c.id.in_(pick.scalar_subquery()))
        .values(status="processing", claimed_by=worker_id, claimed_at=now, attempts=inbox.c.attempts + 1)
        .returning(*inbox.c)
    )
    with store.begin() as conn:
        rows = list(conn.execute(stmt))
    return sorted((_event(r) for r in rows), key=lambda e: e.id)


def _mine(event_id: int, worker_id: str) -> Any:
    # a worker whose lease expired must not overwrite the state set by the worker that took over
    return and_(inbox.c.id == event_id, inbox.c.status == "processing", inbox.c.claimed_by == worker_id)


def complete_events_in(conn: Connection, worker_id: str, now: datetime, done: Sequence[tuple[int, str, str | None]]) -> None:
    """Complete (event id, status, note) triples inside the caller's transaction, so a batch's
    store writes and its completions commit together (one commit per batch, not per event)."""
    if not done:
        return
    stmt = (
        update(inbox)
        .where(inbox.c.id == bindparam("eid"), inbox.c.status == "processing", inbox.c.claimed_by == worker_id)
        .values(status=bindparam("st"), processed_at=now, error=bindparam("note"))
    )
    conn.execute(stmt, [{"eid": i, "st": st, "note": note} for i, st, note in done])


def complete_event(store: Store, event_id: int, worker_id: str, now: datetime, *, status: str = "done", note: str | None = None) -> bool:
    with store.begin() as conn:
        res = conn.execute(update(inbox).where(_mine(event_id, worker_id)).values(status=status, processed_at=now, error=note))
    return bool(res.rowcount)


def retry_event(store: Store, event_id: int, worker_id: str, error: str, available_at: datetime) -> bool:
    """Put the event back for a later attempt (transient failure such as Jira being down)."""
    with store.begin() as conn:
        res = conn.execute(
            update(inbox)
            .where(_mine(event_id, worker_id))
            .values(status="pending", available_at=available_at, claimed_by=None, claimed_at=None, error=error[:2000])
        )
    return bool(res.rowcount)


def fail_event(store: Store, event_id: int, worker_id: str, error: str, now: datetime) -> bool:
    """Give up on the event: it stays in the inbox as `failed` for an admin to inspect."""
    with store.begin() as conn:
        res = conn.execute(
            update(inbox).where(_mine(event_id, worker_id)).values(status="failed", processed_at=now, error=error[:2000])
        )
    return bool(res.rowcount)


def renew_claims(store: Store, worker_id: str, event_ids: Sequence[int], now: datetime) -> int:
    """The heartbeat: push the lease of events this worker still holds forward to `now`. Events it
    completed meanwhile, or that another worker took over, are left alone. Returns how many."""
    if not event_ids:
        return 0
    with store.begin() as conn:
        res = conn.execute(
            update(inbox)
            .where(inbox.c.id.in_(list(event_ids)), inbox.c.status == "processing", inbox.c.claimed_by == worker_id)
            .values(claimed_at=now)
        )
    return int(res.rowcount or 0)


def load_claimers(store: Store) -> list[str]:
    """Every worker id that holds events in processing."""
    with store.engine.connect() as conn:
        return [c for c in conn.scalars(select(inbox.c.claimed_by).where(inbox.c.status == "processing").distinct()) if c]


def release_claims_of(store: Store, claimers: Sequence[str], now: datetime) -> int:
    """Hand back everything `claimers` (workers known to be dead) hold, due at once. The attempt
    they used stays counted: an event that kills its worker every time must still run out."""
    if not claimers:
        return 0
    with store.begin() as conn:
        res = conn.execute(
            update(inbox)
            .where(inbox.c.status == "processing", inbox.c.claimed_by.in_(list(claimers)))
            .values(status="pending", claimed_by=None, claimed_at=None, available_at=now)
        )
    return int(res.rowcount or 0)


def release_event(store: Store, event_id: int, worker_id: str) -> bool:
    """Hand an unfinished event back on shutdown, without counting the attempt."""
    with store.begin() as conn:
        res = conn.execute(
            update(inbox)
            .where(_mine(event_id, worker_id))
            .values(status="pending", claimed_by=None, claimed_at=None, attempts=inbox.c.attempts - 1)
        )
    return bool(res.rowcount)


def load_inbox_stats(store: Store, now: datetime) -> dict[str, Any]:
    """Counts by status, duplicates, and the age of the oldest unprocessed event (lag)."""
    with store.engine.connect() as conn:
        counts = {r.status: int(r.n) for r in conn.execute(select(inbox.c.status, func.count().label("n")).group_by(inbox.c.status))}
        # the WHERE lets both databases answer from the partial index ix_inbox_duplicated
        repeated = select(func.coalesce(func.sum(inbox.c.duplicates), 0)).where(inbox.c.duplicates > 0)
        duplicates = int(conn.scalar(repeated) or 0)
        # the oldest by id: min(id) reads the status index only, then ONE row is fetched (an
        # aggregate over received_at read every waiting row, through its overflow pages on SQLite)
        first = select(func.min(inbox.c.id)).where(inbox.c.status.in_(("pending", "processing"))).scalar_subquery()
        oldest = conn.scalar(select(inbox.c.received_at).where(inbox.c.id == first))
    oldest_at = parse_datetime(oldest)
    return {
        "counts": counts,
        "depth": counts.get("pending", 0) + counts.get("processing", 0),
        "duplicates": duplicates,
        "oldest_pending": oldest_at,
        "lag_seconds": max(0.0, (now - oldest_at).total_seconds()) if oldest_at else 0.0,
    }


def load_inbox_activity(store: Store) -> tuple[datetime | None, datetime | None]:
    """(newest delivery received, earliest due time of a pending event): two index lookups, cheap
    enough for the worker to ask several times a second. Aggregates over `received_at` scanned the
    whole table, on SQLite through every row's overflow pages (the column sits after the ~5 KiB
    payload): ~90 ms of CPU per call at 35k rows, taken from the receiver the worker yields to."""
    with store.engine.connect() as conn:
        newest = conn.scalar(select(inbox.c.received_at).order_by(inbox.c.id.desc()).limit(1))
        oldest = conn.scalar(select(func.min(inbox.c.available_at)).where(inbox.c.status == "pending"))
    return parse_datetime(newest), parse_datetime(oldest)


def load_failed_events(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The most recently failed events with their reason (the status page lists them)."""
    c = inbox.c
    stmt = (select(c.id, c.event, c.issue_key, c.received_at, c.processed_at, c.attempts, c.error)
            .where(c.status == "failed").order_by(c.id.desc()).limit(limit))
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def load_events(store: Store, *, status: str | None = None) -> list[dict[str, Any]]:
    stmt = select(inbox).order_by(inbox.c.id)
    if status:
        stmt = stmt.where(inbox.c.status == status)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


# --- dirty pages (debounced publishing) --------------------------------------------------------


def save_pages_dirty(store: Store, page_keys: Iterable[str], now: datetime) -> None:
    """Mark pages dirty; `dirty_since` keeps the FIRST mark so a steady stream of updates cannot
    postpone publishing forever (the debounce window is measured from the first change)."""
    with store.begin() as conn:
        save_pages_dirty_in(conn, store.dialect, page_keys, now)


def save_pages_dirty_in(conn: Connection, dialect: str, page_keys: Iterable[str], now: datetime) -> None:
    """`save_pages_dirty` inside the caller's transaction."""
    rows = [(k, k, "", True, now) for k in page_keys]
    save_rows(conn, pages, rows, keys=["page_key"], update_cols=["dirty"], keep_cols=["dirty_since"],
              columns=["page_key", "title", "space", "dirty", "dirty_since"])


def claim_due_pages(store: Store, now: datetime, debounce: timedelta) -> list[str]:
    """Pages dirty for at least `debounce`, each won by exactly one caller (conditional update)."""
    cutoff = now - debounce
    with store.engine.connect() as conn:
        candidates = list(
            conn.scalars(
                select(pages.c.page_key).where(pages.c.dirty.is_(True), pages.c.dirty_since <= cutoff).order_by(pages.c.page_key)
            )
        )
    won = []
    for key in candidates:
        with store.begin() as conn:
            res = conn.execute(
                update(pages)
                .where(pages.c.page_key == key, pages.c.dirty.is_(True), pages.c.dirty_since <= cutoff)
                .values(dirty=False, dirty_since=None)
            )
        if res.rowcount:
            won.append(key)
    return won
