"""Stakeholder write-back to Jira: atomic adds to the mapped field, or watchers.

The plan is computed purely (`goldenthread.mappings.stakeholders.compute_write_plan`); this module
only applies it. Rules of the road:

- Field mode uses Jira's `update` verb with `add` operations, never `fields` (a set) and never a
  read-modify-write: a stakeholder a person adds by hand between our read and our write survives,
  and we never send `remove`/`set`.
- Both writes are idempotent in Jira (adding a user already in a multi-user picker, or an existing
  watcher, changes nothing), so the transport retries them like reads: 429/503 with Retry-After,
  other 5xx and reset connections with backoff (`RetryPolicy.idempotent_writes`).
- One worker per issue at a time in a small pool: a per-issue write limit (429 with
  `RateLimit-Reason: jira-per-issue-on-write`) slows only the issue it names; the others proceed,
  and an issue that still fails is reported and left for the next sync (the store is not updated
  for it, so it is planned again).
- `notifyUsers=false` on edits so stakeholders are not e-mailed for every run. Jira Cloud ignores
  the parameter when our user lacks Administer Jira/project admin; Data Center answers 403
  instead, so there we retry the same write once without it (a refused request did not land) and
  report a warning.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from threading import Lock
from typing import Any

from requests import HTTPError, RequestException

from goldenthread.mappings.config import Config
from goldenthread.mappings.deployment import Deployment, DeploymentKind
from goldenthread.mappings.records import Issue, UserRef
from goldenthread.mappings.stakeholders import build_stakeholder_plan
from goldenthread.mappings.writeback import PlannedAdd, compute_write_plan
from goldenthread.sync.http.atlassian import build_path
from goldenthread.sync.http.classify import classify
DEFAULT_WORKERS = 4


@dataclass
class WritebackResult:
    plan: list[PlannedAdd]
    dry_run: bool = False
    added: dict[str, tuple[UserRef, ...]] = field(default_factory=dict)  # issue key -> users written
    skipped: dict[str, str] = field(default_factory=dict)  # issue key -> why nothing was tried
    failed: dict[str, str] = field(default_factory=dict)  # issue key -> why the write failed
    warnings: list[str] = field(default_factory=list)
    requests: int = 0  # write requests we issued (transport retries not included)
    exchanges: int | None = None  # every HTTP exchange incl. retries and watcher reads (JiraHandle only)

    @property
    def ok(self) -> bool:
        return not self.failed


def _client_and_deployment(jira: Any, deployment: DeploymentKind | None) -> tuple[Any, DeploymentKind]:
    """Accept a JiraHandle (`.client`, `.deployment`) or a bare atlassian client."""
    client = getattr(jira, "client", jira)
    found = deployment or getattr(jira, "deployment", None)
    if found is None:
        found = "cloud" if getattr(client, "cloud", False) else "datacenter"
    return client, found


def _api(deployment: DeploymentKind) -> str:
    # Cloud v3 and Data Center v2 accept the same `update`/watchers bodies apart from the user key.
    return Deployment.of(deployment).jira_rest


def build_field_update(field_id: str, user_ids: Iterable[str], deployment: DeploymentKind) -> dict[str, Any]:
    """The atomic-add body: `{"update": {field: [{"add": {"accountId"|"name": id}}, ...]}}`."""
    user_key = Deployment.of(deployment).user_key
    return {"update": {field_id: [{"add": {user_key: uid}} for uid in user_ids]}}


def _describe_error(exc: Exception, jira: Any = None) -> str:
    response = getattr(exc, "response", None)
    if response is not None and classify(response.status_code, response.headers, b"").per_issue_limit:
        return "Jira per-issue write limit (429 jira-per-issue-on-write); will retry on the next sync"
    to_error = getattr(jira, "classify", None)
    if to_error is not None:  # JiraHandle: the project's redacted, uniform error text
        return str(to_error(exc))[:300]
    if response is None:
        return f"{type(exc).__name__}: {exc}"[:300]
    text = str(exc).strip() or response.reason or ""
    return f"HTTP {response.status_code}: {text}"[:300]


def _exchange_count(jira: Any) -> int | None:
    counter = getattr(jira, "requests_by_status", None)
    return getattr(counter, "total", None)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


class _Writer:
    def __init__(self, client: Any, deployment: DeploymentKind, field_id: str | None, notify_users: bool) -> None:
        self.client = client
        self.deployment = deployment
        self.field_id = field_id
        self.notify_users = notify_users
        self._lock = Lock()
        self.requests = 0
        self.warnings: list[str] = []
        self._notify_refused = False

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _put_field(self, add: PlannedAdd) -> None:
        assert self.field_id is not None
        path = build_path(_api(self.deployment), "issue", add.issue_key)
        body = build_field_update(self.field_id, (u.id for u in add.users), self.deployment)
        suppress = not self.notify_users and not self._notify_refused
        self._count()
        try:
            self.client.put(path, data=body, params={"notifyUsers": "false"} if suppress else None)
        except HTTPError as exc:
            refused = Deployment.of(self.deployment).refuses_notify_users_off and _status(exc) == 403
            if not (suppress and refused):
                raise
            with self._lock:
                if not self._notify_refused:
                    self._notify_refused = True
                    self.warnings.append(
                        "Jira refused notifyUsers=false (needs Administer Jira or project admin): "
                        "stakeholder adds will notify watchers"
                    )
            self._count()
            self.client.put(path, data=body)

    def _post_watchers(self, add: PlannedAdd) -> tuple[UserRef, ...]:
        path = build_path(_api(self.deployment), "issue", add.issue_key, "watchers")
        done: list[UserRef] = []
        for user in add.users:
            self._count()
            try:
                # The body is the bare accountId (Cloud) or username (DC) as a JSON string; the
                # library json-dumps `data`, so passing the str yields "\"id\"".
                self.client.post(path, data=user.id)
            except Exception as exc:  # noqa: BLE001 - keep the watchers already added
                if done:
                    raise _PartialFailure(tuple(done), exc) from exc
                raise
            done.append(UserRef(user.id, user.name))
        return tuple(done)

    def apply(self, add: PlannedAdd) -> tuple[UserRef, ...]:
        if add.target == "field":
            self._put_field(add)
            return tuple(UserRef(u.id, u.name) for u in add.users)
        return self._post_watchers(add)


class _PartialFailure(Exception):
    def __init__(self, done: tuple[UserRef, ...], cause: Exception) -> None:
        super().__init__(str(cause))
        self.done = done
        self.cause = cause


def publish_write_plan(
    jira: Any,
    plan: list[PlannedAdd],
    *,
    field_id: str | None,
    deployment: DeploymentKind | None = None,
    dry_run: bool = False,
    max_workers: int = DEFAULT_WORKERS,
    notify_users: bool = False,
    warnings: Iterable[str] = (),
) -> WritebackResult:
    """Apply a write plan. `dry_run` returns the plan and sends nothing."""
    result = WritebackResult(plan=list(plan), dry_run=dry_run, warnings=list(warnings))
    if dry_run or not plan:
        return result
    client, deployment = _client_and_deployment(jira, deployment)
    writer = _Writer(client, deployment, field_id, notify_users)
    exchanges_before = _exchange_count(jira)
    todo: list[PlannedAdd] = []
    for add in plan:
        if add.target == "field" and not field_id:
            result.skipped[add.issue_key] = "the Stakeholders field is not resolved in Jira"
        else:
            todo.append(add)

    def run(add: PlannedAdd) -> tuple[str, tuple[UserRef, ...], str | None]:
        try:
            return add.issue_key, writer.apply(add), None
        except _PartialFailure as exc:
            return add.issue_key, exc.done, _describe_error(exc.cause, jira)
        except Exception as exc:  # noqa: BLE001 - one issue's failure must not lose the others' results
            return add.issue_key, (), _describe_error(exc, jira)

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="gt-writeback") as pool:
        for key, users, error in pool.map(run, todo):
            if users:
                result.added[key] = users
            if error:
                result.failed[key] = error
    result.requests = writer.requests
    result.warnings.extend(writer.warnings)
    exchanges_after = _exchange_count(jira)
    if exchanges_before is not None and exchanges_after is not None:
        result.exchanges = exchanges_after - exchanges_before
    return result


def fetch_watchers(
    jira: Any,
    keys: Collection[str],
    *,
    deployment: DeploymentKind | None = None,
    max_workers: int = DEFAULT_WORKERS,
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Current watcher ids per issue, and per-issue read errors (those issues are left out)."""
    client, deployment = _client_and_deployment(jira, deployment)
    user_key = Deployment.of(deployment).user_key

    def one(key: str) -> tuple[str, set[str] | None, str | None]:
        try:
            body = client.get(build_path(_api(deployment), "issue", key, "watchers")) or {}
        except (HTTPError, RequestException) as exc:
            return key, None, _describe_error(exc, jira)
        return key, {str(w[user_key]) for w in body.get("watchers", []) if w.get(user_key)}, None

    found: dict[str, set[str]] = {}
    errors: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="gt-watchers") as pool:
        for key, ids, error in pool.map(one, list(keys)):
            if ids is not None:
                found[key] = ids
            if error:
                errors[key] = error
    return found, errors


