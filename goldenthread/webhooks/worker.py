"""Inbox worker and debounced page publisher (threads inside `serve`)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from tenacity import RetryCallState, wait_exponential_jitter

from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import (
    InboxEvent,
    claim_due_pages,
    claim_events,
    complete_event,
    complete_events_in,
    fail_event,
    load_claimers,
    load_inbox_activity,
    release_claims_of,
    release_event,
    renew_claims,
    retry_event,
    save_pages_dirty,
)
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import (
    EventHandlers,
    PermanentEventError,
    build_event_plans,
    save_event_plans_in,
)

log = logging.getLogger("goldenthread.worker")
Clock = Callable[[], datetime]

# tenacity's backoff policy, used for when an event becomes claimable again rather than for an
# in-process sleep: the event waits in the store, so nothing is lost if this replica dies.
RETRY_WAIT = wait_exponential_jitter(multiplier=5, max=600, exp_base=2, jitter=5)


def compute_retry_delay(attempt: int) -> timedelta:
    # a wait strategy reads only attempt_number: no Retrying object behind this state (tenacity's
    # annotation asks for one)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempt)
    return timedelta(seconds=float(RETRY_WAIT(state)))


#: How long a claim holds without a heartbeat. A live worker renews it every third of that
#: (Worker.heartbeat_once), however long its batch takes, so a dead worker's events are claimable
#: again within seconds instead of after a long fixed lease.
LEASE = timedelta(seconds=10)
#: A batch whose worker still beats but has not finished after this long is given up to the
#: lease: a worker stuck for good (a hung call) must not hold its events forever.
MAX_HOLD = timedelta(minutes=15)


def compute_dead_claimers(claimers: Sequence[str], replica: str, alive: Callable[[int], bool]) -> list[str]:
    """The claimers that are earlier incarnations of this replica's host: replica ids are
    `host:pid:nonce[/worker]` (server.build_replica_id). A claimer on this host whose process is
    gone, or that has our pid but another nonce (a restarted container reuses pid 1), is dead."""
    host, pid, nonce = (replica.split(":") + ["", ""])[:3]
    dead = []
    for claimer in claimers:
        c_host, c_pid, c_rest = (claimer.split(":") + ["", ""])[:3]
        if c_host != host or not c_pid.isdigit() or c_rest.split("/")[0] == nonce:
            continue
        if c_pid == pid or not alive(int(c_pid)):
            dead.append(claimer)
    return dead


def is_pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def release_dead_claims(store: Store, replica: str, now: datetime,
                        alive: Callable[[int], bool] = is_pid_alive) -> int:
    """At start-up: take back at once what a killed earlier `serve` on this host held."""
    dead = compute_dead_claimers(load_claimers(store), replica, alive)
    released = release_claims_of(store, dead, now)
    if released:
        log.warning("resumed %d event(s) a stopped earlier process (%s) was processing", released, ", ".join(dead))
    return released


def _describe(exc: BaseException) -> str:
    # exception text only, never the request: transport errors redact secrets already
    return f"{type(exc).__name__}: {exc}"[:500]


class Worker:
    """Claims inbox events and applies them. `before_apply` is a test hook (e.g. hang mid-event)."""

    def __init__(
        self,
        store: Store,
        handlers: EventHandlers,
        metrics: Metrics,
        *,
        worker_id: str,
        clock: Clock,
        lease: timedelta = LEASE,
        max_attempts: int = 12,
        batch: int = 100,
        before_apply: Callable[[InboxEvent], None] | None = None,
        yield_quiet: timedelta | None = None,
        yield_max_lag: timedelta = timedelta(seconds=60),
    ) -> None:
        self.store, self.handlers, self.metrics = store, handlers, metrics
        self.worker_id, self.clock, self.lease = worker_id, clock, lease
        self.max_attempts, self.batch, self.before_apply = max_attempts, batch, before_apply
        self.yield_quiet, self.yield_max_lag = yield_quiet, yield_max_lag
        self.resume_first = False  # set at start-up when events of a killed predecessor were released
        self._hand_lock = threading.Lock()
        self._in_hand: tuple[list[int], datetime] | None = None  # claimed ids and when

    def _hold(self, ids: list[int] | None) -> None:
        with self._hand_lock:
            self._in_hand = (ids, self.clock()) if ids else None

    def heartbeat_once(self) -> int:
        """Renew the lease of the batch in hand (called from another thread every lease / 3)."""
        with self._hand_lock:
            held = self._in_hand
        if held is None:
            return 0
        ids, since = held
        now = self.clock()
        if now - since > MAX_HOLD:
            log.error("batch of %d event(s) held for over %s: no longer renewed", len(ids), MAX_HOLD)
            return 0
        return renew_claims(self.store, self.worker_id, ids, now)

    def should_yield(self) -> bool:
        """SQLite has one writer: every worker commit stalls the receiver's commit, which is the
        202 latency. With `yield_quiet` set, the worker leaves the lock to the receiver while
        deliveries keep arriving (one within `yield_quiet`), unless a pending event has been due
        for `yield_max_lag`: a burst is acknowledged fast and applied right after it, and a
        load that never pauses is still applied, only with contention."""
        if self.yield_quiet is None:
            return False
        newest, oldest = load_inbox_activity(self.store)
        now = self.clock()
        return bool(newest and oldest and now - newest < self.yield_quiet and now - oldest < self.yield_max_lag)

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Claim one batch and process it; returns how many events were claimed.

        The batch is decided first (Jira calls outside any transaction), then every store write
        and every completion of the batch commits in ONE transaction: per-event commits were most
        of the worker's cost and, on SQLite, held the write lock the receiver needs. Killed before
        that commit, the whole batch is claimed again after its lease (processing is idempotent)."""
        events = claim_events(self.store, self.worker_id, self.clock(), self.lease, self.batch)
        self._hold([ev.id for ev in events])
        try:
            return self._run_claimed(events, stop)
        finally:
            self._hold(None)

    def _run_claimed(self, events: list[InboxEvent], stop: threading.Event | None) -> int:
        if stop is not None and stop.is_set():
            # graceful shutdown: hand back what we have not started, at no attempt cost
            for ev in events:
                release_event(self.store, ev.id, self.worker_id)
            return len(events)
        todo = []
        for ev in events:
            if ev.attempts > self.max_attempts:
                self._give_up(ev, f"gave up after {self.max_attempts} attempts")
                continue
            if self.before_apply is not None:
                self.before_apply(ev)
            todo.append(ev)
        if todo:
            self._process_batch(todo)
        return len(events)

    def _give_up(self, ev: InboxEvent, note: str) -> None:
        fail_event(self.store, ev.id, self.worker_id, note, self.clock())
        self.metrics.failed.labels(ev.event, "gave_up").inc()
        log.error("event abandoned", extra=self._extra(ev))

    @staticmethod
    def _extra(ev: InboxEvent) -> dict[str, Any]:
        return {"gt_event_id": ev.id, "gt_event": ev.event, "gt_issue": ev.issue_key, "gt_attempt": ev.attempts}

    def _process_batch(self, events: list[InboxEvent]) -> None:
        try:
            plans = build_event_plans(self.store, self.handlers, [(ev.id, ev.payload) for ev in events])
        except Exception as exc:  # noqa: BLE001 - the store's read failed: every event waits its retry
            for ev in events:
                self._failed_quietly(ev, exc)
            return
        ok = [(ev, p) for ev, p in zip(events, plans, strict=True) if p.error is None]
        now = self.clock()
        try:
            with self.store.begin() as conn:
                save_event_plans_in(conn, self.store, [p for _, p in ok], now)
                complete_events_in(conn, self.worker_id, now, [
                    (ev.id, "ignored" if p.result.action.kind in ("ignore", "own") else "done", p.result.action.reason or None)
                    for ev, p in ok
                ])
        except Exception:  # noqa: BLE001 - one bad write must not sink the batch: redo one by one
            log.warning("batch of %d failed; processing its events one by one", len(events), exc_info=True)
            for ev in events:
                self.process(ev)
            return
        for ev, p in ok:
            self.metrics.processed.labels(ev.event, p.result.action.kind).inc()
            log.info("event %s: %s", p.result.action.kind, p.result.action.reason, extra=self._extra(ev))
        for ev, p in zip(events, plans, strict=True):
            if p.error is not None:
                self._failed_quietly(ev, p.error)

    def _failed_quietly(self, ev: InboxEvent, exc: BaseException) -> None:
        try:
            self._failed(ev, exc)
        except Exception:  # noqa: BLE001 - store down: the event's lease hands it back later
            log.exception("could not record the failure of event %d", ev.id)

    def _failed(self, ev: InboxEvent, exc: BaseException) -> None:
        extra = self._extra(ev)
        # a RecursionError (a payload the mappings cannot walk) recurs on every attempt
        if isinstance(exc, (PermanentEventError, RecursionError)):
            fail_event(self.store, ev.id, self.worker_id, _describe(exc), self.clock())
            self.metrics.failed.labels(ev.event, "permanent").inc()
            log.error("event failed permanently: %s", _describe(exc), extra=extra)
            return
        if ev.attempts >= self.max_attempts:
            fail_event(self.store, ev.id, self.worker_id, _describe(exc), self.clock())
            self.metrics.failed.labels(ev.event, "gave_up").inc()
            log.error("event failed, giving up: %s", _describe(exc), extra=extra)
            return
        retry_at = self.clock() + compute_retry_delay(ev.attempts)
        retry_event(self.store, ev.id, self.worker_id, _describe(exc), retry_at)
        self.metrics.failed.labels(ev.event, "retry").inc()
        log.warning("event failed, retry at %s: %s", retry_at.isoformat(), _describe(exc), extra=extra)

    def process(self, ev: InboxEvent) -> None:
        """One event on its own (several transactions): the fallback when a batch write fails."""
        extra = self._extra(ev)
        if ev.attempts > self.max_attempts:
            self._give_up(ev, f"gave up after {self.max_attempts} attempts")
            return
        try:
            # the batch's own decision and write, for a batch of one
            (plan,) = build_event_plans(self.store, self.handlers, [(ev.id, ev.payload)])
            if plan.error is not None:
                raise plan.error
            now = self.clock()
            with self.store.begin() as conn:
                save_event_plans_in(conn, self.store, [plan], now)
        except Exception as exc:  # noqa: BLE001 - Jira down, store blip: retry later, never drop
            self._failed(ev, exc)
            return
        result = plan.result
        status = "ignored" if result.action.kind in ("ignore", "own") else "done"
        complete_event(self.store, ev.id, self.worker_id, self.clock(), status=status, note=result.action.reason or None)
        self.metrics.processed.labels(ev.event, result.action.kind).inc()
        log.info("event %s: %s", result.action.kind, result.action.reason, extra=extra)

    def run(self, stop: threading.Event, idle_wait: float = 0.5) -> None:
        while not stop.is_set():
            try:
                if self.resume_first:
                    # events a killed predecessor held (release_dead_claims) are the oldest: the
                    # first batch takes them at once, not when the receiver's burst pauses
                    self.resume_first = False
                elif self.should_yield():
                    stop.wait(idle_wait)
                    continue
                claimed = self.run_once(stop)
            except Exception:  # noqa: BLE001 - keep the loop alive across store outages
                log.exception("worker loop error")
                claimed = 0
            if claimed < self.batch:
                # a partial batch means we are caught up: wait so the next one is bigger. Each
                # claim is a write transaction, and on SQLite every one of them stalls the
                # receiver's commit; batching the backlog keeps the lock free most of the time
                stop.wait(idle_wait)


