"""The one HTTP transport for every Atlassian call.

atlassian-python-api speaks `requests`; tests mock `httpx` with respx. The session built here
mounts an adapter that hands each prepared `requests` request to an `httpx.Client`, so respx sees
every call and the same code runs against the sandbox and real sites. Retries (tenacity) live in
the adapter so every library call gets them; secrets are scrubbed from logs and errors. The
session with its credentials is built in `session.py`.

Retry rules (each answer's meaning comes from `classify.classify`):
- 429 and 503 mean the server refused before doing work: retried for every method, honouring
  Retry-After (seconds or HTTP-date, capped at `RetryPolicy.max_retry_after`).
- Other 5xx and connection failures: retried with exponential backoff and jitter, but only for
  safe methods (GET/HEAD/OPTIONS), the read-only POSTs in `RetryPolicy.read_only_posts` and the
  writes that are safe to repeat in `RetryPolicy.idempotent_writes` (the stakeholder write-back's
  atomic adds). For other writes the request may have landed, so the 5xx is returned / the error
  raised and the caller must re-read before retrying. A connect error (nothing was sent) is
  retried for all.
- A host that refuses connections or does not resolve gets `RetryPolicy.unreachable_attempts`
  attempts `unreachable_wait` apart (1 s in all), not the full backoff: that is nearly always a wrong
  URL or a service that is down for longer than a backoff could wait, and an admin running
  `goldenthread check` should hear so in seconds, not after half a minute.
- Every other 4xx is returned at once (atlassian-python-api turns it into HTTPError).
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from tenacity import Retrying, RetryCallState, retry_if_exception, retry_if_result, stop_after_attempt
from tenacity import wait_exponential, wait_random
from tenacity.stop import stop_base

from goldenthread.mappings.deployment import READ_ONLY_POSTS
from goldenthread.sync.http.classify import classify
from goldenthread.sync.http.redaction import get_redactor

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# httpx errors raised before any byte of the request left this process.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# ... of which these mean the host itself could not be reached (refused, unresolvable, silent).
_UNREACHABLE_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


# --------------------------------------------------------------------------- retry policy and hooks


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries. `sleep` and `now` are injectable so tests record waits instead of waiting."""

    max_attempts: int = 5
    backoff_multiplier: float = 1.0  # 1 s, 2 s, 4 s, ... plus jitter
    backoff_max: float = 30.0
    jitter: float = 1.0
    max_retry_after: float = 120.0
    unreachable_attempts: int = 3
    unreachable_wait: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = _utcnow
    # POSTs that only read (search, changelog bulk fetch): a lost response can be fetched again.
    read_only_posts: tuple[str, ...] = READ_ONLY_POSTS
    # Writes whose repetition changes nothing, as (method, path regex): the write-back's `update`
    # with `add` operations on an issue (adding a user already in the field is a no-op) and
    # adding a watcher (an existing watcher stays one). A lost response is sent again, like a read.
    idempotent_writes: tuple[tuple[str, str], ...] = (
        ("PUT", r"/rest/api/[23]/issue/[^/]+"),
        ("POST", r"/rest/api/[23]/issue/[^/]+/watchers"),
    )


