"""Stakeholder write-back against respx: atomic adds, watchers, idempotency, dry-run, limits."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import requests
import respx
from atlassian import Jira, JiraCloud

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.records import Issue, UserRef
from goldenthread.mappings.stakeholders import build_stakeholder_plan
from goldenthread.mappings.writeback import compute_write_plan
from goldenthread.sync.http.session import build_session
from goldenthread.sync.http.transport import RetryPolicy
from goldenthread.cli.sync import render_plan_table
from goldenthread.sync.jira.writeback import (
    build_issue_with_added,
    fetch_own_user_id,
    publish_stakeholders,
    publish_write_plan,
)
from tests.conftest import FIXTURES

CLOUD = "https://example.atlassian.net"
DC = "https://jira.example.com"
DANA = "557058:8f0c1e2a-3b4c-4d5e-8f60-718293a4b5c6"
OMAR = "5b10a2844c20165700ede21a"
REQUESTER = "712020:0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
HAND = "557058:11111111-2222-4333-8444-555555555555"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
FIELD = "customfield_10003"


class RecordingSleep:
    """Injected into the transport's RetryPolicy: records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def session(base_url: str, sleep: RecordingSleep | None = None, attempts: int = 3) -> requests.Session:
    policy = RetryPolicy(max_attempts=attempts, sleep=sleep or RecordingSleep(), jitter=0.0)
    return build_session(user="bot@example.com", token="t0ken-secret", base_url=base_url, retry=policy)


# retry_with_header=False: the library would otherwise retry a 429 itself with a real
# time.sleep; every retry must go through the transport's tenacity policy.
def cloud_jira(**kw: object) -> JiraCloud:
    return JiraCloud(CLOUD, session=session(CLOUD, **kw), retry_with_header=False)  # type: ignore[arg-type]


def dc_jira() -> Jira:
    return Jira(DC, session=session(DC), retry_with_header=False)


def config_text(write_back: str, ids: tuple[str, str]) -> str:
    a, b = ids
    return f"""\
fields:
  stakeholders: Stakeholders
stakeholders:
  write_back: {write_back}
  people:
    - {{id: "{a}", name: Dana, power: high, interest: high}}
    - {{id: "{b}", name: Omar, power: low, interest: high}}
  rules:
    - {{when: {{component: Payroll}}, add: ["{a}"]}}
    - {{when: {{label: hr}}, add: ["{b}"]}}
"""


def issue(key: str, *, components=(), labels=(), stakeholders=()) -> Issue:
    return Issue(
        key=key, id=key.split("-")[1], project="HRP", summary="s", issue_type="Story", status="To Do",
        status_category="new", created=T0, updated=T0, components=tuple(components), labels=tuple(labels),
        stakeholders=tuple(stakeholders), reporter=UserRef(REQUESTER, "Rita"),
    )


def bodies(route: respx.Route) -> list:
    return [json.loads(call.request.content) for call in route.calls]


