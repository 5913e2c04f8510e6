"""The Goals page: owner, KPIs with status and chart, NPS with count and trend, adoption and
satisfaction, the work serving each objective; and it agrees with the JSON `goals` block."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.reports import storage as s
from goldenthread.reports.goals import OutcomeTables, build_outcome_tables
from goldenthread.reports.pages import LIVE_PAGES, PageData, build_goals_page, build_page_data
from goldenthread.reports.format import fmt_days, fmt_number, fmt_percent
from goldenthread.reports.pages.goals import fmt_nps, fmt_value
from tests.reports.page_fixtures import DANA, STATUSES, backlog, t
from tests.reports.page_fixtures import config as base_config

AC, RI = f"{{{s.AC_NS}}}", f"{{{s.RI_NS}}}"
NOW = t("2026-06-03")
GOALS = f"""
goals:
  - name: Pay people right
    objectives:
      - name: faster payroll
        weight: 2
        owner: "{DANA}"
        kpis:
          - {{name: Payroll run time, unit: hours, baseline: {{value: 10, date: 2026-01-01}},
              target: {{value: 4, date: 2026-12-31}}}}
          - {{name: Payslip self-service, unit: "%", baseline: {{value: 20, date: 2026-01-01}},
              target: {{value: 60, date: 2026-06-30}}}}
          - {{name: Payroll errors, unit: per run, baseline: {{value: 8, date: 2026-01-01}},
              target: {{value: 2, date: 2026-12-31}}}}
          - {{name: Pay queries, baseline: {{value: 100, date: 2026-01-01}}, target: {{value: 50, date: 2026-12-31}}}}
  - name: Welcome new starters
    objectives:
      - name: Onboarding in a day
"""


def config():  # type: ignore[no-untyped-def]
    from goldenthread.mappings.config import parse_config
    from tests.reports.page_fixtures import CONFIG_YAML

    return parse_config(CONFIG_YAML + GOALS)[0]


def outcome_tables() -> OutcomeTables:
    return build_outcome_tables(
        [KpiReading("Payroll run time", date(2026, 5, 20), 7),  # 50% of the way, 42% of the time: on track
         KpiReading("Payslip self-service", date(2026, 5, 1), 64),  # achieved
         KpiReading("Payroll errors", date(2026, 3, 1), 8), KpiReading("Payroll errors", date(2026, 5, 1), 7.5)],
        [SurveyAnswer("a", date(2026, 5, 2), 10, "Faster payroll"), SurveyAnswer("b", date(2026, 5, 3), 7, "Faster payroll"),
         SurveyAnswer("c", date(2026, 4, 2), 2, "Faster payroll")],
    )  # fmt: skip


def _data(as_of: datetime = NOW) -> PageData:
    issues, changes = backlog()
    return build_page_data(issues, changes, STATUSES, config(), as_of, "cloud", outcome_tables=outcome_tables())


def _section(storage: str, objective: str) -> list[ET.Element]:
    """The top-level blocks from an objective's h3 up to the next heading."""
    root = s.parse_storage(storage)
    out: list[ET.Element] = []
    inside = False
    for node in root:
        if node.tag in ("h2", "h3"):
            if inside:
                break
            inside = node.tag == "h3" and "".join(node.itertext()) == objective
            continue
        if inside:
            out.append(node)
    return out


def _lozenges(nodes: list[ET.Element]) -> list[str]:
    return [next(p.text for p in m if p.get(f"{AC}name") == "title")  # type: ignore[misc]
            for n in nodes for m in n.iter(f"{AC}structured-macro") if m.get(f"{AC}name") == "status"]


def _jql(href: str | None) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(href or "").query)["jql"][0]


def _text(nodes: list[ET.Element]) -> str:
    return " ".join("".join(n.itertext()) for n in nodes)


def test_goals_page_is_registered_and_titled_by_publish_goals() -> None:
    data = _data()
    (page,) = LIVE_PAGES["goals"](data)
    assert page == build_goals_page(data)
    assert (page.key, page.title, page.parent_title) == ("goals", "Goals", "Internal products")


