"""Jira/Confluence Cloud vs Data Center: every difference the product depends on, in one object.

Pure: what the two deployments expose and expect (REST prefixes, the search endpoint and how it
pages, where an issue's status history comes from, how a user is named, which Confluence API
holds pages). The I/O layers ask `Deployment.of(kind)` instead of comparing kinds themselves.

Tests: tests/mappings/test_deployment.py
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

DeploymentKind = Literal["cloud", "datacenter"]

#: Hosts that are always Atlassian Cloud (the fallback when /serverInfo cannot say).
CLOUD_HOST_SUFFIXES: tuple[str, ...] = (".atlassian.net", ".jira.com")

# Cloud accountIds: "557058:8f0c...-uuid", "qm:uuid:hex" (JSM customers), or the older 24-char
# form ("5b10a2844c20165700ede21g" is Atlassian's own documented example, so not strictly hex).
_CLOUD_PREFIXED = re.compile(r"^[A-Za-z0-9]+(?::[A-Za-z0-9-]+)+$")
_CLOUD_PLAIN = re.compile(r"^[A-Za-z0-9]{24}$")
_DC_FORBIDDEN = re.compile(r"[\s:]")


@dataclass(frozen=True)
class Deployment:
    """What differs between Cloud and Data Center (instances: `CLOUD`, `DATA_CENTER`)."""

    kind: DeploymentKind
    #: Jira REST prefix: Cloud v3 (rich text as ADF), Data Center v2 (wiki markup).
    jira_rest: str
    #: The issue search. Cloud retired /rest/api/{2,3}/search (410): /search/jql pages by
    #: nextPageToken; Data Center's /search pages by startAt.
    search_path: str
    token_paging: bool
    #: Issues per search page with fields requested (Cloud caps search/jql at 100).
    search_page: int
    #: Issues per page of a census (ids only): search/jql allows 5000, DC's default max is 1000.
    census_page: int
    #: Where an issue's full status history comes from: Cloud truncates expand=changelog, so it
    #: is fetched by POST /rest/api/3/changelog/bulkfetch; Data Center embeds it in the search.
    changelog_in_search: bool
    #: The key naming a user in bodies we send and read (watchers, user pickers, /myself).
    user_key: Literal["accountId", "name"]
    #: Confluence storage's attribute for a user mention.
    mention_attribute: Literal["ri:account-id", "ri:username"]
    #: Confluence pages and page properties: Cloud is retiring v1 content CRUD (410), so they go
    #: through /api/v2 there; Data Center has v1 only.
    confluence_pages_v2: bool
    #: Data Center answers 403 to notifyUsers=false when our user is not an admin (Cloud
    #: ignores the parameter instead).
    refuses_notify_users_off: bool

    @property
    def cloud(self) -> bool:
        return self.kind == "cloud"

    @staticmethod
    def of(kind: DeploymentKind | Deployment) -> Deployment:
        if isinstance(kind, Deployment):
            return kind
        return CLOUD if kind == "cloud" else DATA_CENTER

    @property
    def read_only_posts(self) -> tuple[str, ...]:
        """POST paths that only read (a lost response can be fetched again: retryable)."""
        if self.cloud:
            return (f"/{self.search_path}", f"/{self.jira_rest}/changelog/bulkfetch",
                    f"/{self.jira_rest}/issue/bulkfetch", f"/{self.jira_rest}/search/approximate-count")  # fmt: skip
        return (f"/{self.search_path}",)

    def own_user_id(self, myself: Mapping[str, Any]) -> str:
        """Our API user's id from /myself: accountId on Cloud, username (or key) on DC."""
        if self.cloud:
            return str(myself.get("accountId") or "")
        return str(myself.get("name") or myself.get("key") or "")


CLOUD = Deployment(
    kind="cloud", jira_rest="rest/api/3", search_path="rest/api/3/search/jql", token_paging=True,
    search_page=100, census_page=5000, changelog_in_search=False, user_key="accountId",
    mention_attribute="ri:account-id", confluence_pages_v2=True, refuses_notify_users_off=False,
)  # fmt: skip
DATA_CENTER = Deployment(
    kind="datacenter", jira_rest="rest/api/2", search_path="rest/api/2/search", token_paging=False,
    search_page=100, census_page=1000, changelog_in_search=True, user_key="name",
    mention_attribute="ri:username", confluence_pages_v2=False, refuses_notify_users_off=True,
)  # fmt: skip
#: Read-only POST paths of either deployment (the transport is built before detection).
READ_ONLY_POSTS: tuple[str, ...] = CLOUD.read_only_posts + DATA_CENTER.read_only_posts


def compute_user_id_problem(user_id: str, kind: DeploymentKind | None) -> str | None:
    """Why `user_id` cannot name a user on `kind` (None: either shape is accepted)."""
    if not user_id or not user_id.strip():
        return "empty id"
    cloud_ok = len(user_id) <= 128 and bool(_CLOUD_PREFIXED.match(user_id) or _CLOUD_PLAIN.match(user_id))
    dc_ok = len(user_id) <= 255 and not _DC_FORBIDDEN.search(user_id) and user_id.isprintable()
    if kind == "cloud" and not cloud_ok:
        hint = ""
        if "@" in user_id:
            hint = " (an e-mail address is not an accountId)"
        elif dc_ok:
            hint = " (looks like a Data Center username; Jira Cloud needs the accountId)"
        return f"{user_id!r} is not a Jira Cloud accountId{hint}"
    if kind == "datacenter" and not dc_ok:
        return f"{user_id!r} is not a Data Center username (no spaces or colons)"
    if kind is None and not (cloud_ok or dc_ok):
        return f"{user_id!r} is neither a Cloud accountId nor a Data Center username"
    return None


def parse_deployment_type(server_info: Any) -> DeploymentKind | None:
    """The kind /rest/api/2/serverInfo reports (`deploymentType`), None when it says nothing known."""
    kind = str(server_info.get("deploymentType", "") if isinstance(server_info, Mapping) else "").lower()
    if kind == "cloud":
        return "cloud"
    if kind in ("server", "datacenter"):
        return "datacenter"
    return None


def compute_kind_from_url(url: str) -> DeploymentKind:
    """The hostname's guess: *.atlassian.net (and *.jira.com) is Cloud, anything else DC."""
    host = (urlsplit(url).hostname or "").lower()
    return "cloud" if host.endswith(CLOUD_HOST_SUFFIXES) else "datacenter"


def build_confluence_base_url(url: str) -> str:
    """Confluence Cloud lives under /wiki on the site: add it when a Cloud URL lacks it."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.endswith(CLOUD_HOST_SUFFIXES) and not parts.path.rstrip("/").endswith("/wiki"):
        return f"{url}/wiki"
    return url
