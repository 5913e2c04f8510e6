"""`POST /webhooks/jira` as a plain ASGI handler: the receiver's hot path.

The app (`create_app`) hands this path straight to `WebhookReceiver`, before FastAPI's middleware,
routing, dependency solving and response classes: in bench/webhooks.py those layers cost about
as much per delivery as the work a receiver cannot avoid, and the endpoint needs none of them
(headers, raw body, a fixed-shape JSON answer). The operation is documented by hand in
`WEBHOOK_OPENAPI`, so /docs and /openapi.json still describe it.

Order of checks: size (413, before reading more than the limit), signature on the raw bytes
(401, before parsing anything), JSON object (400), then the inbox write; the 202 is sent only
once the batch holding the delivery has committed (writer.InboxWriter)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from starlette.types import Receive, Scope, Send

from goldenthread.mappings.records import is_issue_key
from goldenthread.sync.store import Store
from goldenthread.sync.store.inbox import NewEvent
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.payload import PayloadError, parse_payload
from goldenthread.webhooks.processing import IRRELEVANT_EVENTS, compute_event_handled, parse_event_meta
from goldenthread.webhooks.signature import compute_body_hash, compute_signature_valid
from goldenthread.webhooks.writer import InboxWriter

log = logging.getLogger("goldenthread.webhooks")
WEBHOOK_PATH = "/webhooks/jira"
MAX_BODY = 1024 * 1024  # 1 MiB: Jira issue payloads are tens of KiB; anything larger is abuse

WEBHOOK_OPENAPI: dict[str, Any] = {
    "summary": "Receive a Jira webhook delivery",
    "operationId": "receive_jira_webhook",
    "parameters": [
        {"name": "X-Hub-Signature", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "sha256=<hex HMAC-SHA256 of the raw body>; required when a secret is configured"},
        {"name": "X-Atlassian-Webhook-Identifier", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "Delivery id; redeliveries repeat it (duplicates collapse on it)"},
    ],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    },
    "responses": {
        "202": {"description": "Persisted (or recognised as a duplicate); will be processed at least once",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"status": {"type": "string", "enum": ["accepted", "ignored"]},
                                   "duplicate": {"type": "boolean"}},
                    "required": ["status", "duplicate"]}}}},
        "400": {"description": "Body is not a JSON object, or nests deeper than 64 levels"},
        "401": {"description": "Missing or bad X-Hub-Signature"},
        "413": {"description": "Body over 1 MiB"},
        "503": {"description": "Store unavailable; nothing acknowledged, redeliver"},
    },
}

_JSON = (b"content-type", b"application/json")


def _answer(content: dict[str, Any]) -> bytes:
    return json.dumps(content, separators=(",", ":")).encode()


# the four possible 202 bodies, encoded once
_ACCEPTED = {(handled, duplicate): _answer({"status": "accepted" if handled else "ignored", "duplicate": duplicate})
             for handled in (True, False) for duplicate in (True, False)}


class _ClientGone(Exception):
    pass


async def _read_body(receive: Receive, declared: bytes | None) -> bytes | None:
    """The body, or None as soon as it exceeds MAX_BODY. Content-Length is only a shortcut: a
    chunked or lying request is cut off while streaming, never buffered whole."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class WebhookReceiver:
    """ASGI app for `POST /webhooks/jira` (any other method never reaches it: see create_app)."""

    def __init__(self, store: Store, clock: Callable[[], datetime], secret: str | None, metrics: Metrics) -> None:
        self.clock, self.secret, self.metrics = clock, secret, metrics
        self.writer = InboxWriter(store)
        # labelled children resolved once: `.labels()` takes a lock and validates on every call
        self._children: dict[tuple[Counter, str], Any] = {}

    def _count(self, counter: Counter, label: str) -> None:
        child = self._children.get((counter, label))
        if child is None:
            child = self._children[(counter, label)] = counter.labels(label)
        child.inc()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        signature = ident = declared = None
        for name, value in scope["headers"]:  # lower-cased by the server; the first occurrence wins
            if name == b"x-hub-signature" and signature is None:
                signature = value.decode("latin-1")
            elif name == b"x-atlassian-webhook-identifier" and ident is None:
                ident = value.decode("latin-1")
            elif name == b"content-length" and declared is None:
                declared = value
        try:
            body = await _read_body(receive, declared)
        except _ClientGone:
            return
        status, answer = await self._accept(body, signature, ident)
        await send({"type": "http.response.start", "status": status,
                    "headers": [_JSON, (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    def _reject(self, status: int, detail: str) -> tuple[int, bytes]:
        self._count(self.metrics.rejected, str(status))
        return status, _answer({"detail": detail})

    async def _accept(self, body: bytes | None, signature: str | None, ident: str | None) -> tuple[int, bytes]:
        if body is None:
            return self._reject(413, f"body over {MAX_BODY} bytes")
        if self.secret is not None and not compute_signature_valid(self.secret, signature, body):
            return self._reject(401, "missing or invalid X-Hub-Signature")
        try:
            # the worker decodes the stored text with this same function, so whatever is
            # acknowledged here can be decoded there (orjson: the stdlib parser was ~10% of the
            # receiver's CPU; it also insists on UTF-8, which the inbox stores as text)
            payload = parse_payload(body)
        except PayloadError as exc:
            return self._reject(400, str(exc))
        text = body.decode("utf-8")
        event, issue_key = parse_event_meta(payload)
        handled = compute_event_handled(event)
        if handled and issue_key is not None and not is_issue_key(issue_key):
            return self._reject(400, f"issue.key {issue_key[:80]!r} is not a Jira issue key (like IPM-12)")
        ident = (ident or "").strip()
        dedupe_key = f"id:{ident}"[:128] if ident else compute_body_hash(body)
        try:
            new = await self.writer.save(NewEvent(dedupe_key, event or "(none)", issue_key, text, self.clock(), not handled))
        except Exception:  # noqa: BLE001 - not persisted, so not acknowledged: Jira redelivers
            return self._reject(503, "could not persist the delivery; retry later")
        reason = "irrelevant" if event in IRRELEVANT_EVENTS else "unknown"
        self._count(self.metrics.received, event if handled else reason)
        if not new:
            self.metrics.duplicates.inc()
        elif not handled:
            self._count(self.metrics.ignored, reason)
        return 202, _ACCEPTED[(handled, not new)]
