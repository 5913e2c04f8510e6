"""Stakeholder rules, grid, validation with YAML lines, write plans and own-change detection."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from goldenthread.mappings.config import parse_config
from goldenthread.mappings.config_sections import Person
from goldenthread.mappings.records import Issue, UserRef
from goldenthread.mappings.deployment import compute_user_id_problem
from goldenthread.mappings.writeback import compute_write_plan, is_own_change
from goldenthread.mappings.stakeholders import (
    FIELD_REASON,
    build_stakeholder_plan,
    check_stakeholder_rules,
    compute_issue_stakeholders,
    compute_people_order,
    compute_quadrant,
)

DANA = "557058:8f0c1e2a-3b4c-4d5e-8f60-718293a4b5c6"
OMAR = "5b10a2844c20165700ede21a"
REQUESTER = "712020:0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
HAND_ADDED = "557058:11111111-2222-4333-8444-555555555555"
BOT = "557058:99999999-aaaa-4bbb-8ccc-dddddddddddd"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)

CONFIG_YAML = f"""\
fields:
  stakeholders: Stakeholders
  objective: Objective
stakeholders:
  write_back: field
  people:
    - {{id: "{DANA}", name: Dana (Finance), power: high, interest: high}}
    - {{id: "{OMAR}", name: Omar (HR), power: low, interest: high}}
  rules:
    - {{when: {{component: Payroll}}, add: ["{DANA}"]}}
    - {{when: {{label: HR, issue_type: story}}, add: ["{OMAR}"]}}
    - {{when: {{reporter: true}}}}
    - {{when: {{objective: cut onboarding time}}, add: ["{OMAR}"]}}
"""


def make_issue(key: str = "HRP-7", **kw: object) -> Issue:
    base: dict[str, object] = dict(
        key=key,
        id="10042",
        project="HRP",
        summary="Payslip PDF export",
        issue_type="Story",
        status="To Do",
        status_category="new",
        created=T0,
        updated=T0,
        reporter=UserRef(REQUESTER, "Rita Requester"),
    )
    base.update(kw)
    return Issue(**base)  # type: ignore[arg-type]


@pytest.fixture()
def config_and_lines():
    return parse_config(CONFIG_YAML)


def test_rules_and_within_when_reporter_case_insensitive_and_reasons(config_and_lines):
    config, _ = config_and_lines
    plan = build_stakeholder_plan(config, deployment="cloud")
    assert plan.warnings == ()
    # component "payroll" in Jira vs "Payroll" in YAML; label "hr" vs "HR"; type "Story" vs "story".
    issue = make_issue(components=("payroll",), labels=("hr", "internal-product"))
    got = {s.id: s.reasons for s in compute_issue_stakeholders(issue, plan)}
    assert got == {
        DANA: ("added because component = Payroll",),
        OMAR: ("added because label = HR and issue_type = story",),
        REQUESTER: ("reporter",),
    }


def test_and_needs_every_key(config_and_lines):
    config, _ = config_and_lines
    plan = build_stakeholder_plan(config, deployment="cloud")
    # label matches but the issue type does not: the AND fails, Omar is not added.
    issue = make_issue(labels=("HR",), issue_type="Bug", reporter=None)
    assert compute_issue_stakeholders(issue, plan) == ()


def test_field_users_are_stakeholders_and_reasons_merge(config_and_lines):
    config, _ = config_and_lines
    plan = build_stakeholder_plan(config, deployment="cloud")
    issue = make_issue(
        components=("Payroll",),
        objective="Cut Onboarding Time",
        labels=("hr",),
        stakeholders=(UserRef(HAND_ADDED, "Hand Added"), UserRef(DANA, "Dana")),
    )
    result = {s.id: s for s in compute_issue_stakeholders(issue, plan)}
    assert result[HAND_ADDED].reasons == (FIELD_REASON,)
    assert result[HAND_ADDED].in_field and result[HAND_ADDED].quadrant is None
    assert result[DANA].reasons == (FIELD_REASON, "added because component = Payroll")
    assert result[DANA].quadrant == "manage_closely"
    assert result[OMAR].reasons == (
        "added because label = HR and issue_type = story",
        "added because objective = cut onboarding time",
    )
    assert result[OMAR].name == "Omar (HR)" and not result[OMAR].in_field


def test_grid_quadrants_and_order():
    people = [
        Person(id="d", name="D", power="low", interest="low"),
        Person(id="c", name="C", power="low", interest="high"),
        Person(id="b", name="B", power="high", interest="low"),
        Person(id="a2", name="Zed", power="high", interest="high"),
        Person(id="a1", name="amy", power="high", interest="high"),
    ]
    assert [compute_quadrant(p) for p in people] == [
        "monitor", "keep_informed", "keep_satisfied", "manage_closely", "manage_closely"
    ]
    assert [p.id for p in compute_people_order(people)] == ["a1", "a2", "b", "c", "d"]


BAD_YAML = """\
fields:
  stakeholders: customfield_10003
