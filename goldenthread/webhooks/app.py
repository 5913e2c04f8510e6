"""The FastAPI app: webhook receiver, health, metrics, status page. Built by `create_app(deps)`.

Tests: tests/webhooks/test_receiver.py, tests/webhooks/test_openapi_fuzz.py, tests/webhooks/test_docs.py
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_swagger import patch_fastapi
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from goldenthread.sync.store import Store
from goldenthread.webhooks.observability import Metrics
from goldenthread.webhooks.receiver import MAX_BODY, WEBHOOK_OPENAPI, WEBHOOK_PATH, WebhookReceiver
from goldenthread.webhooks.status import load_status, render_status_page

__all__ = ["MAX_BODY", "AppDeps", "create_app"]


@dataclass
class AppDeps:
    store: Store
    clock: Callable[[], datetime]
    secret: str | None  # None only with --insecure-no-signature
    metrics: Metrics
    warnings: Callable[[], Sequence[str]] = field(default=lambda: ())


class _App(FastAPI):
    """FastAPI, with `POST /webhooks/jira` answered before FastAPI's middleware and routing
    (receiver.py says why); the operation is added to the generated OpenAPI by hand."""

    receiver: WebhookReceiver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == WEBHOOK_PATH and scope["method"] == "POST":
            await self.receiver(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()  # caches it in self.openapi_schema
            schema["paths"][WEBHOOK_PATH] = {"post": WEBHOOK_OPENAPI}
            return schema
        return self.openapi_schema


def create_app(deps: AppDeps) -> FastAPI:
    app = _App(
        title="goldenthread",
        summary="Jira webhook receiver, health, metrics and status for goldenthread serve.",
        version="1",
        # FastAPI's own /docs and /redoc load their scripts from a CDN: a blank page on a server
        # without internet. Swagger UI's files come from the fastapi-swagger package instead.
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
    )
    patch_fastapi(app, docs_url="/docs", redirect_from_root_to_docs=False, title="goldenthread API",
                  swagger_js_url="/docs/swagger-ui-bundle.js", swagger_css_url="/docs/swagger-ui.css",
                  swagger_favicon_url="/docs/favicon-32x32.png")
    metrics = deps.metrics
    app.receiver = WebhookReceiver(deps.store, deps.clock, deps.secret, metrics)
    app.router.on_shutdown.append(app.receiver.writer.close)
    # the same handler as a route too: other methods get 405, and a request that does reach the
    # router (e.g. under a root_path) is still served
    app.router.routes.append(Route(WEBHOOK_PATH, app.receiver, methods=["POST"], include_in_schema=False))

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