class PagePublisher:
    """Publishes dirty pages once they have been dirty for `debounce`: a burst of updates to the
    backlog costs one write per page, however many events it contained."""

    def __init__(
        self,
        store: Store,
        publish: Callable[[Sequence[str]], Any],
        metrics: Metrics,
        *,
        clock: Clock,
        debounce: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store, self.publish, self.metrics = store, publish, metrics
        self.clock, self.debounce = clock, debounce

    def run_once(self) -> list[str]:
        keys = claim_due_pages(self.store, self.clock(), self.debounce)
        if not keys:
            return []
        try:
            result = self.publish(keys)
        except Exception as exc:  # noqa: BLE001 - Confluence down: mark dirty again, retry next window
            save_pages_dirty(self.store, keys, self.clock())
            for k in keys:
                self.metrics.publishes.labels(k, "failed").inc()
            log.warning("publish of %s failed, will retry: %s", ",".join(keys), _describe(exc))
            return []
        # a run publishes every page it can and names the ones that failed: only those wait again
        failed = {p.key for p in getattr(result, "failed", ())} & set(keys)
        if failed:
            save_pages_dirty(self.store, sorted(failed), self.clock())
            log.warning("publish of %s failed, will retry", ",".join(sorted(failed)))
        for k in keys:
            self.metrics.publishes.labels(k, "failed" if k in failed else "ok").inc()
        return [k for k in keys if k not in failed]

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001
                log.exception("publisher loop error")
            stop.wait(interval)