stakeholders:
  write_back: field
  people:
    - {id: "557058:aaaa", name: Dana}
    - {id: "dana@example.com", name: Mail}
  rules:
    - {when: {component: Payroll}, add: ["557058:aaaa"]}
    - when: {team: Platform}
      add: ["557058:aaaa"]
    - when: {label: hr}
      add:
        - "557058:aaaa"
        - "557058:zzzz"
    - {when: {project: HRP}, add: ["jsmith"]}
"""


def test_check_names_rule_and_line():
    config, lines = parse_config(BAD_YAML)
    problems = check_stakeholder_rules(config, lines, deployment="cloud")
    errors = {(p.path, p.line) for p in problems if p.severity == "error"}
    assert errors == {
        ("stakeholders.people.1.id", 7),  # e-mail address, not an accountId
        ("stakeholders.rules.1.when.team", 10),  # fields.team not mapped
        ("stakeholders.rules.2.add.1", 15),  # not in people
        ("stakeholders.rules.3.add.0", 16),  # DC username on Cloud
    }
    by_path = {p.path: p.message for p in problems}
    assert "rule 2" in by_path["stakeholders.rules.2.add.1"] and "557058:zzzz" in by_path["stakeholders.rules.2.add.1"]
    assert "e-mail" in by_path["stakeholders.people.1.id"]
    assert "Data Center username" in by_path["stakeholders.rules.3.add.0"]


def test_check_accepts_dc_usernames_on_dc_and_either_when_unknown():
    assert compute_user_id_problem("jsmith", "datacenter") is None
    assert compute_user_id_problem("557058:aaaa", "datacenter") is not None
    assert compute_user_id_problem("jsmith", None) is None
    assert compute_user_id_problem("557058:aaaa", None) is None
    assert compute_user_id_problem("two words", None) is not None
    assert compute_user_id_problem("5b10a2844c20165700ede21g", "cloud") is None


def test_bad_rules_skipped_with_one_warning_each_and_never_planned():
    config, _ = parse_config(BAD_YAML)
    plan = build_stakeholder_plan(config, deployment="cloud")
    assert plan.skipped_rules == (1, 2, 3)
    assert len(plan.warnings) == 3
    issues = [
        make_issue(f"HRP-{n}", id=str(n), components=("Payroll",), labels=("hr",), team="Platform", reporter=None)
        for n in range(1, 6)
    ]
    write = compute_write_plan(issues, plan)
    written_ids = {u.id for add in write for u in add.users}
    assert written_ids == {"557058:aaaa"}
    # warnings are per rule, not per issue
    assert len(plan.warnings) == 3


def test_write_plan_adds_only_missing_never_removes(config_and_lines):
    config, _ = config_and_lines
    plan = build_stakeholder_plan(config, deployment="cloud")
    issue = make_issue(components=("Payroll",), stakeholders=(UserRef(HAND_ADDED, "Hand"),))
    [add] = compute_write_plan([issue], plan)
    assert add.target == "field" and add.issue_key == "HRP-7"
    assert [(u.id, u.reasons) for u in add.users] == [
        (DANA, ("added because component = Payroll",)),
        (REQUESTER, ("reporter",)),
    ]
    # After the write the store's record holds them all: nothing left to plan (idempotent).
    after = make_issue(
        components=("Payroll",),
        stakeholders=(UserRef(HAND_ADDED), UserRef(DANA), UserRef(REQUESTER)),
    )
    assert compute_write_plan([after], plan) == []


def test_watchers_mode_uses_supplied_watchers(config_and_lines):
    config, _ = config_and_lines
    config = config.model_copy(
        update={"stakeholders": config.stakeholders.model_copy(update={"write_back": "watchers"})}
    )
    plan = build_stakeholder_plan(config, deployment="cloud")
    issue = make_issue(components=("Payroll",))
    unknown = compute_write_plan([issue], plan)
    assert [u.id for u in unknown[0].users] == [DANA, REQUESTER]
    known = compute_write_plan([issue], plan, current_watchers={"HRP-7": [REQUESTER]})
    assert known[0].target == "watchers" and [u.id for u in known[0].users] == [DANA]
    assert compute_write_plan([issue], plan, current_watchers={"HRP-7": [REQUESTER, DANA]}) == []


def test_write_back_off_plans_nothing(config_and_lines):
    config, _ = config_and_lines
    config = config.model_copy(
        update={"stakeholders": config.stakeholders.model_copy(update={"write_back": "off"})}
    )
    assert compute_write_plan([make_issue(components=("Payroll",))], config) == []


def cloud_webhook_after_our_write() -> dict:
    """Shape of a Cloud `jira:issue_updated` (accountId-only users, items with fieldId)."""
    bot = {
        "self": f"https://example.atlassian.net/rest/api/2/user?accountId={BOT}",
        "accountId": BOT,
        "avatarUrls": {"48x48": "https://avatar-management.example/48"},
        "displayName": "goldenthread",
        "active": True,
        "timeZone": "Etc/GMT",
        "accountType": "atlassian",
    }
    return {
        "timestamp": 1709283600000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_updated",
        "user": bot,
        "issue": {
            "id": "10042",
            "self": "https://example.atlassian.net/rest/api/2/issue/10042",
            "key": "HRP-7",
            "fields": {
                "issuetype": {"id": "10001", "name": "Story", "subtask": False},
                "project": {"id": "10000", "key": "HRP", "name": "HR Portal"},
                "components": [{"id": "10100", "name": "Payroll"}],
                "labels": ["internal-product"],
                "summary": "Payslip PDF export",
                "reporter": {"accountId": REQUESTER, "displayName": "Rita Requester"},
                "customfield_10003": [
                    {"accountId": HAND_ADDED, "displayName": "Hand"},
                    {"accountId": DANA, "displayName": "Dana"},
                    {"accountId": REQUESTER, "displayName": "Rita Requester"},
                ],
                "updated": "2024-03-01T10:00:00.000+0000",
                "created": "2024-03-01T09:00:00.000+0000",
            },
        },
        "changelog": {
            "id": "10500",
            "items": [
                {
                    "field": "Stakeholders",
                    "fieldtype": "custom",
                    "fieldId": "customfield_10003",
                    "from": f"[{HAND_ADDED}]",
                    "fromString": "Hand",
                    "to": f"[{HAND_ADDED}, {DANA}, {REQUESTER}]",
                    "tmpFromAccountId": None,
                    "toString": "Hand, Dana, Rita Requester",
                }
            ],
        },
    }


def test_own_webhook_is_recognised_and_plans_nothing(config_and_lines):
    payload = cloud_webhook_after_our_write()
    assert is_own_change(payload, BOT, "customfield_10003") is True
    # Belt and braces: the issue as the webhook reports it already has everyone.
    config, _ = config_and_lines
    plan = build_stakeholder_plan(config, deployment="cloud")
    fields = payload["issue"]["fields"]
    echoed = make_issue(
        components=tuple(c["name"] for c in fields["components"]),
        stakeholders=tuple(UserRef(u["accountId"], u["displayName"]) for u in fields["customfield_10003"]),
    )
    assert compute_write_plan([echoed], plan) == []


def test_not_own_change_when_person_or_other_fields():
    payload = cloud_webhook_after_our_write()
    assert is_own_change(payload, HAND_ADDED, "customfield_10003") is False
    mixed = copy.deepcopy(payload)
    mixed["changelog"]["items"].append(
        {"field": "status", "fieldtype": "jira", "fieldId": "status", "from": "1", "to": "3",
         "fromString": "To Do", "toString": "In Progress"}
    )
    assert is_own_change(mixed, BOT, "customfield_10003") is False
    no_log = copy.deepcopy(payload)
    del no_log["changelog"]
    assert is_own_change(no_log, BOT, "customfield_10003") is False


def test_own_change_dc_by_username_and_field_name():
    payload = {
        "webhookEvent": "jira:issue_updated",
        "user": {"self": "https://jira.example/rest/api/2/user?username=gt-bot", "name": "gt-bot", "key": "gt-bot"},
        "issue": {"id": "10002", "key": "SAMPLEPROJECT-1", "fields": {}},
        "changelog": {"id": "2", "items": [{"field": "Stakeholders", "fieldtype": "custom",
                                            "from": "admin", "to": "admin, dana"}]},
    }
    assert is_own_change(payload, "GT-Bot", "customfield_10003", "Stakeholders") is True
    assert is_own_change(payload, "gt-bot", "customfield_10003") is False  # name unknown: not sure, not ours


def test_reporter_rule_with_conditions_and_no_reporter():
    config, _ = parse_config(
        f"""\
stakeholders:
  people:
    - {{id: "{DANA}", name: Dana}}
  rules:
    - {{when: {{project: hrp, reporter: true}}, add: ["{DANA}"]}}
"""
    )
    plan = build_stakeholder_plan(config, deployment="cloud")
    with_reporter = {s.id: s.reasons for s in compute_issue_stakeholders(make_issue(), plan)}
    assert with_reporter == {DANA: ("added because project = hrp",), REQUESTER: ("reporter (project = hrp)",)}
    # no reporter (e.g. an anonymous service-desk request): the rule still adds Dana
    assert [s.id for s in compute_issue_stakeholders(make_issue(reporter=None), plan)] == [DANA]
    # another project: nobody
    assert compute_issue_stakeholders(make_issue(project="OPS"), plan) == ()
