"""Worker: applies events idempotently, retries when Jira is down, own write-back, debounce."""

from __future__ import annotations

import json
from datetime import timedelta

from goldenthread.sync.store.inbox import LIVE_PAGES, load_events, save_event
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.worker import PagePublisher, Worker
from tests.webhooks.helpers import FakeClock, FakeJira, RecordingPublisher, deleted_payload, updated_payload


def enqueue(store, clock, payload, ident=None):  # type: ignore[no-untyped-def]
    from goldenthread.webhooks.processing import parse_event_meta

    event, key = parse_event_meta(payload)
    text = json.dumps(payload)
    return save_event(store, dedupe_key=ident or f"h:{hash(text)}", event=event, issue_key=key, payload=text, received_at=clock())


def make_worker(store, jira, clock, **kw):  # type: ignore[no-untyped-def]
    handlers = EventHandlers(parse_snapshot=jira.parse_snapshot, fetch_snapshot=jira.fetch_snapshot, is_own_change=kw.pop("own", lambda p: False))
    return Worker(store, handlers, Metrics(), worker_id=kw.pop("worker_id", "w1"), clock=clock, **kw)


def drain(worker) -> int:  # type: ignore[no-untyped-def]
    total = 0
    while n := worker.run_once():
        total += n
    return total


