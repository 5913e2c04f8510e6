"""A small, hand-written backlog for page tests (records, not payloads: pages never see JSON)."""

from __future__ import annotations

from datetime import UTC, datetime

from goldenthread.mappings.config import Config, parse_config
from goldenthread.mappings.records import Issue, StatusChange, UserRef

DANA = "557058:aaaa1111-2222-3333-4444-555566667777"
OMAR = "557058:bbbb1111-2222-3333-4444-555566667777"
JIRA_ONLY = "712020:cccc1111-2222-3333-4444-555566667777"

CONFIG_YAML = f"""
jira: {{backlog_jql: 'labels = internal-product'}}
fields: {{reach: Reach, impact: Impact, confidence: Confidence, effort: Story Points,
          objective: Objective, stakeholders: Stakeholders}}
stakeholders:
  people:
    - {{id: "{DANA}", name: Dana (Finance), power: high, interest: high}}
    - {{id: "{OMAR}", name: Omar (IT), power: low, interest: high}}
    - {{id: "not an id", name: Broken, power: high, interest: high}}
  rules:
    - {{when: {{component: Payroll}}, add: ["{DANA}"]}}
prioritisation: {{model: rice, quick_win_max_effort: 3, next_size: 2}}
publish: {{space: IPM, parent: Internal products}}
"""

STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done", "Won't Do": "done"}


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def config() -> Config:
    return parse_config(CONFIG_YAML)[0]


def issue(key: str, summary: str, status: str, created: str, **kw: object) -> Issue:
    cat = {"To Do": "new", "In Progress": "indeterminate"}.get(status, "done")
    return Issue(
        key=key, id=key.split("-")[1], project=key.split("-")[0], summary=summary,
        issue_type=str(kw.pop("issue_type", "Story")), status=status, status_category=cat,  # type: ignore[arg-type]
        created=t(created), updated=t(str(kw.pop("updated", created))),
        url=f"https://example.atlassian.net/browse/{key}", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def backlog(summary_of_1: str = "Payroll export to CSV") -> tuple[list[Issue], list[StatusChange]]:
    """HR-1 shipped in May, HR-2 in April, HR-3 in progress, HR-4/HR-5 scored todo, HR-6 unscored."""
    dana, omar = UserRef(DANA, "Dana (Finance)"), UserRef(OMAR, "Omar (IT)")
    issues = [
        issue("HR-1", summary_of_1, "Done", "2026-04-20", reach=100, impact=2, confidence=80, effort=2,
              objective="Faster payroll", components=("Payroll",), updated="2026-05-10"),
        issue("HR-2", "New starter checklist", "Done", "2026-03-01", reach=50, impact=1, confidence=1,
              effort=5, objective="Onboarding in a day", stakeholders=(omar,), updated="2026-04-15"),
        issue("HR-3", "Leave balance widget", "In Progress", "2026-04-01", reach=300, impact=1,
              confidence=0.5, effort=8, objective="Onboarding in a day", stakeholders=(dana, omar),
              updated="2026-05-02"),
        issue("HR-4", "Expense approvals on mobile", "To Do", "2026-05-03", reach=200, impact=3,
              confidence=100, effort=3, objective="Faster payroll", components=("Payroll",)),
        issue("HR-5", "Single sign-on for the LMS", "To Do", "2026-05-04", reach=10, impact=1,
              confidence=1, effort=13, objective="Onboarding in a day",
              stakeholders=(UserRef(JIRA_ONLY, "Jira Person"),)),
        issue("HR-6", "Fix the org chart", "To Do", "2026-05-05", effort=1),
    ]  # fmt: skip
    changes = [
        StatusChange("HR-1", "1", t("2026-05-01"), "To Do", "In Progress"),
        StatusChange("HR-1", "2", t("2026-05-10"), "In Progress", "Done"),
        StatusChange("HR-2", "3", t("2026-03-10"), "To Do", "In Progress"),
        StatusChange("HR-2", "4", t("2026-04-15"), "In Progress", "Done"),
        StatusChange("HR-3", "5", t("2026-05-02"), "To Do", "In Progress"),
    ]
    return issues, changes
