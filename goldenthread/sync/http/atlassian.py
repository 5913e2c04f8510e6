"""Atlassian clients on the shared transport, deployment detection, and the one place that turns
Atlassian failures into our errors.

Notes on atlassian-python-api (read from its source, version 5.x):
- `atlassian.Jira` is the Server/DC class; with `cloud=True` its `jql()` goes to
  `/rest/api/3/search/jql`. `get_changelogs_bulk` sends the wrong body, so on Cloud the handle
  also carries a `JiraCloud` (`cloud_client.get_bulk_changelogs(data=...)`).
- `atlassian.Confluence(...)` is a proxy that picks the Cloud class for *.atlassian.net; that class
  lacks `create_page`, `update_page`, `attach_file`, page properties. We construct the server class
  (`ConfluenceServer`) explicitly, with `cloud=True` on Cloud.
- The library raises `requests.HTTPError` (message: the body's errorMessages/message) from its
  `raise_for_status`, and some helpers wrap that in `atlassian.errors.ApiError` subclasses with
  the HTTPError in `.reason`. `classify_error` unwraps both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypedDict, Unpack
from urllib.parse import quote, urlsplit

import httpx
import requests
from atlassian import Jira
from atlassian.confluence import ConfluenceServer
from atlassian.errors import ApiConflictError, ApiNotFoundError, ApiPermissionError, ApiValueError
from atlassian.jira import JiraCloud

from goldenthread.mappings.records import Deployment
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.http.redaction import get_redactor
from goldenthread.sync.settings import Settings
from goldenthread.sync.http.transport import (
    AtlassianSession,
    RequestCounter,
    RequestRecord,
    RetryPolicy,
    build_session,
    describe_failure,
    parse_retry_after,
)

log = logging.getLogger(__name__)

Service = Literal["jira", "confluence"]
_ENV: dict[str, tuple[str, str, str]] = {
    "jira": ("JIRA_URL", "JIRA_USER", "JIRA_TOKEN"),
    "confluence": ("CONFLUENCE_URL", "CONFLUENCE_USER", "CONFLUENCE_TOKEN"),
}
_NAME: dict[Service, str] = {"jira": "Jira", "confluence": "Confluence"}
_CLOUD_SUFFIXES = (".atlassian.net", ".jira.com")


# --------------------------------------------------------------------------- errors


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


def parse_error_messages(response: requests.Response) -> list[str]:
    """Jira's errorMessages + errors, Confluence v1 `message`, Confluence v2 `errors[].title/detail`."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join((response.text or "").split())
        return [text[:300]] if text and not text.lstrip().startswith("<") else []
    messages: list[str] = []
    if not isinstance(body, dict):
        return messages
    messages.extend(str(m) for m in body.get("errorMessages") or [] if m)
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages.extend(f"{key}: {value}" for key, value in errors.items() if value)
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                said = item.get("detail") or item.get("title") or item.get("message") or item.get("code")
                if said:
                    messages.append(str(said))
            elif item:
                messages.append(str(item))
    if body.get("message"):
        messages.append(str(body["message"]))
    return messages


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
    url_env = _ENV[service][0]
    return TransportError(f"could not reach {_NAME[service]} at {site} ({reason}{tried}): check {url_env}",
                          url=url, service=service)