#: The policy of every session built without one (CLI commands, serve). Tests replace it to
#: record the waits instead of sleeping them.
DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP exchange (one attempt). status is None when no response arrived."""

    method: str
    host: str
    path: str
    status: int | None
    elapsed: float
    attempt: int
    error: str | None = None


# --------------------------------------------------------------------------- the adapter


def _display_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"


def _httpx_timeout(value: Any, default: float) -> httpx.Timeout:
    if value is None:
        return httpx.Timeout(default)
    if isinstance(value, tuple):
        connect, read = value
        return httpx.Timeout(read, connect=connect)
    return httpx.Timeout(float(value))


def _replayable_body(body: Any) -> tuple[bytes | io.IOBase | None, Callable[[], None], bool]:
    """(content, rewind, buffered): a body that can be sent again on each retry attempt."""
    if body is None or isinstance(body, bytes):
        return body, lambda: None, False
    if isinstance(body, str):
        return body.encode("utf-8"), lambda: None, True
    if hasattr(body, "read"):
        try:
            start = body.tell()
            return body, lambda: body.seek(start), False  # streamed from the file on every attempt
        except (OSError, AttributeError, ValueError):
            return body.read(), lambda: None, True
    # A generator can only be consumed once: buffer it so a retry sends the same bytes.
    chunks = [c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body]
    return b"".join(chunks), lambda: None, True


def _to_requests_response(hresp: httpx.Response, request: requests.PreparedRequest, url: str) -> requests.Response:
    resp = requests.Response()
    resp.status_code = hresp.status_code
    resp.headers = CaseInsensitiveDict(hresp.headers.items())  # duplicates comma-joined, as urllib3 does
    resp._content = hresp.content  # noqa: SLF001 - the documented way adapters fill a Response
    resp._content_consumed = True  # type: ignore[attr-defined]  # noqa: SLF001 - undeclared in types-requests
    resp.raw = io.BytesIO(hresp.content)
    resp.reason = hresp.reason_phrase
    resp.encoding = get_encoding_from_headers(resp.headers)
    # requests' raise_for_status prints the URL: keep secret query params out of it.
    resp.url = get_redactor().redact(url)
    resp.request = request
    resp.elapsed = hresp.elapsed if hresp.is_closed else timedelta(0)
    return resp


def _is_tls_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, httpx.ConnectError) and ("ssl" in text or "certificate" in text)


def is_unreachable(exc: BaseException | None) -> bool:
    """The host refused the connection, did not resolve or did not answer the connect."""
    return isinstance(exc, _UNREACHABLE_ERRORS) and not _is_tls_failure(exc)


def describe_failure(exc: BaseException | None) -> str:
    """A short human reason for a transport failure ("connection refused", "host name ... does
    not resolve"), from the OS error text httpx passes on."""
    if exc is None:
        return "no answer"
    text = str(exc)
    lowered = text.lower()
    if _is_tls_failure(exc):
        return "TLS verification failed"
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return "connect timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out waiting for the answer"
    if "refused" in lowered:
        return "connection refused"
    if any(m in lowered for m in ("name or service not known", "nodename nor servname", "name resolution",
                                  "no address associated", "errno -2", "errno -3", "getaddrinfo")):
        return "the host name does not resolve"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _to_requests_error(exc: httpx.HTTPError, request: requests.PreparedRequest, note: str,
                       attempts: int) -> Exception:
    text = f"{request.method} {_display_url(request.url or '')}: {type(exc).__name__}: {exc}{note}"
    message = get_redactor().redact(text)
    cls: type[requests.RequestException]
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        cls = requests.exceptions.ConnectTimeout
    elif isinstance(exc, httpx.TimeoutException):
        cls = requests.exceptions.ReadTimeout
    elif isinstance(exc, httpx.ProxyError):
        cls = requests.exceptions.ProxyError
    elif _is_tls_failure(exc):
        cls = requests.exceptions.SSLError
    elif isinstance(exc, httpx.UnsupportedProtocol):
        cls = requests.exceptions.InvalidSchema
    elif isinstance(exc, httpx.DecodingError):
        cls = requests.exceptions.ContentDecodingError
    else:
        cls = requests.exceptions.ConnectionError
    error = cls(message, request=request)
    # read by atlassian.classify_error to say what happened in one line
    setattr(error, "reason", get_redactor().redact(describe_failure(exc)))  # noqa: B010
    setattr(error, "attempts", attempts)  # noqa: B010
    setattr(error, "unreachable", is_unreachable(exc))  # noqa: B010
    return error


class _UnreachableExhausted(stop_base):
    """Stop once an unreachable host has had its `unreachable_attempts`."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, state: RetryCallState) -> bool:
        outcome = state.outcome
        return (outcome is not None and outcome.failed and is_unreachable(outcome.exception())
                and state.attempt_number >= self.policy.unreachable_attempts)


class HttpxAdapter(BaseAdapter):
    """A requests transport adapter that sends through an httpx.Client, with tenacity retries.

    Stateless per request (a new Retrying per send), so one adapter and one httpx.Client serve a
    thread pool. Redirects are left to requests (httpx does not follow them) so its
    cross-host Authorization stripping applies; cookies are not persisted (token auth is stateless).
    requests' verify/cert/proxies arguments are ignored: configure the httpx.Client instead.
    """

    def __init__(self, client: httpx.Client, *, owns_client: bool, timeout: float, policy: RetryPolicy) -> None:
        super().__init__()
        self.client = client
        self.owns_client = owns_client
        self.timeout = timeout
        self.policy = policy
        self._listeners: tuple[Callable[[RequestRecord], None], ...] = ()
        self._lock = threading.Lock()

    def add_listener(self, listener: Callable[[RequestRecord], None]) -> None:
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def _notify(self, record: RequestRecord) -> None:
        for listener in self._listeners:
            try:
                listener(record)
            except Exception:  # a metrics hook must never break a sync run
                log.exception("request listener failed")

    def _retryable(self, method: str, path: str) -> bool:
        if method in SAFE_METHODS or (method == "POST" and path.endswith(self.policy.read_only_posts)):
            return True
        # anchored at the end only: a Data Center site may live under a context path (/jira/rest/...)
        return any(method == m and re.search(f"{rx}$", path) for m, rx in self.policy.idempotent_writes)

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and outcome.failed and is_unreachable(outcome.exception()):
            return self.policy.unreachable_wait
        if outcome is not None and not outcome.failed:
            hresp: httpx.Response = outcome.result()
            verdict = classify(hresp.status_code, hresp.headers, hresp.content, now=self.policy.now)
            if verdict.retry_any_method:
                delay = verdict.retry_after
                if delay is not None:
                    if delay > self.policy.max_retry_after:
                        log.warning("Retry-After %.0f s is above the %.0f s cap; waiting the cap",
                                    delay, self.policy.max_retry_after)
                    return min(delay, self.policy.max_retry_after)
        backoff = wait_exponential(multiplier=self.policy.backoff_multiplier, max=self.policy.backoff_max)
        return backoff(state) + wait_random(0, self.policy.jitter)(state)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        method = (request.method or "GET").upper()
        url = request.url or ""
        parts = urlsplit(url)
        content, rewind, buffered = _replayable_body(request.body)
        headers = {k: v for k, v in request.headers.items()}
        if buffered:
            headers.pop("Transfer-Encoding", None)
            headers["Content-Length"] = str(len(cast(bytes, content or b"")))  # buffered: bytes
        extensions = {"timeout": _httpx_timeout(timeout, self.timeout).as_dict()}
        retry_any = self._retryable(method, parts.path)
        attempt = 0

        def one_attempt() -> httpx.Response:
            nonlocal attempt
            attempt += 1
            rewind()
            hreq = httpx.Request(method, url, headers=headers, content=content, extensions=extensions)
            started = time.perf_counter()
            try:
                hresp = self.client.send(hreq)
            except httpx.TransportError as exc:
                self._notify(RequestRecord(method, parts.hostname or "", parts.path, None,
                                           time.perf_counter() - started, attempt, type(exc).__name__))
                raise
            self._notify(RequestRecord(method, parts.hostname or "", parts.path, hresp.status_code,
                                       time.perf_counter() - started, attempt))
            return hresp

        def retry_status(hresp: httpx.Response) -> bool:
            verdict = classify(hresp.status_code, hresp.headers, hresp.content, now=self.policy.now)
            return verdict.retry_any_method or (retry_any and verdict.retry_read)

        def retry_error(exc: BaseException) -> bool:
            if _is_tls_failure(exc):  # a bad certificate does not heal in a few seconds
                return False
            return isinstance(exc, _NOT_SENT_ERRORS) or (retry_any and isinstance(exc, httpx.TransportError))

        def log_wait(state: RetryCallState) -> None:
            outcome = state.outcome
            what = (type(outcome.exception()).__name__ if outcome is not None and outcome.failed
                    else f"HTTP {outcome.result().status_code}" if outcome is not None else "?")
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            unreachable = outcome is not None and outcome.failed and is_unreachable(outcome.exception())
            of = self.policy.unreachable_attempts if unreachable else self.policy.max_attempts
            if outcome is not None and unreachable:
                what = describe_failure(outcome.exception())
            log.warning("%s %s: %s; retrying in %.1f s (attempt %d of %d)", method, parts.path, what,
                        wait, state.attempt_number + 1, of)

        retrying = Retrying(
            sleep=self.policy.sleep,
            stop=stop_after_attempt(self.policy.max_attempts) | _UnreachableExhausted(self.policy),
            wait=self._wait,
            retry=retry_if_exception(retry_error) | retry_if_result(retry_status),
            before_sleep=log_wait,
            # Out of attempts: hand back the last response (the library raises on its status)
            # or re-raise the last transport error.
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        try:
            hresp = retrying(one_attempt)
        except httpx.HTTPError as exc:
            if _is_tls_failure(exc):
                note = (" (TLS verification failed, not retried: set SSL_CERT_FILE or pass "
                        "http=httpx.Client(verify=...))")
            elif retry_error(exc):
                note = f" (gave up after {attempt} attempt(s))"
            else:
                note = (" (the request may have reached the server, so it was not retried: "
                        "re-read the resource before retrying)")
            raise _to_requests_error(exc, request, note, attempt) from None
        response = _to_requests_response(hresp, request, url)
        response.attempts = attempt  # type: ignore[attr-defined]  # read by classify_error
        # requests sets the adapter that sent it; types-requests narrows this to HTTPAdapter
        response.connection = self  # type: ignore[assignment]
        return response

    def close(self) -> None:
        if self.owns_client:
            self.client.close()


__all__ = [
    "DEFAULT_POLICY",
    "HttpxAdapter",
    "RequestRecord",
    "RetryPolicy",
    "describe_failure",
    "is_unreachable",
]