@respx.mock(assert_all_called=False)
def test_cloud_field_atomic_add_and_second_run_writes_nothing(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    put7 = respx_mock.put(f"{CLOUD}/rest/api/3/issue/HRP-7").mock(return_value=httpx.Response(204))
    store = {"HRP-7": issue("HRP-7", components=("Payroll",), labels=("HR",), stakeholders=(UserRef(HAND, "Hand"),))}

    result = publish_stakeholders(cloud_jira(), store.values(), config, field_id=FIELD)

    assert result.failed == {} and result.requests == 1
    [call] = put7.calls
    assert call.request.url.params["notifyUsers"] == "false"
    assert json.loads(call.request.content) == {
        "update": {FIELD: [{"add": {"accountId": DANA}}, {"add": {"accountId": OMAR}}]}
    }
    # the sync layer stores what was written; the next run then plans and sends nothing
    store["HRP-7"] = build_issue_with_added(store["HRP-7"], result.added["HRP-7"])
    assert [u.id for u in store["HRP-7"].stakeholders] == [HAND, DANA, OMAR]
    again = publish_stakeholders(cloud_jira(), store.values(), config, field_id=FIELD)
    assert again.plan == [] and again.requests == 0 and len(put7.calls) == 1


@respx.mock(assert_all_called=False)
def test_dc_field_add_by_name_and_notify_refused_falls_back(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", ("dana", "omar")))
    put = respx_mock.put(f"{DC}/rest/api/2/issue/HRP-3")
    put.side_effect = [httpx.Response(403, json={"errorMessages": ["no admin"], "errors": {}}), httpx.Response(204)]
    result = publish_stakeholders(
        dc_jira(), [issue("HRP-3", components=("payroll",))], config, field_id=FIELD, deployment="datacenter"
    )
    assert result.failed == {} and [u.id for u in result.added["HRP-3"]] == ["dana"]
    first, second = put.calls
    assert first.request.url.params.get("notifyUsers") == "false"
    assert "notifyUsers" not in second.request.url.params
    assert bodies(put) == [{"update": {FIELD: [{"add": {"name": "dana"}}]}}] * 2
    assert len(result.warnings) == 1 and "notifyUsers" in result.warnings[0]


def _never_removes(payload: dict) -> bool:
    ops = [op for ops in payload.get("update", {}).values() for item in ops for op in item]
    return "fields" not in payload and set(ops) <= {"add"}


@respx.mock(assert_all_called=False)
def test_hand_added_stakeholder_survives_no_remove_or_set(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    route = respx_mock.put(url__regex=rf"{CLOUD}/rest/api/3/issue/HRP-\d+").mock(return_value=httpx.Response(204))
    issues = [
        issue("HRP-1", components=("Payroll",), stakeholders=(UserRef(HAND),)),
        issue("HRP-2", labels=("hr",), stakeholders=(UserRef(HAND), UserRef(DANA))),
    ]
    publish_stakeholders(cloud_jira(), issues, config, field_id=FIELD)
    assert len(route.calls) == 2
    for payload in bodies(route):
        assert _never_removes(payload)
        assert HAND not in json.dumps(payload)  # already there: not even re-added


@respx.mock(assert_all_called=False)
def test_watchers_mode_cloud_and_dc(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("watchers", (DANA, OMAR)))
    respx_mock.get(f"{CLOUD}/rest/api/3/issue/HRP-5/watchers").mock(
        return_value=httpx.Response(200, json={"isWatching": False, "watchCount": 1,
                                               "watchers": [{"accountId": DANA, "displayName": "Dana"}]})
    )
    post = respx_mock.post(f"{CLOUD}/rest/api/3/issue/HRP-5/watchers").mock(return_value=httpx.Response(204))
    result = publish_stakeholders(cloud_jira(), [issue("HRP-5", components=("Payroll",), labels=("hr",))],
                                  config, field_id=None)
    assert [c.request.content for c in post.calls] == [json.dumps(OMAR).encode()]
    assert post.calls[0].request.headers["Content-Type"] == "application/json"
    assert [u.id for u in result.added["HRP-5"]] == [OMAR]

    dc_config, _ = parse_config(config_text("watchers", ("dana", "omar")))
    with open_dc_watchers(respx_mock) as dc_post:
        # both rules match HRP-6; dana already watches it (the sample watchers answer)
        publish_stakeholders(dc_jira(), [issue("HRP-6", components=("Payroll",), labels=("hr",))], dc_config,
                             field_id=None, deployment="datacenter")
        assert [c.request.content for c in dc_post.calls] == [b'"omar"']


class open_dc_watchers:
    """DC watchers as GET /rest/api/2/issue/{key}/watchers answers them (users by `name`)."""

    def __init__(self, mock: respx.MockRouter) -> None:
        sample = (FIXTURES / "jira-dc-v2-issue-watchers.json").read_text(encoding="utf-8")
        mock.get(f"{DC}/rest/api/2/issue/HRP-6/watchers").mock(return_value=httpx.Response(200, text=sample))
        self.post = mock.post(f"{DC}/rest/api/2/issue/HRP-6/watchers").mock(return_value=httpx.Response(204))

    def __enter__(self) -> respx.Route:
        return self.post

    def __exit__(self, *exc: object) -> None:
        return None


@respx.mock(assert_all_called=False)
def test_dry_run_writes_nothing_and_table_shows_why(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    writes = respx_mock.route(method__in=["PUT", "POST"]).mock(return_value=httpx.Response(204))
    result = publish_stakeholders(cloud_jira(), [issue("HRP-9", components=("Payroll",))], config,
                                  field_id=FIELD, dry_run=True)
    assert not writes.called and result.requests == 0
    assert [(a.issue_key, [u.id for u in a.users]) for a in result.plan] == [("HRP-9", [DANA])]
    table = render_plan_table(result.plan, result)
    assert table.row_count == 1
    assert [str(c) for c in table.columns[3].cells] == ["added because component = Payroll"]


def test_table_keeps_jira_text_literal() -> None:
    from goldenthread.mappings.writeback import PlannedAdd, PlannedUser

    plan = [PlannedAdd("HRP-1", "1", "field", (PlannedUser(REQUESTER, "[red]Rita[/red]", ("reporter",)),))]
    assert "[red]Rita[/red]" in _render(render_plan_table(plan))


LIMITED = httpx.Response(
    429,
    headers={"RateLimit-Reason": "jira-per-issue-on-write", "Retry-After": "2"},
    json={"errorMessages": ["Rate limit exceeded."]},
)


@respx.mock(assert_all_called=False)
def test_per_issue_limit_is_retried_and_others_go_through(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    limited = respx_mock.put(f"{CLOUD}/rest/api/3/issue/HRP-1")
    limited.side_effect = [LIMITED, httpx.Response(204)]
    others = respx_mock.put(url__regex=rf"{CLOUD}/rest/api/3/issue/HRP-[2-6]").mock(
        return_value=httpx.Response(204)
    )
    sleep = RecordingSleep()
    issues = [issue(f"HRP-{n}", components=("Payroll",)) for n in range(1, 7)]
    result = publish_stakeholders(cloud_jira(sleep=sleep), issues, config, field_id=FIELD, max_workers=3)
    assert result.failed == {}
    assert set(result.added) == {f"HRP-{n}" for n in range(1, 7)}
    assert len(limited.calls) == 2 and len(others.calls) == 5
    assert sleep.waits == [2.0]  # Retry-After honoured, once, for the limited issue only
    # the retry sent the same atomic add
    assert bodies(limited)[0] == bodies(limited)[1] == {"update": {FIELD: [{"add": {"accountId": DANA}}]}}


@respx.mock(assert_all_called=False)
def test_per_issue_limit_that_persists_fails_only_that_issue(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    limited = respx_mock.put(f"{CLOUD}/rest/api/3/issue/HRP-1").mock(return_value=LIMITED)
    others = respx_mock.put(url__regex=rf"{CLOUD}/rest/api/3/issue/HRP-[2-6]").mock(
        return_value=httpx.Response(204)
    )
    issues = [issue(f"HRP-{n}", components=("Payroll",)) for n in range(1, 7)]
    result = publish_stakeholders(cloud_jira(attempts=2), issues, config, field_id=FIELD, max_workers=3)
    assert len(limited.calls) == 2
    assert set(result.added) == {f"HRP-{n}" for n in range(2, 7)} and len(others.calls) == 5
    assert list(result.failed) == ["HRP-1"] and "per-issue" in result.failed["HRP-1"]


@respx.mock(assert_all_called=False)
def test_bad_id_rule_skipped_once_and_never_written(respx_mock: respx.MockRouter) -> None:
    text = config_text("field", (DANA, OMAR)) + '    - {when: {label: hr}, add: ["dana@example.com"]}\n'
    config, _ = parse_config(text)
    route = respx_mock.put(url__regex=rf"{CLOUD}/rest/api/3/issue/.*").mock(return_value=httpx.Response(204))
    issues = [issue(f"HRP-{n}", labels=("hr",)) for n in range(1, 4)]
    result = publish_stakeholders(cloud_jira(), issues, config, field_id=FIELD)
    assert len(result.warnings) == 1 and "rule 2" in result.warnings[0]
    assert len(route.calls) == 3
    assert all("dana@example.com" not in c.request.content.decode() for c in route.calls)


def test_plan_for_own_echo_is_empty_so_nothing_to_publish() -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    plan = build_stakeholder_plan(config, deployment="cloud")
    echoed = issue("HRP-7", components=("Payroll",), stakeholders=(UserRef(HAND), UserRef(DANA)))
    write_plan = compute_write_plan([echoed], plan)
    assert write_plan == []
    with respx.mock(assert_all_called=False) as mock:
        writes = mock.route(method__in=["PUT", "POST"]).mock(return_value=httpx.Response(204))
        result = publish_write_plan(cloud_jira(), write_plan, field_id=FIELD, deployment="cloud")
    assert not writes.called and result.requests == 0


@respx.mock(assert_all_called=False)
def test_watcher_failure_keeps_the_ones_already_added(respx_mock: respx.MockRouter) -> None:
    config, _ = parse_config(config_text("watchers", (DANA, OMAR)))
    respx_mock.get(f"{CLOUD}/rest/api/3/issue/HRP-5/watchers").mock(
        return_value=httpx.Response(200, json={"watchCount": 0, "watchers": []})
    )
    post = respx_mock.post(f"{CLOUD}/rest/api/3/issue/HRP-5/watchers")
    post.side_effect = [httpx.Response(204), httpx.Response(404, json={"errorMessages": ["User not found"]})]
    result = publish_stakeholders(cloud_jira(), [issue("HRP-5", components=("Payroll",), labels=("hr",))],
                                  config, field_id=None)
    assert [u.id for u in result.added["HRP-5"]] == [DANA]
    assert "404" in result.failed["HRP-5"] and "User not found" in result.failed["HRP-5"]
    console_text = _render(render_plan_table(result.plan, result))
    [dana_row] = [line for line in console_text.splitlines() if DANA in line]
    [omar_row] = [line for line in console_text.splitlines() if OMAR in line]
    assert "added" in dana_row and "not added" not in dana_row
    assert "not added: HTTP 404" in omar_row


def test_field_mode_without_resolved_field_writes_nothing() -> None:
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    with respx.mock(assert_all_called=False) as mock:
        writes = mock.route(method__in=["PUT", "POST"]).mock(return_value=httpx.Response(204))
        result = publish_stakeholders(cloud_jira(), [issue("HRP-1", components=("Payroll",))], config,
                                      field_id=None)
    assert not writes.called and result.added == {}
    assert "HRP-1" in result.skipped


def _render(table: object) -> str:
    from rich.console import Console

    console = Console(record=True, width=240, color_system=None)
    console.print(table)
    return console.export_text()


@respx.mock(assert_all_called=False)
def test_own_user_id_for_loop_detection(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"{CLOUD}/rest/api/3/myself").mock(
        return_value=httpx.Response(200, json={"accountId": DANA, "accountType": "atlassian", "active": True})
    )
    respx_mock.get(f"{DC}/rest/api/2/myself").mock(
        return_value=httpx.Response(200, json={"name": "gt-bot", "key": "JIRAUSER10100", "active": True})
    )
    assert fetch_own_user_id(cloud_jira(), "cloud") == DANA
    assert fetch_own_user_id(dc_jira(), "datacenter") == "gt-bot"


@respx.mock(assert_all_called=False)
def test_through_a_jira_handle(respx_mock: respx.MockRouter) -> None:
    from pydantic import SecretStr

    from goldenthread.sync.http.atlassian import build_jira
    from goldenthread.sync.settings import Settings

    settings = Settings(jira_url=CLOUD, jira_user="bot@example.com", jira_token=SecretStr("t0ken-secret"))
    handle = build_jira(settings, deployment="cloud", retry=RetryPolicy(max_attempts=2, sleep=RecordingSleep()))
    config, _ = parse_config(config_text("field", (DANA, OMAR)))
    put = respx_mock.put(f"{CLOUD}/rest/api/3/issue/HRP-8").mock(
        return_value=httpx.Response(400, json={"errorMessages": [], "errors": {FIELD: "User 'x' does not exist."}})
    )
    result = publish_stakeholders(handle, [issue("HRP-8", components=("Payroll",))], config, field_id=FIELD)
    assert json.loads(put.calls[0].request.content) == {"update": {FIELD: [{"add": {"accountId": DANA}}]}}
    assert result.added == {} and "does not exist" in result.failed["HRP-8"]
    assert "t0ken-secret" not in result.failed["HRP-8"]
    assert result.exchanges == 1  # a 400 is not retried
