"""The requests session every Atlassian call goes through: one site, one credential, the
transport's adapter mounted for http(s), the Authorization header only for the configured origin.

Tests: tests/sync/http/test_transport.py
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import requests
from requests.auth import AuthBase

from goldenthread import __version__
from goldenthread.sync.http.redaction import SecretValue, install_redaction
from goldenthread.sync.http import transport
from goldenthread.sync.http.transport import HttpxAdapter, RequestRecord, RetryPolicy

USER_AGENT = f"goldenthread/{__version__}"


class RequestCounter:
    """Thread-safe count of exchanges by status ("200", "429", "error"); an on_request hook."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def __call__(self, record: RequestRecord) -> None:
        key = str(record.status) if record.status is not None else "error"
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"https": 443, "http": 80}.get(scheme)


class _HeaderAuth(AuthBase):
    """Sets Authorization only for requests to the configured origin, so a URL taken from a
    payload (pagination links, redirects elsewhere) can never carry the token to another host."""

    def __init__(self, value: str, base_url: str) -> None:
        self._value = SecretValue(value)
        self._origin = _origin(base_url)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if _origin(request.url or "") == self._origin:
            request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return "<auth ***>"


class AtlassianSession(requests.Session):
    """A requests.Session whose every http(s) request goes through one HttpxAdapter."""

    def __init__(self, adapter: HttpxAdapter, base_url: str) -> None:
        super().__init__()
        self.adapter = adapter
        self.base_url = base_url.rstrip("/")
        self.timeout = adapter.timeout
        # httpx does proxies and CA bundles from the environment; skip requests' netrc/proxy lookups.
        self.trust_env = False
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def add_listener(self, listener: Callable[[RequestRecord], None]) -> None:
        """Also call `listener` for every exchange (thread-safe)."""
        self.adapter.add_listener(listener)


def build_session(
    *,
    user: str,
    token: str,
    base_url: str,
    timeout: float = 30,
    retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None,
    http: httpx.Client | None = None,
) -> AtlassianSession:
    """The session for one Atlassian site and credential.

    Basic auth (`user:token`) when user is set (Cloud API tokens, DC passwords); a Bearer personal
    access token when user is empty (Data Center). The token is registered for redaction.
    Pass `http` to share one httpx.Client (connection pool) between sessions, or to give a custom
    transport/TLS/proxy setup; it is then not closed by session.close(). Only its transport, pool,
    TLS, proxy and event hooks are used: requests builds each request (URL, headers, auth).
    """
    if user:
        header = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
    else:
        header = f"Bearer {token.strip()}"
    install_redaction([token, header.split(" ", 1)[1]])
    owns = http is None
    client = http or httpx.Client(
        follow_redirects=False,
        timeout=timeout,
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
    )
    # transport.DEFAULT_POLICY is read per call: tests swap it for one that records its waits
    adapter = HttpxAdapter(client, owns_client=owns, timeout=timeout, policy=retry or transport.DEFAULT_POLICY)
    if on_request is not None:
        adapter.add_listener(on_request)
    session = AtlassianSession(adapter, base_url)
    session.headers["User-Agent"] = USER_AGENT
    session.headers["Accept"] = "application/json"
    session.auth = _HeaderAuth(header, base_url)
    return session


def build_plain_session(
    *, timeout: float = 30, retry: RetryPolicy | None = None, http: httpx.Client | None = None,
) -> AtlassianSession:
    """A session with no credentials at all, on the same transport and retries: for files
    goldenthread reads from other hosts (KPI readings, survey answers), which must never see
    an Atlassian token."""
    owns = http is None
    client = http or httpx.Client(follow_redirects=True, timeout=timeout)
    adapter = HttpxAdapter(client, owns_client=owns, timeout=timeout, policy=retry or RetryPolicy())
    session = AtlassianSession(adapter, "")
    session.headers["User-Agent"] = USER_AGENT
    return session
