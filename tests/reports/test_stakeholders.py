"""Who each issue credits: the `metrics` JSON and the pages agree, whatever `write_back` says.

The bug this guards: with a `{reporter: true}` rule and `write_back: off`, the JSON counted only
the Stakeholders field's users while the Roadmap (and What's new, and the monthly report)
credited the rule additions too.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from goldenthread.cli.app import app
from goldenthread.mappings.config import parse_config
from goldenthread.mappings.records import Issue, IssueSnapshot, StatusInfo, UserRef
from goldenthread.mappings.stakeholders import build_stakeholder_plan, compute_issue_stakeholders
from goldenthread.reports import storage as s
from goldenthread.reports.pages import build_page_data, build_roadmap_page, build_whats_new_page
from goldenthread.reports.stakeholders import compute_stakeholder_column
from goldenthread.reports.summary import compute_all
from goldenthread.reports.tables import build_issue_table
from goldenthread.sync.store import Store

DANA = "557058:aaaa1111-2222-3333-4444-555566667777"
OMAR = "557058:bbbb1111-2222-3333-4444-555566667777"
RITA = "712020:cccc1111-2222-3333-4444-555566667777"
SAM = "712020:dddd1111-2222-3333-4444-555566667777"
NAMES = {DANA: "Dana (Finance)", OMAR: "Omar (IT)", RITA: "Rita Requester", SAM: "Sam Sender"}
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)

CONFIG_YAML = f"""
jira: {{backlog_jql: 'labels = internal-product'}}
fields: {{reach: Reach, impact: Impact, confidence: Confidence, effort: Story Points,
          stakeholders: Stakeholders}}
stakeholders:
  write_back: off
  people:
    - {{id: "{DANA}", name: "{NAMES[DANA]}", power: high, interest: high}}
  rules:
    - {{when: {{reporter: true}}}}
    - {{when: {{component: Payroll}}, add: ["{DANA}"]}}