def build_path(prefix: str, *segments: str) -> str:
    """`prefix/seg/seg` with every segment percent-encoded (`/`, `?`, `#`, `..` included), so a
    value taken from a payload can only ever name one path segment."""
    # "." and ".." are unreserved, yet clients and servers resolve them as dot-segments
    encoded = (quote(str(s), safe="").replace(".", "%2E") if str(s).strip(".") == "" else quote(str(s), safe="")
               for s in segments)
    return "/".join((prefix, *encoded))


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

    status = response.status_code
    parts = urlsplit(response.url or "")
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    service = service or _guess_service(url)
    name = _NAME[service]
    messages = parse_error_messages(response)
    detail = "; ".join(messages)
    method = getattr(response.request, "method", None) or ""
    where = f"{method} {url}".strip()
    attempts = getattr(response, "attempts", 1)
    kwargs: ErrorFields = {"status": status, "url": url, "service": service, "messages": messages}

    if status in (401, 403):
        _, user_env, token_env = _ENV[service]
        hint = f"check {user_env} / {token_env}"
        if status == 403:
            hint += " and that this user may access it"
        said = f" ({detail})" if detail else ""
        return AuthError(f"{name} refused {where} with {status}{said}: {hint}", **kwargs)
    if status == 400:
        return BadRequestError(f"{name} rejected {where} (400): {detail or 'bad request'}", **kwargs)
    if status in (404, 410):
        what = "not found" if status == 404 else "gone (this API was removed)"
        return NotFoundError(f"{name} {where}: {what}" + (f" ({detail})" if detail else ""), **kwargs)
    if status == 409:
        return ConflictError(f"{name} {where}: conflict (409)" + (f": {detail}" if detail else ""), **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimitedError(f"{name} rate-limited {where} (429) after {attempts} attempt(s)",
                                retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(f"{name} failed {where} with {status} after {attempts} attempt(s)"
                           + (f": {detail}" if detail else ""), **kwargs)
    return AtlassianError(f"{name} {where}: HTTP {status}" + (f": {detail}" if detail else ""), **kwargs)


# --------------------------------------------------------------------------- deployment


def _deployment_from_hostname(url: str) -> Deployment:
    host = (urlsplit(url).hostname or "").lower()
    return "cloud" if host.endswith(_CLOUD_SUFFIXES) else "datacenter"


def detect_deployment(session: requests.Session, jira_url: str, *, service: Service = "jira") -> Deployment:
    """Cloud or Data Center from Jira's `/rest/api/2/serverInfo` (`deploymentType`).

    Falls back on the hostname (*.atlassian.net is Cloud) when serverInfo answers 5xx or says
    nothing. serverInfo answers anonymously too, so this also works for a session of another
    origin: `service` names whose session (and credentials) it is, so a refusal names the right
    variables. For Jira an unreachable host is raised (nothing else would work either); for
    Confluence, which only asks Jira for the deployment, the hostname is guessed instead.
    """
    url = f"{jira_url.rstrip('/')}/rest/api/2/serverInfo"
    try:
        response = session.get(url, timeout=getattr(session, "timeout", 30))
    except (requests.ConnectionError, requests.Timeout) as exc:
        if service == "jira" and getattr(exc, "unreachable", False):
            raise classify_error(exc, service="jira") from None
        guess = _deployment_from_hostname(jira_url)
        log.warning("Jira serverInfo unreachable (%s); assuming %s from the hostname", exc, guess)
        return guess
    if response.status_code >= 500:
        guess = _deployment_from_hostname(jira_url)
        log.warning("Jira serverInfo answered %s; assuming %s from the hostname", response.status_code, guess)
        return guess
    if response.status_code >= 400:
        raise classify_error(requests.HTTPError(response=response), service=service)
    try:
        info = response.json()
    except ValueError:
        raise AtlassianError(f"{url} did not answer JSON: is JIRA_URL the Jira base URL?",
                             status=response.status_code, url=url, service="jira") from None
    kind = str(info.get("deploymentType", "") if isinstance(info, dict) else "").lower()
    if kind == "cloud":
        return "cloud"
    if kind in ("server", "datacenter"):
        return "datacenter"
    guess = _deployment_from_hostname(jira_url)
    log.warning("Jira serverInfo has no known deploymentType (%r); assuming %s", kind, guess)
    return guess


# --------------------------------------------------------------------------- handles


@dataclass
class JiraHandle:
    client: Jira
    deployment: Deployment
    base_url: str
    session: requests.Session
    requests_by_status: RequestCounter
    # Cloud only: the library's Cloud class, for `get_bulk_changelogs(data=...)`.
    cloud_client: JiraCloud | None = None

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"

    @property
    def api(self) -> str:
        """REST prefix: Cloud v3 (ADF), Data Center v2."""
        return "rest/api/3" if self.cloud else "rest/api/2"

    def classify(self, exc: BaseException) -> AtlassianError:
        return classify_error(exc, service="jira")

    def close(self) -> None:
        self.session.close()


@dataclass
class ConfluenceHandle:
    client: ConfluenceServer
    deployment: Deployment
    base_url: str
    session: requests.Session
    requests_by_status: RequestCounter = field(default_factory=RequestCounter)

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"

    def classify(self, exc: BaseException) -> AtlassianError:
        return classify_error(exc, service="confluence")

    def close(self) -> None:
        self.session.close()


def require_settings(service: Service, settings: Settings) -> tuple[str, str, str]:
    """(url, user, token) for `service`, or BadUsage (exit 2) naming the variables to set or fix."""
    url_env, user_env, token_env = _ENV[service]
    prefix = service  # settings fields are jira_url, confluence_token, ...
    url = str(getattr(settings, f"{prefix}_url")).strip()
    user = str(getattr(settings, f"{prefix}_user")).strip()
    token = getattr(settings, f"{prefix}_token").get_secret_value().strip()
    missing = [env for env, value in ((url_env, url), (token_env, token)) if not value]
    if missing:
        raise BadUsage(
            f"{_NAME[service]} is not configured: set {' and '.join(missing)} "
            f"({url_env} is the site URL, {user_env} the account e-mail or user name — leave it "
            f"empty to use {token_env} as a Data Center personal access token)"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        hint = f"; did you mean https://{url}?" if "://" not in url else ""
        raise BadUsage(f"{url_env}={url!r} is not an http(s) URL: expected e.g. "
                       f"https://your-site.atlassian.net{'/wiki' if service == 'confluence' else ''}{hint}")
    return url.rstrip("/"), user, token


def _session_for(
    session: requests.Session | None, *, user: str, token: str, base_url: str, timeout: float,
    retry: RetryPolicy | None, on_request: Callable[[RequestRecord], None] | None, http: httpx.Client | None,
) -> tuple[requests.Session, RequestCounter]:
    counter = RequestCounter()
    if session is None:
        session = build_session(user=user, token=token, base_url=base_url, timeout=timeout, retry=retry,
                                on_request=on_request, http=http)
    if isinstance(session, AtlassianSession):
        session.add_listener(counter)
    return session, counter


def build_jira(
    settings: Settings, *, session: requests.Session | None = None, deployment: Deployment | None = None,
    timeout: float = 30, retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None, http: httpx.Client | None = None,
) -> JiraHandle:
    """A Jira client on the shared transport. Detects the deployment unless given (one request)."""
    url, user, token = require_settings("jira", settings)
    session, counter = _session_for(session, user=user, token=token, base_url=url, timeout=timeout,
                                    retry=retry, on_request=on_request, http=http)
    kind = deployment or detect_deployment(session, url)
    if kind == "cloud" and not user:
        log.warning("Jira Cloud API tokens need JIRA_USER (the account e-mail); sending a Bearer token")
    client_timeout = getattr(session, "timeout", timeout)
    # retry_with_header=False: the transport's tenacity policy already honours Retry-After; the
    # library's own retry would sleep a second time, outside our injectable clock.
    # The library annotates timeout as int but hands it to requests, which takes seconds as float.
    client = Jira(url, session=session, cloud=kind == "cloud", timeout=client_timeout,  # type: ignore[arg-type]
                  retry_with_header=False)
    cloud_client = (JiraCloud(url, session=session, timeout=client_timeout, retry_with_header=False)
                    if kind == "cloud" else None)
    return JiraHandle(client, kind, url, session, counter, cloud_client)


def build_confluence(
    settings: Settings, *, session: requests.Session | None = None, deployment: Deployment | None = None,
    timeout: float = 30, retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None, http: httpx.Client | None = None,
) -> ConfluenceHandle:
    """A Confluence client (the library's server class, `cloud=True` on Cloud) on the transport.

    Without `deployment`: detected from Jira's serverInfo when JIRA_URL is set (same product
    family), else from the hostname. On *.atlassian.net a missing `/wiki` suffix is added.
    """
    url, user, token = require_settings("confluence", settings)
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith(_CLOUD_SUFFIXES) and not urlsplit(url).path.rstrip("/").endswith("/wiki"):
        url = f"{url}/wiki"  # Confluence Cloud lives under /wiki on the site
    session, counter = _session_for(session, user=user, token=token, base_url=url, timeout=timeout,
                                    retry=retry, on_request=on_request, http=http)
    if deployment is None:
        jira_url = settings.jira_url.strip()
        deployment = (detect_deployment(session, jira_url, service="confluence")
                      if urlsplit(jira_url).scheme in ("http", "https") else _deployment_from_hostname(url))
    client = ConfluenceServer(url, session=session, cloud=deployment == "cloud",
                              timeout=getattr(session, "timeout", timeout), retry_with_header=False)
    return ConfluenceHandle(client, deployment, url, session, counter)


def build_clients(
    settings: Settings, *, timeout: float = 30, retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None, http: httpx.Client | None = None,
) -> tuple[JiraHandle, ConfluenceHandle]:
    """Both handles, one detection, one shared httpx connection pool (closed with the Jira handle
    when this function created it)."""
    owned = http is None
    shared = http or httpx.Client(follow_redirects=False, timeout=timeout)
    jira = build_jira(settings, timeout=timeout, retry=retry, on_request=on_request, http=shared)
    confluence = build_confluence(settings, deployment=jira.deployment, timeout=timeout, retry=retry,
                                  on_request=on_request, http=shared)
    if owned and isinstance(jira.session, AtlassianSession):
        jira.session.adapter.owns_client = True
    return jira, confluence


__all__ = [
    "AtlassianError", "AuthError", "BadRequestError", "ConflictError", "ConfluenceHandle", "JiraHandle",
    "NotFoundError", "RateLimitedError", "ServerError", "TransportError", "build_clients",
    "build_confluence", "build_jira", "classify_error", "detect_deployment", "parse_error_messages",
    "require_settings",
]
