"""A small recording fake of Jira Cloud / Data Center for respx: the real request and response
shapes (search/jql tokens, DC startAt, bulkfetch), a tiny JQL subset (the backlog label and
`updated >= "..."`), and a log of every request so tests assert on what was sent."""

from __future__ import annotations

import re

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import respx
from pydantic import SecretStr

from goldenthread.mappings.config import parse_config
from goldenthread.sync.http.atlassian import build_jira
from goldenthread.sync.context import AppContext
from goldenthread.sync.settings import Settings
from goldenthread.sync.http.transport import RetryPolicy

CLOUD = "https://acme.atlassian.net"
DC = "https://jira.acme.internal"
TOKEN = "tok-VERY-SECRET-123"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

FIELD_LIST = [
    {"id": "customfield_10100", "name": "Reach", "custom": True, "schema": {"type": "number"}},
    {"id": "customfield_10103", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
    {"id": "customfield_10108", "name": "Stakeholders", "custom": True, "schema": {"type": "array", "items": "user"}},
    {"id": "summary", "name": "Summary", "schema": {"type": "string"}},
]
STATUSES = [
    {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
    {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    {"id": "5", "name": "Done", "statusCategory": {"key": "done"}},
]
CONFIG_YAML = """jira:
  backlog_jql: 'labels = internal-product'
fields:
  reach: Reach
  effort: Story Points
  stakeholders: Stakeholders
"""


def jira_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class FakeIssue:
    n: int
    updated: datetime
    labels: list[str] = field(default_factory=lambda: ["internal-product"])
    status: str = "Done"

    @property
    def key(self) -> str:
        return f"IPM-{self.n}"

    @property
    def id(self) -> str:
        return str(10000 + self.n)


class FakeJira:
    def __init__(self, issues: list[FakeIssue], *, deployment: str = "cloud", base: str = CLOUD) -> None:
        self.issues = issues
        self.deployment = deployment
        self.base = base
        self.calls: list[tuple[str, str, dict[str, Any], Any]] = []  # method, path, query, json body
        self.fail: dict[str, httpx.Response] = {}  # "path#n" -> response for the n-th call to path
        self.repeat_token = False
        self.jql_error: str | None = None
        self.status_401 = False
        # consulted first for every search: (jql, query) -> a response to send instead, or None
        self.fail_search: Callable[[str, dict[str, Any]], httpx.Response | None] | None = None

    # -- helpers ------------------------------------------------------------------
    def requests(self, path_end: str = "") -> list[tuple[str, str, dict[str, Any], Any]]:
        return [c for c in self.calls if c[1].endswith(path_end)]

    def _hits(self, jql: str) -> list[FakeIssue]:
        hits = [i for i in self.issues if "internal-product" in i.labels]
        if 'updated >= "' in jql:
            since = datetime.strptime(jql.split('updated >= "', 1)[1][:16], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            hits = [i for i in hits if i.updated >= since]
        # the id ranges a full sync splits the backlog into (`id >= N`, `id < N`)
        for op, bound in re.findall(r"\bid (>=|<) (\d+)", jql):
            hits = [i for i in hits if (int(i.id) >= int(bound)) == (op == ">=")]
        return sorted(hits, key=lambda i: (i.updated, i.n))

    def _render(self, i: FakeIssue, fields: list[str], changelog: bool) -> dict[str, Any]:
        all_fields: dict[str, Any] = {
            "summary": f"Issue {i.n}",
            "status": {"name": i.status, **({"statusCategory": {"key": "done"}} if self.deployment == "cloud" else {})},
            "issuetype": {"name": "Story"},
            "project": {"key": "IPM"},
            "created": jira_time(i.updated - timedelta(days=10)),
            "updated": jira_time(i.updated),
            "resolutiondate": jira_time(i.updated),
            "reporter": {"accountId": "557058:r"} if self.deployment == "cloud" else {"name": "rita"},
            "labels": i.labels,
            "customfield_10100": i.n * 10,
        }
        out: dict[str, Any] = {"id": i.id, "key": i.key, "self": f"{self.base}/rest/api/x/issue/{i.id}",
                               "fields": {k: v for k, v in all_fields.items() if k in fields}}
        if changelog:
            out["changelog"] = {"histories": self._histories(i, iso=True)}
        return out

    def _histories(self, i: FakeIssue, *, iso: bool) -> list[dict[str, Any]]:
        steps = [("To Do", "In Progress", timedelta(days=8)), ("In Progress", "Done", timedelta(days=1))]
        out = []
        for n, (a, b, before) in enumerate(steps):
            at = i.updated - before
            out.append({"id": f"{i.n}{n}", "created": jira_time(at) if iso else int(at.timestamp()),
                        "author": {"accountId": "557058:a"},
                        "items": [{"field": "status", "fieldId": "status", "fromString": a, "toString": b}]})
        return out

    # -- the respx side effect ----------------------------------------------------------
    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = urlsplit(str(request.url))
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.method, path, query, body))
        nth = f"{path}#{len(self.requests(path))}"
        if nth in self.fail:
            return self.fail[nth]
        if self.status_401:
            return httpx.Response(401, json={"errorMessages": ["You are not authenticated."]})
        if path.endswith("/serverInfo"):
            return httpx.Response(200, json={"deploymentType": "Cloud" if self.deployment == "cloud" else "Server"})
        if path.endswith("/field"):
            return httpx.Response(200, json=FIELD_LIST)
        if path.endswith("/status"):
            return httpx.Response(200, json=STATUSES)
        if path.endswith("/myself"):
            return httpx.Response(200, json={"accountId": "557058:me", "timeZone": "UTC"})
        if path.endswith("/search/jql") or path.endswith("/rest/api/2/search"):
            if self.jql_error:
                return httpx.Response(400, json={"errorMessages": [self.jql_error], "errors": {}})
            failed = self.fail_search(query["jql"], query) if self.fail_search else None
            if failed is not None:
                return failed
            return self._search(path, query)
        if path.endswith("/changelog/bulkfetch"):
            ids = set(body["issueIdsOrKeys"])
            logs = [{"issueId": i.id, "changeHistories": self._histories(i, iso=False)}
                    for i in self.issues if i.id in ids]
            return httpx.Response(200, json={"issueChangeLogs": logs})
        return httpx.Response(404, json={"errorMessages": [f"no route {path}"]})

    def _search(self, path: str, q: dict[str, Any]) -> httpx.Response:
        hits = self._hits(q["jql"])
        fields = q.get("fields", "id").split(",")
        limit = int(q.get("maxResults", 50))
        if path.endswith("/search/jql"):
            offset = int(q.get("nextPageToken", "0"))
            page = hits[offset:offset + limit]
            body: dict[str, Any] = {"issues": [self._render(i, fields, False) for i in page]}
            if fields == ["key"]:
                body["issues"] = [{"id": i.id, "key": i.key} for i in page]
            end = offset + len(page)
            body["isLast"] = end >= len(hits)
            if end < len(hits):
                body["nextPageToken"] = "0" if self.repeat_token and offset else str(end)
            return httpx.Response(200, json=body)
        start = int(q.get("startAt", "0"))
        page = hits[start:start + limit]
        changelog = "changelog" in q.get("expand", "")
        return httpx.Response(200, json={"startAt": start, "maxResults": limit, "total": len(hits),
                                         "issues": [self._render(i, fields, changelog) for i in page]})


def make_ctx(store_url: str, *, base: str = CLOUD, user: str = "me@example.com", clock=lambda: NOW,  # type: ignore[no-untyped-def]
             yaml_text: str = CONFIG_YAML) -> AppContext:
    settings = Settings(jira_url=base, jira_user=user, jira_token=SecretStr(TOKEN),
                        goldenthread_config="goldenthread.yaml")  # type: ignore[arg-type]
    config, lines = parse_config(yaml_text)
    return AppContext(settings=settings, config=config, lines=lines, clock=clock, database_url=store_url)


def make_jira(ctx: AppContext, deployment: str = "cloud"):  # type: ignore[no-untyped-def]
    return build_jira(ctx.settings, deployment=deployment,  # type: ignore[arg-type]
                      retry=RetryPolicy(max_attempts=2, sleep=lambda _s: None))


def mount(router: respx.Router, fake: FakeJira) -> None:
    router.route(url__startswith=fake.base).mock(side_effect=fake)
