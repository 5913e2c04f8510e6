"""The sandbox company: its people, the four internal products (projects, components, labels,
objectives, teams), the Jira fields an admin would have created, and the HOSTILE corpus of texts
that must stay text on every page. Fixed constants, so a demo config can name people and fields
by id; `dataset` draws a backlog from them.

Tests: tests/sandbox/test_dataset.py
"""

from __future__ import annotations

from datetime import datetime

from goldenthread.sandbox.model import FieldDef, SandboxUser

BACKLOG_LABEL = "internal-product"  # what the demo's backlog_jql selects
USERS: tuple[SandboxUser, ...] = (
    SandboxUser("dana.whitfield", "Dana Whitfield (Finance)", "dana.whitfield@example.com"),
    SandboxUser("omar.haddad", "Omar Haddad (HR)", "omar.haddad@example.com", "Asia/Dubai"),
    SandboxUser("priya.raman", "Priya Raman (Procurement)", "priya.raman@example.com", "Asia/Kolkata"),
    SandboxUser("lena.vogel", "Lena Vogel (IT)", "lena.vogel@example.com", "Europe/Berlin"),
    SandboxUser("marcus.chen", "Marcus Chen (Platform)", "marcus.chen@example.com", "America/New_York"),
    SandboxUser("noa.levi", "נועה לוי", "noa.levi@example.com", "Asia/Jerusalem"),
    SandboxUser("sam.okafor", "Sam Okafor", "sam.okafor@example.com"),
    SandboxUser("ines.garcia", "Inés García", "ines.garcia@example.com", "Europe/Madrid"),
    SandboxUser("tom.baker", "Tom Baker", "tom.baker@example.com"),
    SandboxUser("yuki.tanaka", "Yuki Tanaka", "yuki.tanaka@example.com", "Asia/Tokyo"),
    SandboxUser("fatima.zahra", "فاطمة الزهراء", "fatima.zahra@example.com", "Africa/Casablanca"),
    SandboxUser("jon.eriksen", "Jon Eriksen", "jon.eriksen@example.com", "Europe/Oslo"),
    SandboxUser("amy.o.neil", "Amy O'Neil", "amy.oneil@example.com"),
    SandboxUser("raj.patel", "Raj Patel", "raj.patel@example.com"),
    SandboxUser("zoe.martin", "Zoë Martin", "zoe.martin@example.com", "Europe/Paris"),
)
#: People a demo `stakeholders.people` list can name: the heads of the four internal products.
STAKEHOLDER_MANAGERS: tuple[SandboxUser, ...] = USERS[:5]
API_USER = SandboxUser("goldenthread-bot", "goldenthread bot", "demo@example.com", "UTC")

PROJECTS: dict[str, str] = {
    "HR": "HR Portal",
    "PROC": "Procurement",
    "ITSD": "IT Service Desk",
    "PLAT": "Internal Platform",
}
COMPONENTS: dict[str, tuple[str, ...]] = {
    "HR": ("Payroll", "Onboarding", "Leave", "Recruiting"),
    "PROC": ("Purchase orders", "Suppliers", "Invoices"),
    "ITSD": ("Self-service", "Laptops", "Access requests"),
    "PLAT": ("CI/CD", "Observability", "Identity"),
}
PROJECT_LABELS: dict[str, tuple[str, ...]] = {
    "HR": ("hr", "payroll", "onboarding"),
    "PROC": ("procurement", "finance"),
    "ITSD": ("it", "self-service"),
    "PLAT": ("platform", "sre"),
}
OBJECTIVES: dict[str, str] = {
    "HR": "Cut time-to-hire",
    "PROC": "Procurement compliance",
    "ITSD": "Self-service IT",
    "PLAT": "Platform reliability",
}
EXTRA_OBJECTIVE = "Employee experience"
TEAMS: dict[str, str] = {"HR": "People Tech", "PROC": "Procurement Systems", "ITSD": "Service Desk", "PLAT": "Platform Core"}

_CF = "com.atlassian.jira.plugin.system.customfieldtypes:"


