"""Roadmap at any size: `publish.later_limit` items per objective, then a Jira search for the rest;
a lane-wide row budget with the left-out objectives as links; JQL that quotes Jira values."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from goldenthread.mappings.config import Config, parse_config
from goldenthread.reports import jql
from goldenthread.reports import storage as s
from goldenthread.reports.pages import build_page_data, build_roadmap_page
from goldenthread.reports.pages.roadmap import ROW_BUDGET
from tests.reports.page_fixtures import STATUSES, issue, t

NOW = t("2026-06-03")


def _config(objective_field: str = "Objective", later_limit: int = 5) -> Config:
    return parse_config(f"""
fields: {{reach: Reach, impact: Impact, confidence: Confidence, effort: Story Points, objective: {objective_field}}}
prioritisation: {{model: rice, next_size: 0}}
publish: {{later_limit: {later_limit}}}
""")[0]


def _todo(n: int, objective: str | None) -> object:
    return issue(f"HR-{n}", f"Item {n}", "To Do", "2026-05-01", reach=1000 - n, impact=1, confidence=1, effort=1,
                 objective=objective)


def _page(issues: list[object], config: Config) -> str:
    return build_roadmap_page(build_page_data(issues, [], STATUSES, config, NOW, "cloud")).storage  # type: ignore[arg-type]


def _jql(link: s.ET.Element) -> str:
    return parse_qs(urlsplit(link.get("href") or "").query)["jql"][0]


def test_later_shows_later_limit_items_per_objective_then_a_jira_search() -> None:
    issues = [_todo(n, "Hire faster") for n in range(1, 31)] + [_todo(n, None) for n in range(31, 34)]
    root = s.parse_storage(_page(issues, _config(later_limit=5)))
    assert [h.text for h in root.iter("h3")] == ["Hire faster (30)"]
    shown = [a.text for a in root.iter("a") if (a.text or "").startswith("HR-")]
    assert shown == [*(f"HR-{n}" for n in range(1, 6)), "HR-31", "HR-32", "HR-33"]
    (more,) = [a for a in root.iter("a") if a.text == "see them in Jira"]
    assert _jql(more) == ('(labels = internal-product) AND statusCategory = "To Do" AND "Objective" = "Hire faster" '
                          "ORDER BY key")
    assert more.get("href", "").startswith("https://example.atlassian.net/issues/?jql=")
    assert "… and 25 more items:" in "".join(root.itertext())


def test_the_page_has_a_row_budget_and_objectives_past_it_link_to_their_searches() -> None:
    issues = [_todo(n, f"Objective {n:03d}") for n in range(1, 301)] + [_todo(n, None) for n in range(301, 304)]
    root = s.parse_storage(_page(issues, _config(later_limit=20)))
    rows = [tr for tr in root.iter("tr") if tr[0].tag == "td" and len(tr) == 6]
    assert len(rows) == ROW_BUDGET
    links = [a for a in root.iter("a") if a.text == "see them in Jira"]
    assert len(links) == (300 - ROW_BUDGET) + 1  # one per objective past the budget, one for the unlinked work
    assert _jql(links[0]).endswith(f'AND "Objective" = "Objective {ROW_BUDGET + 1:03d}" ORDER BY key')
    assert _jql(links[-1]).endswith('AND "Objective" is EMPTY ORDER BY key')


def test_jql_quotes_values_and_names_custom_fields_by_id() -> None:
    hostile = 'x" OR project = SECRET OR summary ~ "\\'
    issues = [_todo(n, hostile) for n in range(1, 8)]
    root = s.parse_storage(_page(issues, _config("customfield_10107", later_limit=2)))
    (more,) = [a for a in root.iter("a") if a.text == "see them in Jira"]
    assert _jql(more) == ('(labels = internal-product) AND statusCategory = "To Do" AND cf[10107] = '
                          '"x\\" OR project = SECRET OR summary ~ \\"\\\\" ORDER BY key')
    assert jql.quote_jql('a"b\\c') == '"a\\"b\\\\c"'
    assert jql.build_search_url("", "x") == ""  # no browse URL known: text, not a link
    assert jql.build_jira_base([None, "https://jira.example.com/ctx/browse/HR-1"]) == "https://jira.example.com/ctx"
