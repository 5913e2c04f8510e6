"""POST /webhooks/jira: limits, signature, parsing, persistence, dedupe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from goldenthread.webhooks.app import MAX_BODY, AppDeps, create_app
from goldenthread.sync.store.inbox import NewEvent, claim_events, load_events, load_inbox_stats, save_events
from goldenthread.webhooks.observability import Metrics
from tests.webhooks.helpers import SECRET, T0, FakeClock, signed, updated_payload


@pytest.fixture
def client(store) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    deps = AppDeps(store=store, clock=clock, secret=SECRET, metrics=Metrics(store, clock))
    with TestClient(create_app(deps)) as c:
        c.deps = deps  # type: ignore[attr-defined]
        yield c


def body_of(payload: object) -> bytes:
    return json.dumps(payload).encode()


def test_valid_delivery_is_stored_then_acknowledged(client, store) -> None:  # type: ignore[no-untyped-def]
    body = body_of(updated_payload("IPM-7"))
    r = client.post("/webhooks/jira", content=body, headers=signed(body, ident="d-1"))
    assert r.status_code == 202
    rows = load_events(store)
    assert [(e["event"], e["issue_key"], e["status"], e["dedupe_key"]) for e in rows] == [
        ("jira:issue_updated", "IPM-7", "pending", "id:d-1")
    ]
    assert rows[0]["payload"].encode() == body


@pytest.mark.parametrize("sig", [None, "sha256=" + "0" * 64, "sha1=abc", "garbage", "sha256=" + "zz" * 32])
def test_missing_or_bad_signature_is_401_and_stores_nothing(client, store, sig) -> None:  # type: ignore[no-untyped-def]
    body = body_of(updated_payload())
    headers = {"Content-Type": "application/json"} | ({"X-Hub-Signature": sig} if sig else {})
    r = client.post("/webhooks/jira", content=body, headers=headers)
    assert r.status_code == 401
    assert store.count("webhook_inbox") == 0


def test_signature_of_other_secret_or_other_body_is_401(client, store) -> None:  # type: ignore[no-untyped-def]
    body = body_of(updated_payload())
    assert client.post("/webhooks/jira", content=body, headers=signed(body, secret="other")).status_code == 401
    tampered = body.replace(b"HRP-42", b"HRP-43")
    assert tampered != body
    assert client.post("/webhooks/jira", content=tampered, headers=signed(body)).status_code == 401
    assert store.count("webhook_inbox") == 0


def test_oversized_body_is_413_before_signature(client, store) -> None:  # type: ignore[no-untyped-def]
    body = b'{"x":"' + b"a" * MAX_BODY + b'"}'
    # no signature at all: 413 must win, the size check comes first
    r = client.post("/webhooks/jira", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert store.count("webhook_inbox") == 0


def test_chunked_oversized_body_without_content_length_is_413(client, store) -> None:  # type: ignore[no-untyped-def]
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(40):  # 40 x 64 KiB = 2.5 MiB, more than the limit
            sent.append(1)
            yield b"a" * 65536

    r = client.post("/webhooks/jira", content=chunks(), headers={"X-Hub-Signature": "sha256=00"})
    assert r.status_code == 413
    assert store.count("webhook_inbox") == 0


def test_body_exactly_at_limit_is_not_413(client, store) -> None:  # type: ignore[no-untyped-def]
    pad = MAX_BODY - len(body_of({"webhookEvent": "x", "pad": ""}))
    body = body_of({"webhookEvent": "x", "pad": "a" * pad})
    assert len(body) == MAX_BODY
    assert client.post("/webhooks/jira", content=body, headers=signed(body)).status_code == 202


@pytest.mark.parametrize("body", [
    b"{not json", b"", b"[1,2]", b'"str"', b"\xff\xfe",
    '{"webhookEvent": "jira:issue_updated"}'.encode("utf-16"),  # JSON, but not the UTF-8 Jira sends
    b'{"a": ' * 5000 + b"1" + b"}" * 5000,  # nesting deeper than any parser recursion limit
])
def test_malformed_json_is_400(client, store, body) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/webhooks/jira", content=body, headers=signed(body))
    assert r.status_code == 400
    assert store.count("webhook_inbox") == 0


def test_duplicates_collapse_by_identifier_then_body_hash(client, store) -> None:  # type: ignore[no-untyped-def]
    body = body_of(updated_payload("IPM-1"))
    for _ in range(3):
        assert client.post("/webhooks/jira", content=body, headers=signed(body, ident="same")).status_code == 202
    other = body_of(updated_payload("IPM-2"))
    for _ in range(2):  # no identifier: the body hash decides
        assert client.post("/webhooks/jira", content=other, headers=signed(other)).status_code == 202
    rows = load_events(store)
    assert [(r["issue_key"], r["duplicates"]) for r in rows] == [("IPM-1", 2), ("IPM-2", 1)]
    text = client.get("/metrics").text
    assert "goldenthread_webhook_events_duplicate_total 3.0" in text


def test_unknown_event_is_202_ignored_and_counted(client, store) -> None:  # type: ignore[no-untyped-def]
    body = body_of({"webhookEvent": "board_created", "board": {"id": 1}})
    r = client.post("/webhooks/jira", content=body, headers=signed(body))
    assert r.status_code == 202 and r.json()["status"] == "ignored"
    assert [e["status"] for e in load_events(store)] == ["ignored"]
    assert 'goldenthread_webhook_events_ignored_total{reason="unknown"} 1.0' in client.get("/metrics").text


def test_health_ready_docs(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["last_sync"] is None
    assert client.get("/docs").status_code == 200
    doc = client.get("/openapi.json").json()["paths"]["/webhooks/jira"]
    assert list(doc) == ["post"] and {"202", "400", "401", "413"} <= set(doc["post"]["responses"])


def test_other_methods_on_the_webhook_are_405(client, store) -> None:  # type: ignore[no-untyped-def]
    for method in ("GET", "PUT", "DELETE"):
        assert client.request(method, "/webhooks/jira").status_code == 405
    assert store.count("webhook_inbox") == 0


def test_insecure_mode_accepts_unsigned(store) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    app = create_app(AppDeps(store=store, clock=clock, secret=None, metrics=Metrics()))
    body = body_of(updated_payload())
    with TestClient(app) as c:
        assert c.post("/webhooks/jira", content=body).status_code == 202
    assert store.count("webhook_inbox") == 1


def test_save_events_flags_new_rows_and_counts_duplicates_in_and_across_batches(store) -> None:  # type: ignore[no-untyped-def]
    def ev(key: str, *, ignored: bool = False, at: datetime = T0) -> NewEvent:
        return NewEvent(key, "jira:issue_updated", "IPM-1", "{}", at, ignored)

    assert save_events(store, [ev("a"), ev("b", ignored=True)]) == [True, True]
    later = T0 + timedelta(seconds=5)
    assert save_events(store, [ev("a", at=later), ev("c", at=later), ev("c", at=later), ev("c", at=later)]) == [
        False, True, False, False,
    ]
    rows = {r["dedupe_key"]: r for r in load_events(store)}
    assert {k: (r["status"], r["duplicates"]) for k, r in rows.items()} == {
        "a": ("pending", 1), "b": ("ignored", 0), "c": ("pending", 2),
    }
    stats = load_inbox_stats(store, later)
    assert stats["duplicates"] == 3 and stats["counts"] == {"pending": 2, "ignored": 1}
    assert rows["a"]["received_at"].replace(tzinfo=UTC) == T0  # the first delivery's row is kept
    assert rows["b"]["processed_at"].replace(tzinfo=UTC) == T0 and rows["a"]["processed_at"] is None
    # timestamps compare correctly with the ones the worker's claim binds (text on SQLite)
    assert [e.dedupe_key for e in claim_events(store, "w", T0, timedelta(minutes=5), 10)] == ["a"]
    assert [e.dedupe_key for e in claim_events(store, "w", later, timedelta(minutes=5), 10)] == ["c"]


@pytest.mark.parametrize("depth", [65, 1000, 1024])
def test_over_deep_json_is_400_and_stores_nothing(client, store, depth) -> None:  # type: ignore[no-untyped-def]
    body = b'{"webhookEvent":"jira:issue_updated","x":' + b"[" * depth + b"]" * depth + b"}"
    r = client.post("/webhooks/jira", content=body, headers=signed(body))
    assert r.status_code == 400 and "deeper than 64 levels" in r.json()["detail"]
    assert store.count("webhook_inbox") == 0


@pytest.mark.parametrize("key", ["IPM-1/../../myself", "IPM-1?expand=changelog&x=", "ipm-1", "IPM-1\n"])
def test_issue_event_with_a_key_that_is_not_a_key_is_400(client, store, key) -> None:  # type: ignore[no-untyped-def]
    body = body_of(updated_payload(key))
    r = client.post("/webhooks/jira", content=body, headers=signed(body))
    assert r.status_code == 400 and "is not a Jira issue key" in r.json()["detail"]
    assert store.count("webhook_inbox") == 0