def fetch_own_user_id(jira: Any, deployment: DeploymentKind | None = None) -> str:
    """Our API user's id (accountId on Cloud, username on DC), for `is_own_change`."""
    client, deployment = _client_and_deployment(jira, deployment)
    me = client.get(f"{_api(deployment)}/myself") or {}
    return Deployment.of(deployment).own_user_id(me)


def publish_stakeholders(
    jira: Any,
    issues: Iterable[Issue],
    config: Config,
    *,
    field_id: str | None,
    deployment: DeploymentKind | None = None,
    mapped_fields: Collection[str] | None = None,
    dry_run: bool = False,
    max_workers: int = DEFAULT_WORKERS,
    notify_users: bool = False,
) -> WritebackResult:
    """Plan and apply stakeholder write-back for `issues` (the store's current records).

    After it returns, the sync layer stores `build_issue_with_added(issue, result.added[key])` for
    every key in `result.added`, so the next run plans nothing for them.
    """
    issues = list(issues)
    _, found_deployment = _client_and_deployment(jira, deployment)
    plan = build_stakeholder_plan(config, mapped_fields, found_deployment)
    warnings = list(plan.warnings)
    if plan.write_back == "watchers":
        candidates = compute_write_plan(issues, plan)
        watchers, errors = fetch_watchers(
            jira, [c.issue_key for c in candidates], deployment=found_deployment, max_workers=max_workers
        )
        warnings.extend(f"{key}: could not read watchers ({why})" for key, why in sorted(errors.items()))
        write_plan = compute_write_plan(issues, plan, current_watchers=watchers)
    else:
        write_plan = compute_write_plan(issues, plan)
    return publish_write_plan(
        jira,
        write_plan,
        field_id=field_id,
        deployment=found_deployment,
        dry_run=dry_run,
        max_workers=max_workers,
        notify_users=notify_users,
        warnings=warnings,
    )


def build_issue_with_added(issue: Issue, added: Iterable[UserRef]) -> Issue:
    """The store record after a successful field add (no-op for ids already present)."""
    present = {u.id.casefold() for u in issue.stakeholders}
    extra = tuple(u for u in added if u.id.casefold() not in present)
    return replace(issue, stakeholders=issue.stakeholders + extra) if extra else issue
