"""Our errors for Atlassian failures, and `classify_error`: the one mapping from whatever the
library or the transport raised to them (the status-bearing ones through `classify`).

atlassian-python-api raises `requests.HTTPError` from its `raise_for_status`, and some helpers
wrap that in `atlassian.errors.ApiError` subclasses with the HTTPError in `.reason`:
`classify_error` unwraps both. Every message is redacted: it never holds a token.

Tests: tests/sync/http/test_atlassian.py
"""

from __future__ import annotations

from typing import Literal, TypedDict, Unpack
from urllib.parse import urlsplit

import httpx
import requests
from atlassian.errors import ApiConflictError, ApiNotFoundError, ApiPermissionError, ApiValueError

from goldenthread.sync.http.classify import classify
from goldenthread.sync.http.redaction import get_redactor
from goldenthread.sync.http.transport import describe_failure

Service = Literal["jira", "confluence"]
ENV: dict[str, tuple[str, str, str]] = {
    "jira": ("JIRA_URL", "JIRA_USER", "JIRA_TOKEN"),
    "confluence": ("CONFLUENCE_URL", "CONFLUENCE_USER", "CONFLUENCE_TOKEN"),
}
NAME: dict[Service, str] = {"jira": "Jira", "confluence": "Confluence"}


class AtlassianError(Exception):
    """A failed Atlassian call. The message is redacted: it never holds a token."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "",
                 service: Service | None = None, messages: list[str] | None = None) -> None:
        super().__init__(get_redactor().redact(message))
        self.status = status
        self.url = get_redactor().redact(url)
        self.service = service
        self.messages = [get_redactor().redact(m) for m in messages or []]


class ErrorFields(TypedDict, total=False):
    """The keyword arguments every AtlassianError takes besides its message."""

    status: int | None
    url: str
    service: Service | None
    messages: list[str] | None


class AuthError(AtlassianError):
    """401/403: bad credentials, or the user lacks permission."""


class NotFoundError(AtlassianError):
    """404 (Jira and Confluence also answer 404 for things the user may not see), or 410."""


class ConflictError(AtlassianError):
    """409, e.g. a stale Confluence page version."""


class BadRequestError(AtlassianError):
    """400; for Jira searches this is an invalid JQL, with Jira's errorMessages in the message."""


class RateLimitedError(AtlassianError):
    """429 still answered after the transport's retries."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 **kwargs: Unpack[ErrorFields]) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(AtlassianError):
    """5xx still answered after the transport's retries (or a write not retried)."""


class TransportError(AtlassianError):
    """No HTTP answer: connection refused/reset, timeout, TLS."""


def _find_response(exc: BaseException) -> requests.Response | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        # A Response for a 4xx/5xx is falsy (bool() is .ok): compare with None, never truthiness.
        if isinstance(response, requests.Response):
            return response
        reason = getattr(current, "reason", None)  # ApiError(..., reason=HTTPError)
        current = reason if isinstance(reason, BaseException) else (current.__cause__ or current.__context__)
    return None


def _guess_service(url: str) -> Service:
    path = urlsplit(url).path
    return "confluence" if "/wiki/" in path or "/rest/api/content" in path or "/api/v2/" in path else "jira"


def _transport_error(exc: BaseException, service: Service | None) -> TransportError:
    """No answer at all: one line naming the system, the site, what happened and the variable
    to check ("could not reach Jira at http://host:9 (connection refused, 3 attempts): check JIRA_URL")."""
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    service = service or _guess_service(url)
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else "the site"
    reason = getattr(exc, "reason", None) or describe_failure(exc)
    attempts = getattr(exc, "attempts", 1)
    tried = f", {attempts} attempts" if attempts > 1 else ""
    url_env = ENV[service][0]
    return TransportError(f"could not reach {NAME[service]} at {site} ({reason}{tried}): check {url_env}",
                          url=url, service=service)


def classify_error(exc: BaseException, *, service: Service | None = None) -> AtlassianError:
    """The one mapping from whatever the library/transport raised to an AtlassianError subclass.

    Use as `except Exception as exc: raise classify_error(exc, service="jira") from exc`.
    """
    if isinstance(exc, AtlassianError):
        return exc
    response = _find_response(exc)
    if response is None:
        if isinstance(exc, (requests.ConnectionError, requests.Timeout, httpx.TransportError)):
            return _transport_error(exc, service)
        simple = {ApiPermissionError: AuthError, ApiNotFoundError: NotFoundError,
                  ApiConflictError: ConflictError, ApiValueError: BadRequestError}
        for api_cls, our_cls in simple.items():
            if isinstance(exc, api_cls):
                return our_cls(str(exc), service=service)
        return AtlassianError(f"{type(exc).__name__}: {exc}", service=service)

    verdict = classify(response.status_code, response.headers, response.content)
    status = verdict.status
    parts = urlsplit(response.url or "")
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    service = service or _guess_service(url)
    name = NAME[service]
    messages = list(verdict.messages)
    detail = "; ".join(messages)
    method = getattr(response.request, "method", None) or ""
    where = f"{method} {url}".strip()
    attempts = getattr(response, "attempts", 1)
    kwargs: ErrorFields = {"status": status, "url": url, "service": service, "messages": messages}

    if verdict.kind == "auth":
        _, user_env, token_env = ENV[service]
        hint = f"check {user_env} / {token_env}"
        if status == 403:
            hint += " and that this user may access it"
        said = f" ({detail})" if detail else ""
        return AuthError(f"{name} refused {where} with {status}{said}: {hint}", **kwargs)
    if verdict.kind == "bad_request":
        return BadRequestError(f"{name} rejected {where} (400): {detail or 'bad request'}", **kwargs)
    if verdict.kind == "not_found":
        what = "not found" if status == 404 else "gone (this API was removed)"
        return NotFoundError(f"{name} {where}: {what}" + (f" ({detail})" if detail else ""), **kwargs)
    if verdict.kind == "conflict":
        return ConflictError(f"{name} {where}: conflict (409)" + (f": {detail}" if detail else ""), **kwargs)
    if status == 429:
        return RateLimitedError(f"{name} rate-limited {where} (429) after {attempts} attempt(s)",
                                retry_after=verdict.retry_after, **kwargs)
    if verdict.kind in ("refused", "server"):
        return ServerError(f"{name} failed {where} with {status} after {attempts} attempt(s)"
                           + (f": {detail}" if detail else ""), **kwargs)
    return AtlassianError(f"{name} {where}: HTTP {status}" + (f": {detail}" if detail else ""), **kwargs)