def test_status_change_fetches_full_history_and_marks_pages(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1", n_changes=3)
    enqueue(store, clock, updated_payload("IPM-1"))  # changelog has a status item
    assert drain(make_worker(store, jira, clock)) == 1
    assert jira.fetched == ["IPM-1"]
    assert [c.change_id for c in store.load_status_changes()] == ["100", "101", "102"]
    assert [e["status"] for e in load_events(store)] == ["done"]
    dirty = {p["page_key"]: p["dirty"] for p in store.load_all_published()}
    assert dirty == {k: True for k in LIVE_PAGES}


def test_field_update_of_known_issue_upserts_from_payload_without_fetch(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    drain(make_worker(store, jira, clock))
    items = [{"field": "summary", "fieldtype": "jira", "fromString": "a", "toString": "b"}]
    enqueue(store, clock, updated_payload("IPM-1", items=items, updated="2030-01-01T00:00:00.000+0100"))
    drain(make_worker(store, jira, clock))
    assert jira.fetched == ["IPM-1"] and jira.parsed == ["IPM-1"]
    assert store.load_issue("IPM-1").updated.year == 2029  # 2030-01-01T00:00+01:00 in UTC


def test_label_removed_means_left_backlog(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    drain(make_worker(store, jira, clock))
    del jira.snapshots["IPM-1"]  # no longer matches the backlog JQL
    items = [{"field": "labels", "fieldtype": "jira", "fromString": "internal-product", "toString": ""}]
    enqueue(store, clock, updated_payload("IPM-1", items=items))
    drain(make_worker(store, jira, clock))
    assert store.load_live_keys() == set()
    assert [(k, r) for k, _, r in store.load_removed()] == [("IPM-1", "left the backlog (no longer matches backlog_jql)")]


def test_deleted_marks_removed_and_is_idempotent(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    enqueue(store, clock, deleted_payload("IPM-1"), ident="del-1")
    worker = make_worker(store, jira, clock)
    drain(worker)
    # the same delivery again after it was processed: collapses, nothing re-runs
    assert enqueue(store, clock, deleted_payload("IPM-1"), ident="del-1") is False
    assert drain(worker) == 0
    assert [(k, r) for k, _, r in store.load_removed()] == [("IPM-1", "deleted in Jira")]


def test_duplicate_delivery_processed_once(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    for _ in range(3):
        enqueue(store, clock, updated_payload("IPM-1"), ident="dup")
    assert drain(make_worker(store, jira, clock)) == 1
    assert jira.fetched == ["IPM-1"]


def test_jira_down_retries_later_with_backoff_nothing_lost(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira(down=True)
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    worker = make_worker(store, jira, clock)
    assert drain(worker) == 1
    (row,) = load_events(store)
    assert row["status"] == "pending" and row["attempts"] == 1 and "ConnectionError" in row["error"]
    assert drain(worker) == 0  # not due yet: backoff holds it
    jira.down = False
    clock.advance(3600)
    assert drain(worker) == 1
    (row,) = load_events(store)
    assert (row["status"], row["attempts"]) == ("done", 2)
    assert store.load_live_keys() == {"IPM-1"}
    assert jira.fetched == ["IPM-1", "IPM-1"]


def test_gives_up_after_max_attempts(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira(down=True)
    enqueue(store, clock, updated_payload("IPM-1"))
    worker = make_worker(store, jira, clock, max_attempts=3)
    for _ in range(5):
        drain(worker)
        clock.advance(3600)
    (row,) = load_events(store)
    assert (row["status"], row["attempts"]) == ("failed", 3)
    assert len(jira.fetched) == 3


def test_own_write_back_echo_causes_no_write_or_dirty(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    items = [{"field": "Stakeholders", "fieldId": "customfield_10200", "fieldtype": "custom", "from": "", "to": "x"}]
    enqueue(store, clock, updated_payload("IPM-1", items=items))
    drain(make_worker(store, jira, clock, own=lambda p: True))
    assert jira.fetched == [] and jira.parsed == []
    assert store.count("issues") == 0 and store.load_all_published() == []
    assert [e["status"] for e in load_events(store)] == ["ignored"]


def test_expired_lease_is_reclaimed(store) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store.inbox import claim_events

    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    assert len(claim_events(store, "dead-worker", clock(), timedelta(minutes=5))) == 1  # and then it "dies"
    worker = make_worker(store, jira, clock, lease=timedelta(minutes=5))
    assert drain(worker) == 0  # still leased
    clock.advance(301)
    assert drain(worker) == 1
    assert [(e["status"], e["claimed_by"]) for e in load_events(store)] == [("done", "w1")]


def test_burst_of_100_updates_publishes_each_page_once(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira, publish = FakeClock(), FakeJira(), RecordingPublisher()
    for k in ("IPM-1", "IPM-2"):
        jira.full(k)
    worker = make_worker(store, jira, clock)
    publisher = PagePublisher(store, publish, Metrics(), clock=clock, debounce=timedelta(seconds=30))
    for i in range(100):
        enqueue(store, clock, updated_payload(f"IPM-{1 + i % 2}"), ident=f"burst-{i}")
        drain(worker)
        publisher.run_once()
        clock.advance(0.2)  # 100 updates over 20 s: inside one debounce window
    assert publish.calls == []
    clock.advance(10.1)
    publisher.run_once()
    publisher.run_once()
    assert publish.calls == [tuple(sorted(LIVE_PAGES))]
    assert all(not p["dirty"] for p in store.load_all_published())


def test_failed_publish_marks_dirty_again(store) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store.inbox import save_pages_dirty

    clock = FakeClock()
    calls = []

    def flaky(keys):  # type: ignore[no-untyped-def]
        calls.append(tuple(keys))
        if len(calls) == 1:
            raise ConnectionError("Confluence down")

    publisher = PagePublisher(store, flaky, Metrics(), clock=clock, debounce=timedelta(seconds=30))
    save_pages_dirty(store, ["roadmap"], clock())
    clock.advance(31)
    assert publisher.run_once() == []
    assert publisher.run_once() == []  # re-marked at failure time: waits another window
    clock.advance(31)
    assert publisher.run_once() == ["roadmap"]
    assert calls == [("roadmap",), ("roadmap",)]


def test_poison_event_fails_alone_and_its_batch_is_applied(store) -> None:  # type: ignore[no-untyped-def]
    """A payload nested 1,000 deep (the receiver used to accept it) sat in a batch of valid ones:
    the worker's decoder raised RecursionError out of the batch and nothing was applied."""
    from goldenthread.sync.store.inbox import load_failed_events
    from goldenthread.webhooks.status import load_status, render_status_page

    clock, jira = FakeClock(), FakeJira()
    for i in range(20):
        jira.full(f"IPM-{i}")
        enqueue(store, clock, updated_payload(f"IPM-{i}"), ident=f"ok-{i}")
        if i == 10:
            deep = '{"webhookEvent":"jira:issue_updated","x":' + "[" * 1000 + "]" * 1000 + "}"
            save_event(store, dedupe_key="poison", event="jira:issue_updated", issue_key="IPM-99", payload=deep,
                       received_at=clock())
    worker = make_worker(store, jira, clock)
    assert worker.run_once() == 21  # one batch: the poison and its 20 neighbours
    by_key = {e["dedupe_key"]: e for e in load_events(store)}
    assert [by_key[f"ok-{i}"]["status"] for i in range(20)] == ["done"] * 20
    assert store.load_live_keys() == {f"IPM-{i}" for i in range(20)}
    assert by_key["poison"]["status"] == "failed" and "deeper than" in by_key["poison"]["error"]
    (failed,) = load_failed_events(store)
    html = render_status_page(load_status(store, clock()), [])
    assert failed["id"] == by_key["poison"]["id"] and "deeper than 64 levels" in html


def test_an_exception_while_planning_one_event_leaves_the_others_alone(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    for k in ("IPM-1", "IPM-2", "IPM-3"):
        jira.full(k)
        enqueue(store, clock, updated_payload(k), ident=k)
    real = jira.fetch_snapshot

    def fetch(key):  # type: ignore[no-untyped-def]
        if key == "IPM-2":
            raise RecursionError("maximum recursion depth exceeded")  # a payload the mappings cannot walk
        return real(key)

    jira.fetch_snapshot = fetch  # type: ignore[method-assign]
    assert make_worker(store, jira, clock).run_once() == 3
    assert {e["dedupe_key"]: e["status"] for e in load_events(store)} == {"IPM-1": "done", "IPM-2": "failed", "IPM-3": "done"}


def test_stored_event_with_a_hostile_key_fails_without_calling_jira(store) -> None:  # type: ignore[no-untyped-def]
    # a row stored before the receiver validated keys: it must never reach a Jira URL
    clock, jira = FakeClock(), FakeJira()
    enqueue(store, clock, updated_payload("IPM-1/../../myself"))
    enqueue(store, clock, deleted_payload("IPM-1?expand=changelog&x="))
    assert drain(make_worker(store, jira, clock)) == 2
    assert jira.fetched == [] and jira.parsed == [] and store.count("issues") == 0
    assert [(e["status"], "not a Jira issue key" in e["error"]) for e in load_events(store)] == [("failed", True)] * 2


def test_a_page_that_failed_in_a_run_waits_again_the_others_are_done(store) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.confluence.outcomes import PageOutcome, PublishResult
    from goldenthread.sync.store.inbox import save_pages_dirty

    clock = FakeClock()
    calls: list[tuple[str, ...]] = []

    def publish(keys):  # type: ignore[no-untyped-def]
        calls.append(tuple(keys))
        outcome = "failed" if len(calls) == 1 else "updated"
        return PublishResult([PageOutcome("roadmap", "Roadmap", outcome), PageOutcome("whats_new", "What's new", "updated")])

    publisher = PagePublisher(store, publish, Metrics(), clock=clock, debounce=timedelta(seconds=30))
    save_pages_dirty(store, ["roadmap", "whats_new"], clock())
    clock.advance(31)
    assert publisher.run_once() == ["whats_new"]
    assert {p["page_key"]: p["dirty"] for p in store.load_all_published()} == {"roadmap": True, "whats_new": False}
    clock.advance(31)
    assert publisher.run_once() == ["roadmap"] and calls == [("roadmap", "whats_new"), ("roadmap",)]


def test_a_batch_whose_write_fails_is_redone_one_event_at_a_time(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The single-event path (the fallback when the batch's one transaction fails) decides and
    writes through the batch's own functions: the good events land, the bad one waits for a retry."""
    clock, jira = FakeClock(), FakeJira()
    for key in ("IPM-1", "IPM-2", "IPM-9"):
        jira.full(key)
    enqueue(store, clock, updated_payload("IPM-2"))
    drain(make_worker(store, jira, clock))
    real = store.save_snapshots_in

    def refuse_ipm_9(conn, snaps, *args, **kw):  # type: ignore[no-untyped-def]
        if any(s.issue.key == "IPM-9" for s in snaps):
            raise RuntimeError("disk full while writing IPM-9")
        return real(conn, snaps, *args, **kw)

    monkeypatch.setattr(store, "save_snapshots_in", refuse_ipm_9)
    enqueue(store, clock, updated_payload("IPM-1"))
    enqueue(store, clock, updated_payload("IPM-9"))
    enqueue(store, clock, deleted_payload("IPM-2"), ident="del-2")
    assert make_worker(store, jira, clock).run_once() == 3
    rows = {(e["issue_key"], e["event"]): e for e in load_events(store)}
    assert {k: (r["status"], r["attempts"]) for k, r in rows.items()} == {
        ("IPM-2", "jira:issue_updated"): ("done", 1), ("IPM-1", "jira:issue_updated"): ("done", 1),
        ("IPM-9", "jira:issue_updated"): ("pending", 1), ("IPM-2", "jira:issue_deleted"): ("done", 1),
    }  # fmt: skip
    assert "disk full while writing IPM-9" in rows["IPM-9", "jira:issue_updated"]["error"]
    assert store.load_live_keys() == {"IPM-1"}
    assert [(k, r) for k, _, r in store.load_removed()] == [("IPM-2", "deleted in Jira")]


def test_a_dead_workers_claims_expire_in_seconds(store) -> None:  # type: ignore[no-untyped-def]
    """After a SIGKILL, 100 claimed events waited 298 s (the 5-minute lease) for a restart."""
    from goldenthread.sync.store.inbox import claim_events
    from goldenthread.webhooks.worker import LEASE

    clock, jira = FakeClock(), FakeJira()
    for i in range(100):
        jira.full(f"IPM-{i}")
        enqueue(store, clock, updated_payload(f"IPM-{i}"), ident=f"e{i}")
    assert len(claim_events(store, "host:4242:dead/0", clock(), LEASE, 100)) == 100  # and then it is killed
    survivor = make_worker(store, jira, clock)  # the default lease
    assert survivor.run_once() == 0
    clock.advance(10.5)
    assert LEASE <= timedelta(seconds=10) and drain(survivor) == 100
    assert {e["status"] for e in load_events(store)} == {"done"}


def test_the_heartbeat_keeps_a_long_batch_from_being_taken_over(store) -> None:  # type: ignore[no-untyped-def]
    clock, jira = FakeClock(), FakeJira()
    for k in ("IPM-1", "IPM-2"):
        jira.full(k)
        enqueue(store, clock, updated_payload(k), ident=k)
    other = make_worker(store, jira, clock, worker_id="w2")
    seen: list[int] = []

    def slow_event(ev):  # type: ignore[no-untyped-def]
        # each event takes 8 s (a slow Jira): longer than the lease in total, renewed meanwhile
        clock.advance(8)
        assert busy.heartbeat_once() == 2
        seen.append(other.run_once())

    busy = make_worker(store, jira, clock, before_apply=slow_event)
    assert busy.run_once() == 2
    assert seen == [0, 0]  # 16 s into a 10 s lease, nobody took the batch over
    assert [(e["status"], e["claimed_by"]) for e in load_events(store)] == [("done", "w1")] * 2
    assert busy.heartbeat_once() == 0  # nothing in hand between batches


def test_a_worker_that_stops_beating_loses_its_batch_after_one_lease(store) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store.inbox import claim_events

    clock, jira = FakeClock(), FakeJira()
    jira.full("IPM-1")
    enqueue(store, clock, updated_payload("IPM-1"))
    hung = make_worker(store, jira, clock, worker_id="hung")
    claimed = claim_events(store, "hung", clock(), hung.lease, 10)
    hung._hold([ev.id for ev in claimed])  # noqa: SLF001 - a batch in hand, as run_once leaves it
    clock.advance(6)
    assert hung.heartbeat_once() == 1
    clock.advance(16 * 60)  # still beating, but past MAX_HOLD: a worker stuck for good
    assert hung.heartbeat_once() == 0
    clock.advance(11)
    assert drain(make_worker(store, jira, clock)) == 1


def test_a_restarted_serve_resumes_its_own_in_flight_work_at_once(store) -> None:  # type: ignore[no-untyped-def]
    from goldenthread.sync.store.inbox import claim_events
    from goldenthread.webhooks.worker import LEASE, compute_dead_claimers, release_dead_claims

    clock, jira = FakeClock(), FakeJira()
    for i in range(6):
        jira.full(f"IPM-{i}")
        enqueue(store, clock, updated_payload(f"IPM-{i}"), ident=f"e{i}")
    claim_events(store, "web-1:311:aaaaaa/0", clock(), LEASE, 2)  # this host's serve, SIGKILLed
    claim_events(store, "web-1:1:bbbbbb/0", clock(), LEASE, 2)  # pid 1 of the container before a restart
    claim_events(store, "web-2:311:cccccc/0", clock(), LEASE, 2)  # another replica's host: not ours to judge
    replica = "web-1:1:dddddd"  # the restarted serve (pid 1 again)
    assert compute_dead_claimers(["web-1:1:dddddd/0", "web-1:57:eeeeee/1"], replica, lambda pid: pid == 57) == []
    assert release_dead_claims(store, replica, clock(), alive=lambda pid: False) == 4
    drained = drain(make_worker(store, jira, clock, worker_id=f"{replica}/0"))  # same instant: no lease waited
    assert drained == 4
    rows = {e["dedupe_key"]: (e["status"], e["attempts"]) for e in load_events(store)}
    assert sorted(rows.values()) == [("done", 2)] * 4 + [("processing", 1)] * 2  # the killed attempt still counts


def test_released_events_are_taken_at_once_even_while_deliveries_keep_arriving(store) -> None:  # type: ignore[no-untyped-def]
    """On SQLite the worker leaves the write lock to the receiver during a burst (up to a minute);
    the events a killed predecessor held must not wait for the burst to end."""
    import threading

    from goldenthread.sync.store.inbox import claim_events
    from goldenthread.webhooks.worker import LEASE, release_dead_claims

    clock, jira = FakeClock(), FakeJira()
    for i in range(3):
        jira.full(f"IPM-{i}")
        enqueue(store, clock, updated_payload(f"IPM-{i}"), ident=f"e{i}")
    claim_events(store, "web-1:311:aaaaaa/0", clock(), LEASE, 3)
    stop = threading.Event()
    worker = make_worker(store, jira, clock, worker_id="web-1:1:dddddd/0", yield_quiet=timedelta(milliseconds=500),
                         before_apply=lambda ev: stop.set())
    assert release_dead_claims(store, "web-1:1:dddddd", clock(), alive=lambda pid: False) == 3
    assert worker.should_yield()  # a delivery arrived just now: a burst is under way
    worker.resume_first = True
    worker.run(stop, idle_wait=0)
    assert [e["status"] for e in load_events(store)] == ["done"] * 3