def _num(fid: str, name: str) -> FieldDef:
    return FieldDef(fid, name, "number", {"type": "number", "custom": _CF + "float", "customId": int(fid[12:])})


def _select(fid: str, name: str, options: tuple[str, ...]) -> FieldDef:
    schema = {"type": "option", "custom": _CF + "select", "customId": int(fid[12:])}
    return FieldDef(fid, name, "option", schema, options=options)


def _system(fid: str, name: str, schema_type: str, items: str | None = None) -> FieldDef:
    schema: dict[str, str] = {"type": schema_type, "system": fid}
    if items:
        schema["items"] = items
    return FieldDef(fid, name, "system", schema, custom=False)


def build_quarters(now: datetime) -> tuple[str, ...]:
    """Target-quarter options: the previous, current and next three quarters (e.g. "2025-Q3")."""
    q = (now.month - 1) // 3
    out = []
    for d in range(-1, 4):
        y, qq = divmod(now.year * 4 + q + d, 4)
        out.append(f"{y}-Q{qq + 1}")
    return tuple(out)


def build_fields(now: datetime) -> list[FieldDef]:
    objectives = (*OBJECTIVES.values(), EXTRA_OBJECTIVE)
    return [
        _system("summary", "Summary", "string"),
        _system("description", "Description", "string"),
        _system("status", "Status", "status"),
        _system("issuetype", "Issue Type", "issuetype"),
        _system("project", "Project", "project"),
        _system("created", "Created", "datetime"),
        _system("updated", "Updated", "datetime"),
        _system("resolutiondate", "Resolved", "datetime"),
        _system("resolution", "Resolution", "resolution"),
        _system("reporter", "Reporter", "user"),
        _system("assignee", "Assignee", "user"),
        _system("priority", "Priority", "priority"),
        _system("labels", "Labels", "array", "string"),
        _system("components", "Components", "array", "component"),
        _system("watches", "Watchers", "watches"),
        _num("customfield_10100", "Reach"),
        _num("customfield_10101", "Impact"),
        _num("customfield_10102", "Confidence"),
        _num("customfield_10103", "Story Points"),
        _num("customfield_10104", "Business Value"),
        _num("customfield_10105", "Time Criticality"),
        _num("customfield_10106", "Risk Reduction"),
        _select("customfield_10107", "Objective", objectives),
        FieldDef(
            "customfield_10108",
            "Stakeholders",
            "users",
            {"type": "array", "items": "user", "custom": _CF + "multiuserpicker", "customId": 10108},
        ),
        _select("customfield_10109", "Target quarter", build_quarters(now)),
        _select("customfield_10110", "Team", tuple(TEAMS.values())),
        _num("customfield_10111", "Adoption rate"),
        _num("customfield_10112", "Satisfaction"),
        FieldDef("customfield_10113", "Release note", "richtext",
                 {"type": "string", "custom": _CF + "textarea", "customId": 10113}),
        # distractors: near-miss names and types an admin could map by mistake
        FieldDef("customfield_10016", "Story point estimate", "text",
                 {"type": "string", "custom": _CF + "textfield", "customId": 10016}),
        FieldDef("customfield_10014", "Epic Link", "epic",
                 {"type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link", "customId": 10014}),
        _num("customfield_10120", "Reach (old)"),
    ]


HOSTILE: tuple[str, ...] = (
    '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<b>x</b>]]></ac:plain-text-body></ac:structured-macro>',
    "Close the CDATA ]]> and carry on",
    "<script>alert(1)</script> in the payslip viewer",
    "Tom &amp; Jerry's R&D budget < 5k & > 2k",
    "{html}<img src=x onerror=alert(1)>{html} wiki macro",
    "Ping [~accountid:{mention}] about approvals",
    "تحسين بوابة الموارد البشرية للموظفين الجدد",
    "שיפור תהליך הרכש מול ספקים",
    "Faster laptop swaps 🚀💻 for new joiners 🎉",
    "Very long: " + "the quick brown fox jumps over the lazy dog; " * 60,
    '"quoted" \'single\' `tick` \\backslash\\ and a NUL-ish \u200b zero-width',
)
