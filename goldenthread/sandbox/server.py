"""Run the sandbox with uvicorn in a background thread on a free loopback port.

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from goldenthread.sandbox.app import create_sandbox_app
from goldenthread.sandbox.state import SandboxState


class RunningSandbox:
    """A started sandbox; use as a context manager or call `stop()`."""

    def __init__(self, state: SandboxState, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket) -> None:
        self.state = state
        self._server = server
        self._thread = thread
        self._sock = sock
        host, port = sock.getsockname()[:2]
        self.host, self.port = host, port
        self.url = f"http://{host}:{port}"

    @property
    def jira_url(self) -> str:
        return self.url

    @property
    def confluence_url(self) -> str:
        return self.url + ("/wiki" if self.state.confluence_mode == "cloud" else "/confluence")

    @property
    def user(self) -> str:
        return self.state.user

    @property
    def token(self) -> str:
        return self.state.token

    def stop(self, timeout: float = 5.0) -> None:
        if not self._thread.is_alive():
            self._sock.close()
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():  # keep-alive connections linger: force it
            self._server.force_exit = True
            self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def start_sandbox(state: SandboxState, host: str = "127.0.0.1", port: int = 0, timeout: float = 10.0) -> RunningSandbox:
    """Start serving `state` on `host:port` (0 picks a free port); returns once it accepts connections."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the sandbox listens on loopback only")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: uvicorn writes a response's head and body apart, and with
    # Nagle on, the body waited for the client's delayed ACK, ~40 ms on every keep-alive request
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    config = uvicorn.Config(create_sandbox_app(state), log_level="warning", access_log=False, proxy_headers=False,
                            lifespan="off", timeout_graceful_shutdown=1, timeout_keep_alive=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="goldenthread-sandbox", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.005)
    return RunningSandbox(state, server, thread, sock)
