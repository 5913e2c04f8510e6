"""The FastAPI app: webhook receiver, health, metrics, status page. Built by `create_app(deps)`."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from goldenthread.sync.store import Store
from goldenthread.webhooks.inbox import NewEvent
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.processing import IRRELEVANT_EVENTS, compute_event_handled, parse_event_meta
from goldenthread.webhooks.signature import compute_body_hash, compute_signature_valid
from goldenthread.webhooks.status import load_status, render_status_page
from goldenthread.webhooks.writer import InboxWriter

log = logging.getLogger("goldenthread.webhooks")
MAX_BODY = 1024 * 1024  # 1 MiB: Jira issue payloads are tens of KiB; anything larger is abuse


@dataclass
class AppDeps:
    store: Store
    clock: Callable[[], datetime]
    secret: str | None  # None only with --insecure-no-signature
    metrics: Metrics
    warnings: Callable[[], Sequence[str]] = field(default=lambda: ())


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    """Read the body, refusing as soon as it exceeds MAX_BODY. Content-Length is only a shortcut:
    a chunked or lying request is cut off while streaming, never buffered whole."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


_WEBHOOK_DOC: dict[str, Any] = {
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
        "202": {"description": "Persisted (or recognised as a duplicate); will be processed at least once"},
        "400": {"description": "Body is not a JSON object"},
        "401": {"description": "Missing or bad X-Hub-Signature"},
        "413": {"description": "Body over 1 MiB"},
        "503": {"description": "Store unavailable; nothing acknowledged, redeliver"},
    },
}


def create_app(deps: AppDeps) -> FastAPI:
    app = FastAPI(
        title="goldenthread",
        summary="Jira webhook receiver, health, metrics and status for goldenthread serve.",
        version="1",
    )
    metrics = deps.metrics
    writer = InboxWriter(deps.store)
    app.router.on_shutdown.append(writer.close)

    @app.post("/webhooks/jira", status_code=202, openapi_extra=_WEBHOOK_DOC, response_model=None)
    async def receive_jira_webhook(request: Request) -> JSONResponse:
        # headers read by hand (documented in _WEBHOOK_DOC): FastAPI's parameter solving was a
        # measurable share of the per-delivery cost in bench/webhooks.py
        x_hub_signature = request.headers.get("x-hub-signature")
        x_atlassian_webhook_identifier = request.headers.get("x-atlassian-webhook-identifier")
        try:
            body = await _read_body(request)
        except _TooLarge:
            metrics.rejected.labels("413").inc()
            return _problem(413, f"body over {MAX_BODY} bytes")
        if deps.secret is not None and not compute_signature_valid(deps.secret, x_hub_signature, body):
            metrics.rejected.labels("401").inc()
            return _problem(401, "missing or invalid X-Hub-Signature")
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            metrics.rejected.labels("400").inc()
            return _problem(400, "body is not valid JSON")
        if not isinstance(payload, dict):
            metrics.rejected.labels("400").inc()
            return _problem(400, "body is not a JSON object")
        event, issue_key = parse_event_meta(payload)
        ident = (x_atlassian_webhook_identifier or "").strip()
        dedupe_key = f"id:{ident}"[:128] if ident else compute_body_hash(body)
        handled = compute_event_handled(event)
        try:
            new = await writer.save(
                NewEvent(dedupe_key, event or "(none)", issue_key, body.decode("utf-8"), deps.clock(), not handled)
            )
        except Exception:  # noqa: BLE001 - not persisted, so not acknowledged: Jira redelivers
            metrics.rejected.labels("503").inc()
            return _problem(503, "could not persist the delivery; retry later")
        label = event if handled else ("irrelevant" if event in IRRELEVANT_EVENTS else "unknown")
        metrics.received.labels(label).inc()
        if not new:
            metrics.duplicates.inc()
        elif not handled:
            metrics.ignored.labels("irrelevant" if event in IRRELEVANT_EVENTS else "unknown").inc()
        return JSONResponse(
            {"status": "accepted" if handled else "ignored", "duplicate": not new}, status_code=202
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up (liveness)."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "Store unreachable"}})
    def readyz() -> JSONResponse:
        """Store reachable; reports the last sync's outcome."""
        try:
            with deps.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            runs = deps.store.load_runs(limit=1)
        except Exception as exc:  # noqa: BLE001 - any store failure means not ready
            return JSONResponse({"status": "unavailable", "store": type(exc).__name__}, status_code=503)
        last = runs[0] if runs else None
        sync = (
            {"status": last["status"], "kind": last["kind"],
             "finished_at": last["finished_at"].isoformat() if last["finished_at"] else None}
            if last
            else None
        )
        return JSONResponse({"status": "ready", "store": "ok", "last_sync": sync})

    @app.get("/metrics", response_class=Response)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse)
    def status_page() -> HTMLResponse:
        """Status page for admins."""
        status = load_status(deps.store, deps.clock())
        return HTMLResponse(render_status_page(status, list(deps.warnings())))

    return app
