"""Atlassian clients on the shared transport, and Cloud vs Data Center detection.

Notes on atlassian-python-api (read from its source, version 5.x):
- `atlassian.Jira` is the Server/DC class; with `cloud=True` its `jql()` goes to
  `/rest/api/3/search/jql`. `get_changelogs_bulk` sends the wrong body, so on Cloud the handle
  also carries a `JiraCloud` (`cloud_client.get_bulk_changelogs(data=...)`).
- `atlassian.Confluence(...)` is a proxy that picks the Cloud class for *.atlassian.net; that class
  lacks `create_page`, `update_page`, `attach_file`, page properties. We construct the server class
  (`ConfluenceServer`) explicitly, with `cloud=True` on Cloud.
- The library raises `requests.HTTPError` from its `raise_for_status`: `errors.classify_error`
  turns that into our errors.

Tests: tests/sync/http/test_atlassian.py
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar
from urllib.parse import quote, urlsplit

import httpx
import requests
from atlassian import Jira
from atlassian.confluence import ConfluenceServer
from atlassian.jira import JiraCloud

from goldenthread.mappings.deployment import (
    Deployment,
    DeploymentKind,
    build_confluence_base_url,
    compute_kind_from_url,
    parse_deployment_type,
)
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.settings import Settings
from goldenthread.sync.http.classify import classify
from goldenthread.sync.http.errors import (
    ENV,
    NAME,
    AtlassianError,
    AuthError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    Service,
    TransportError,
    classify_error,
)
from goldenthread.sync.http.session import AtlassianSession, RequestCounter, build_session
from goldenthread.sync.http.transport import RequestRecord, RetryPolicy

log = logging.getLogger(__name__)



def build_path(prefix: str, *segments: str) -> str:
    """`prefix/seg/seg` with every segment percent-encoded (`/`, `?`, `#`, `..` included), so a
    value taken from a payload can only ever name one path segment."""
    # "." and ".." are unreserved, yet clients and servers resolve them as dot-segments
    encoded = (quote(str(s), safe="").replace(".", "%2E") if str(s).strip(".") == "" else quote(str(s), safe="")
               for s in segments)
    return "/".join((prefix, *encoded))


# --------------------------------------------------------------------------- deployment


def detect_deployment(session: requests.Session, jira_url: str, *, service: Service = "jira") -> DeploymentKind:
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
        guess = compute_kind_from_url(jira_url)
        log.warning("Jira serverInfo unreachable (%s); assuming %s from the hostname", exc, guess)
        return guess
    verdict = classify(response.status_code, response.headers, response.content)
    if verdict.kind in ("refused", "server"):
        guess = compute_kind_from_url(jira_url)
        log.warning("Jira serverInfo answered %s; assuming %s from the hostname", response.status_code, guess)
        return guess
    if verdict.kind != "ok":
        raise classify_error(requests.HTTPError(response=response), service=service)
    try:
        info = response.json()
    except ValueError:
        raise AtlassianError(f"{url} did not answer JSON: is JIRA_URL the Jira base URL?",
                             status=response.status_code, url=url, service="jira") from None
    kind = parse_deployment_type(info)
    if kind is not None:
        return kind
    guess = compute_kind_from_url(jira_url)
    said = info.get("deploymentType", "") if isinstance(info, dict) else ""
    log.warning("Jira serverInfo has no known deploymentType (%r); assuming %s", str(said).lower(), guess)
    return guess


# --------------------------------------------------------------------------- handles


class _Handle:
    """What a Jira and a Confluence handle share: their deployment's profile, error
    classification naming their service, and closing their session."""

    service: ClassVar[Service]
    deployment: DeploymentKind
    session: requests.Session

    @property
    def profile(self) -> Deployment:
        """What this deployment expects (Jira: REST prefix, search and paging, user ids;
        Confluence: v2 or v1 pages)."""
        return Deployment.of(self.deployment)

    @property
    def cloud(self) -> bool:
        return self.profile.cloud

    def classify(self, exc: BaseException) -> AtlassianError:
        return classify_error(exc, service=self.service)

    def close(self) -> None:
        self.session.close()


@dataclass
class JiraHandle(_Handle):
    service: ClassVar[Service] = "jira"

    client: Jira
    deployment: DeploymentKind
    base_url: str
    session: requests.Session
    requests_by_status: RequestCounter
    # Cloud only: the library's Cloud class, for `get_bulk_changelogs(data=...)`.
    cloud_client: JiraCloud | None = None


@dataclass
class ConfluenceHandle(_Handle):
    service: ClassVar[Service] = "confluence"

    client: ConfluenceServer
    deployment: DeploymentKind
    base_url: str
    session: requests.Session
    requests_by_status: RequestCounter = field(default_factory=RequestCounter)


def require_settings(service: Service, settings: Settings) -> tuple[str, str, str]:
    """(url, user, token) for `service`, or BadUsage (exit 2) naming the variables to set or fix."""
    url_env, user_env, token_env = ENV[service]
    prefix = service  # settings fields are jira_url, confluence_token, ...
    url = str(getattr(settings, f"{prefix}_url")).strip()
    user = str(getattr(settings, f"{prefix}_user")).strip()
    token = getattr(settings, f"{prefix}_token").get_secret_value().strip()
    missing = [env for env, value in ((url_env, url), (token_env, token)) if not value]
    if missing:
        raise BadUsage(
            f"{NAME[service]} is not configured: set {' and '.join(missing)} "
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
    settings: Settings, *, session: requests.Session | None = None, deployment: DeploymentKind | None = None,
    timeout: float = 30, retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None, http: httpx.Client | None = None,
) -> JiraHandle:
    """A Jira client on the shared transport. Detects the deployment unless given (one request)."""
    url, user, token = require_settings("jira", settings)
    session, counter = _session_for(session, user=user, token=token, base_url=url, timeout=timeout,
                                    retry=retry, on_request=on_request, http=http)
    kind = deployment or detect_deployment(session, url)
    cloud = Deployment.of(kind).cloud
    if cloud and not user:
        log.warning("Jira Cloud API tokens need JIRA_USER (the account e-mail); sending a Bearer token")
    client_timeout = getattr(session, "timeout", timeout)
    # retry_with_header=False: the transport's tenacity policy already honours Retry-After; the
    # library's own retry would sleep a second time, outside our injectable clock.
    # The library annotates timeout as int but hands it to requests, which takes seconds as float.
    client = Jira(url, session=session, cloud=cloud, timeout=client_timeout,  # type: ignore[arg-type]
                  retry_with_header=False)
    cloud_client = (JiraCloud(url, session=session, timeout=client_timeout, retry_with_header=False)
                    if cloud else None)
    return JiraHandle(client, kind, url, session, counter, cloud_client)


def build_confluence(
    settings: Settings, *, session: requests.Session | None = None, deployment: DeploymentKind | None = None,
    timeout: float = 30, retry: RetryPolicy | None = None,
    on_request: Callable[[RequestRecord], None] | None = None, http: httpx.Client | None = None,
) -> ConfluenceHandle:
    """A Confluence client (the library's server class, `cloud=True` on Cloud) on the transport.

    Without `deployment`: detected from Jira's serverInfo when JIRA_URL is set (same product
    family), else from the hostname. On *.atlassian.net a missing `/wiki` suffix is added.
    """
    url, user, token = require_settings("confluence", settings)
    url = build_confluence_base_url(url)
    session, counter = _session_for(session, user=user, token=token, base_url=url, timeout=timeout,
                                    retry=retry, on_request=on_request, http=http)
    if deployment is None:
        jira_url = settings.jira_url.strip()
        deployment = (detect_deployment(session, jira_url, service="confluence")
                      if urlsplit(jira_url).scheme in ("http", "https") else compute_kind_from_url(url))
    client = ConfluenceServer(url, session=session, cloud=Deployment.of(deployment).cloud,
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
    "build_confluence", "build_jira", "build_path", "classify_error", "detect_deployment", "require_settings",
]