publish: {{space: IPM, parent: Internal products}}
"""


def _issue(key: str, status: str, reporter: str | None, field: tuple[str, ...] = (), **kw: object) -> Issue:
    category = {"To Do": "new", "In Progress": "indeterminate"}.get(status, "done")
    created = datetime(2026, 5, 1, tzinfo=UTC)
    return Issue(
        key=key, id=key.split("-")[1], project="HR", summary=f"summary of {key}", issue_type="Story",
        status=status, status_category=category, created=created, updated=created,  # type: ignore[arg-type]
        url=f"https://example.atlassian.net/browse/{key}",
        reporter=UserRef(reporter, NAMES[reporter]) if reporter else None,
        stakeholders=tuple(UserRef(u, NAMES[u]) for u in field), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


BACKLOG = [
    _issue("HR-1", "To Do", RITA, components=("Payroll",), reach=10, impact=1, confidence=1, effort=1),
    _issue("HR-2", "In Progress", RITA, (OMAR,)),
    _issue("HR-3", "Done", SAM, resolution_date=datetime(2026, 5, 20, tzinfo=UTC)),
    _issue("HR-4", "To Do", None, (DANA,)),
    _issue("HR-5", "Done", RITA, (RITA,), components=("payroll",), resolution_date=datetime(2026, 5, 21, tzinfo=UTC)),
]  # fmt: skip
STATUSES = [StatusInfo("To Do", "new"), StatusInfo("In Progress", "indeterminate"), StatusInfo("Done", "done")]


def _credited(storage: str, column: int) -> Counter[str]:
    """Per person id, how many rows of a page's issue tables (six columns: the Roadmap's lanes,
    What's new's months) name them in `column`."""
    by_name = {name: uid for uid, name in NAMES.items()}
    counts: Counter[str] = Counter()
    for row in s.parse_storage(storage).iter("tr"):
        cells = row.findall("td")
        if len(cells) != 6 or not any(a.text and a.text.startswith("HR-") for a in row.iter("a")):
            continue
        text = "".join(cells[column].itertext())
        for name in filter(None, (n.strip() for n in text.split(","))):
            if name != "—":
                counts[by_name[name]] += 1
    return counts


def _credited_in_release_notes(storage: str) -> Counter[str]:
    """Per person id, how many What's new items credit them ("requested by A, with B, C" or
    "for A, B"; every item here credits at most three people, so none is cut to "and N more")."""
    by_name = {name: uid for uid, name in NAMES.items()}
    counts: Counter[str] = Counter()
    for item in s.parse_storage(storage).iter("li"):
        text = "".join(item.itertext())
        if " · " not in text:
            continue  # a highlight: no credits
        credits = text.rsplit(" · ", 1)[-1]
        assert " more" not in credits
        for part in credits.removeprefix("requested by ").removeprefix("for ").replace(", with ", ", ").split(", "):
            counts[by_name[part.strip()]] += 1
    return counts


def test_metrics_json_credits_what_the_pages_credit_with_write_back_off(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    config_path = tmp_path / "goldenthread.yaml"
    config_path.write_text(CONFIG_YAML, encoding="utf-8")
    config = parse_config(CONFIG_YAML)[0]
    store.save_statuses(STATUSES)
    store.save_snapshots([IssueSnapshot(i, ()) for i in BACKLOG], AS_OF)

    result = CliRunner().invoke(
        app, ["metrics", "--format", "json", "--as-of", "2026-06-01", "-c", str(config_path)],
        env={"GOLDENTHREAD_DATABASE_URL": store_url},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["stakeholders"]

    data = build_page_data(store.load_issues(), store.load_status_changes(), store.load_statuses(),
                           config, AS_OF, "cloud")  # fmt: skip
    on_roadmap = _credited(build_roadmap_page(data).storage, column=5)
    on_whats_new = _credited_in_release_notes(build_whats_new_page(data).storage)
    assert {r["id"]: r["open"] for r in rows if r["open"]} == dict(on_roadmap)
    assert {r["id"]: r["done"] for r in rows if r["done"]} == dict(on_whats_new)
    # the figures themselves, by hand: the reporter rule and the Payroll rule count although
    # nothing was written back to the field
    assert [{k: r[k] for k in ("id", "open", "done")} for r in rows] == sorted([
        {"id": DANA, "open": 2, "done": 1},  # HR-1 (Payroll rule), HR-4 (field); HR-5 (payroll)
        {"id": OMAR, "open": 1, "done": 0},  # HR-2 (field)
        {"id": RITA, "open": 2, "done": 1},  # HR-1, HR-2 (reporter); HR-5 (field and reporter, once)
        {"id": SAM, "open": 0, "done": 1},  # HR-3 (reporter)
    ], key=lambda r: r["id"])  # fmt: skip


_ids = st.sampled_from([DANA, OMAR, RITA, SAM, DANA.upper()])
_issues = st.builds(
    lambda n, reporter, field, components, labels, team: Issue(
        key=f"HR-{n}", id=str(n), project="HR", summary="s", issue_type="Story", status="To Do",
        status_category="new", created=AS_OF, updated=AS_OF,
        reporter=UserRef(reporter) if reporter else None, stakeholders=tuple(UserRef(u) for u in field),
        components=tuple(components), labels=tuple(labels), team=team,
    ),  # fmt: skip
    st.integers(1, 10_000), st.one_of(st.none(), _ids), st.lists(_ids, max_size=3),
    st.lists(st.sampled_from(["Payroll", "payroll", "Travel"]), max_size=2),
    st.lists(st.sampled_from(["hr", "HR", "it"]), max_size=2), st.sampled_from([None, "Core", "core"]),
)
_PLAN = build_stakeholder_plan(parse_config(f"""
fields: {{team: Team, stakeholders: Stakeholders}}
stakeholders:
  people: [{{id: "{DANA}"}}, {{id: "{OMAR}"}}]
  rules:
    - {{when: {{component: payroll}}, add: ["{DANA}"]}}
    - {{when: {{label: HR, team: CORE}}, add: ["{OMAR}", "{DANA}"]}}
    - {{when: {{label: it, reporter: true}}}}
    - {{when: {{reporter: true, team: core}}, add: ["{OMAR}"]}}
""")[0])  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(_issues, max_size=6))
def test_report_table_credits_exactly_the_records_stakeholders(issues: list[Issue]) -> None:
    """The report's `stakeholder_ids` (from table columns) are the ids, in order, of the
    stakeholders the pages show (from records), for any mix of field users, rules and case."""
    column = compute_stakeholder_column(build_issue_table(issues), _PLAN)
    assert column.tolist() == [tuple(x.id for x in compute_issue_stakeholders(i, _PLAN)) for i in issues]


@pytest.mark.parametrize("write_back", ["off", "field"])
def test_credit_does_not_depend_on_write_back(write_back: str) -> None:
    config = parse_config(CONFIG_YAML.replace("write_back: off", f"write_back: {write_back}"))[0]
    statuses = {i.name: i.category for i in STATUSES}
    rows = compute_all(BACKLOG, [], statuses, config, AS_OF).summary["stakeholders"]
    assert [r["id"] for r in rows] == sorted([DANA, OMAR, RITA, SAM])
