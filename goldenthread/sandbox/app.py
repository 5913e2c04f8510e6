"""The sandbox ASGI app: Jira + Confluence routes behind auth, latency, faults and counters.

The cross-cutting work runs in `SandboxApp.__call__`, outside Starlette's middleware stack, so a
"dropped connection" fault can close uvicorn's transport itself: the client then sees a real
transport error (requests ConnectionError, httpx RemoteProtocolError), not a response.

Tests: tests/sandbox/test_jira.py, tests/sandbox/test_confluence.py
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from goldenthread.sandbox.confluence import build_confluence_cloud_router
from goldenthread.sandbox.confluence_v1 import build_confluence_v1_router
from goldenthread.sandbox.faults import Fault
from goldenthread.sandbox.jira import build_jira_router
from goldenthread.sandbox.state import SandboxState

_CONTROL = "/_sandbox"


def _is_confluence(path: str) -> bool:
    return path.startswith(("/wiki", "/confluence"))


async def _discard(message: Any) -> None:
    return None


class SandboxApp(FastAPI):
    sandbox: SandboxState
    # The routers' own route objects: FastAPI's included-router wrappers do not expose the path template.
    template_routes: list[BaseRoute]

    def _template(self, scope: Scope) -> str:
        for route in self.template_routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", scope["path"]))
        return "<unmatched>"

    def _authorized(self, scope: Scope) -> bool:
        st = self.sandbox
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, cred = raw.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, token = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return hmac.compare_digest(user, st.user) and hmac.compare_digest(token, st.token)
        if scheme.lower() == "bearer":
            # Personal access tokens exist on Data Center only; Cloud bearer tokens are OAuth, not emulated.
            dc = st.confluence_mode if _is_confluence(scope["path"]) else st.jira_mode
            return dc == "datacenter" and hmac.compare_digest(cred.strip(), st.token)
        return False

    async def _reply(self, send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        hs = [(b"content-type", b"application/json;charset=UTF-8"), (b"content-length", str(len(raw)).encode())]
        hs += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": hs})
        await send({"type": "http.response.body", "body": raw})

    async def _drop(self, send: Send) -> None:
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is not None:
            transport.close()
            for _ in range(50):  # let uvicorn notice, so it does not try to answer 500 on a closed socket
                if getattr(cycle, "disconnected", True):
                    break
                await asyncio.sleep(0)
            return
        # Other servers: promise a body and cut it short; the client sees an incomplete read.
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})
        raise ConnectionAbortedError("sandbox fault: dropped connection")

    async def _fault(self, scope: Scope, send: Send, fault: Fault) -> None:
        if fault.kind == "drop":
            await self._drop(send)
            return
        status = int(fault.kind)
        headers = {"Retry-After": str(fault.retry_after)} if status in (429, 503) else {}
        if _is_confluence(scope["path"]):
            body: dict[str, Any] = {"statusCode": status, "message": f"Sandbox fault {status}"}
        else:
            msg = {429: "Rate limit exceeded.", 503: "Service unavailable. Please retry.",
                   500: "Internal server error.",
                   403: "You do not have permission to perform this operation."}[status]
            body = {"errorMessages": [msg], "errors": {}}
        if status == 429:
            headers["RateLimit-Reason"] = "jira-quota-global-based"
        await self._reply(send, status, body, headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_CONTROL):
            await super().__call__(scope, receive, send)
            return
        st = self.sandbox
        st.stats.count_request(scope["method"], self._template(scope))
        if st.faults.latency_ms > 0:
            await asyncio.sleep(st.faults.latency_ms / 1000)
        fault = st.faults.take(scope["method"], scope["path"])
        if fault is not None and fault.kind != "lost":
            await self._fault(scope, send, fault)
            return
        if not self._authorized(scope):
            if _is_confluence(scope["path"]):
                body: dict[str, Any] = {"statusCode": 401, "message": "Current user not permitted to use Confluence"}
            else:
                body = {"errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                        "errors": {}}
            await self._reply(send, 401, body)
            return
        if fault is not None:  # "lost": carried out, then the answer never arrives
            await super().__call__(scope, receive, _discard)
            await self._drop(send)
            return
        await super().__call__(scope, receive, send)


def create_sandbox_app(state: SandboxState) -> FastAPI:
    """The ASGI app for `state`; tests and benches read `state.stats` and flip `state.faults`."""
    app = SandboxApp(title="goldenthread sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.sandbox = state
    app.state.sandbox = state
    routers = [build_jira_router(), build_confluence_cloud_router(), build_confluence_v1_router()]
    app.template_routes = [r for router in routers for r in router.routes]
    for router in routers:
        app.include_router(router)

    @app.get(_CONTROL + "/stats")
    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(state.stats.snapshot())

    @app.post(_CONTROL + "/reset-stats")
    async def reset_stats(request: Request) -> JSONResponse:
        state.stats.reset()
        return JSONResponse({"ok": True})

    return app