def test_each_objective_shows_owner_kpis_nps_outcomes_and_work() -> None:
    page = build_goals_page(_data())
    root = s.parse_storage(page.storage)
    assert ["".join(h.itertext()) for h in root.iter("h2")] == ["Pay people right", "Welcome new starters",
                                                                "Not linked to an objective (1 open)"]
    payroll = _section(page.storage, "faster payroll")
    text = _text(payroll)
    # owner @mentioned (a configured person), weight from goals:
    mentions = [u.get(f"{RI}account-id") for n in payroll for u in n.iter(f"{RI}user")]
    assert mentions == [DANA] and "ranking weight × 2" in text
    assert _lozenges(payroll) == ["on track", "achieved", "at risk", "no data"]
    assert "7 hours" in text and "64%" in text and "on 20 May 2026" in text
    # 10 -> 4 hours: (7 - 10) / (4 - 10) = 50%; 153 of 364 days passed: 42% expected
    assert "50%" in text and "expected by now 42%" in text
    # NPS over 90 days up to 3 June: 10 and 7 (2 April is 62 days back: in) -> (1 - 1) / 3
    assert "NPS, last 90 days" in text and "+0 (3 answers)" in text
    assert "May 2026 +50 (2 answers)" in text and "Apr 2026 -100 (1 answer)" in text
    images = [i.get(f"{RI}filename") for n in payroll for a in n.iter(f"{AC}image") for i in a]
    assert images == ["kpi-1-payroll-run-time.png", "kpi-2-payslip-self-service.png",
                      "kpi-3-payroll-errors.png", "kpi-4-pay-queries.png"]
    assert set(page.attachments) == set(images)
    assert all(png.startswith(b"\x89PNG") for png in page.attachments.values())
    # the work: HR-4 next (scored to-do), HR-1 shipped 10 May, linked to Jira
    links = {a.text: a.get("href") for n in payroll for a in n.iter("a")}
    search = links.pop("all its issues in Jira")
    assert links == {"HR-4": "https://example.atlassian.net/browse/HR-4",
                     "HR-1": "https://example.atlassian.net/browse/HR-1"}
    # every spelling of the objective: the config's and the issues' (Jira is asked for both)
    assert search.startswith("https://example.atlassian.net/issues/?jql=")
    assert _jql(search) == ('(labels = internal-product) AND "Objective" in ("faster payroll", "Faster payroll") '
                            "ORDER BY key")
    assert "Nothing in progress." in text and "shipped 10 May" in text


def test_the_page_and_the_json_goals_block_agree() -> None:
    data = _data()
    page = build_goals_page(data)
    for goal in data.report.summary["goals"]:
        for objective in goal["objectives"]:
            section = _section(page.storage, objective["name"])
            text = _text(section)
            assert _lozenges(section) == [{"on_track": "on track", "at_risk": "at risk", "no_data": "no data",
                                           "achieved": "achieved"}[k["status"]] for k in objective["kpis"]]
            for k in objective["kpis"]:
                assert fmt_value(k["actual"], k["unit"]) in text and fmt_percent(k["progress"]) in text
                assert f"expected by now {fmt_percent(k['expected'])}" in text
            assert fmt_nps(objective["nps"]["score"], objective["nps"]["answers"]) in text
            for value, fmt in ((objective["adoption_mean"], fmt_percent), (objective["lead_time_p50"], fmt_days),
                               (objective["sla_compliance"], fmt_percent),
                               (objective["satisfaction_mean"], fmt_number)):  # fmt: skip
                assert fmt(value) in text
            assert f"{objective['open']} open, {objective['done']} done" in text
            assert f"× {fmt_number(objective['weight'], 2)}" in text


def test_without_goals_the_page_says_so_and_nothing_breaks() -> None:
    issues, changes = backlog()
    page = build_goals_page(build_page_data(issues, changes, STATUSES, base_config(), NOW, "cloud"))
    text = "".join(s.parse_storage(page.storage).itertext())
    assert "Objectives no goal lists" in text  # the backlog's objectives, listed under no goal
    assert page.attachments == {}


def test_goal_page_content_is_deterministic_and_escapes_names() -> None:
    a, b = build_goals_page(_data()), build_goals_page(_data())
    assert a.content_hash == b.content_hash
    from goldenthread.mappings.config import parse_config
    from tests.reports.page_fixtures import CONFIG_YAML

    hostile = parse_config(CONFIG_YAML + GOALS.replace("Pay people right", "<script>x</script> ]]>"))[0]
    issues, changes = backlog()
    page = build_goals_page(build_page_data(issues, changes, STATUSES, hostile, NOW, "cloud"))
    assert "<script>" not in page.storage and "&lt;script&gt;" in page.storage
    s.parse_storage(page.storage)


def test_each_objective_links_to_its_issues_in_jira_with_the_name_quoted() -> None:
    from goldenthread.mappings.config import parse_config
    from tests.reports.page_fixtures import CONFIG_YAML

    name = 'Onboarding" OR project = SECRET & <b>'
    hostile = parse_config(CONFIG_YAML + GOALS.replace("name: Onboarding in a day",
                                                       "name: 'Onboarding\" OR project = SECRET & <b>'"))[0]
    issues, changes = backlog()
    page = build_goals_page(build_page_data(issues, changes, STATUSES, hostile, NOW, "cloud"))
    section = _section(page.storage, name)
    (link,) = [a for n in section for a in n.iter("a") if a.text == "all its issues in Jira"]
    href = link.get("href") or ""
    assert " " not in href and '"' not in href and "<" not in href  # percent-encoded
    # one JQL string value, whatever the name holds
    assert _jql(href) == '(labels = internal-product) AND "Objective" = "Onboarding\\" OR project = SECRET & <b>" ORDER BY key'
    # the open work no objective claims, in Jira too
    root = s.parse_storage(page.storage)
    (unlinked,) = [a for a in root.iter("a") if a.text == "these issues in Jira"]
    assert _jql(unlinked.get("href")) == ('(labels = internal-product) AND "Objective" is EMPTY '
                                          'AND statusCategory != "Done" ORDER BY key')
