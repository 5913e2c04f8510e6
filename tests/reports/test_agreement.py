"""The JSON of `goldenthread metrics` and the pages agree on every figure they share, at the same
as_of: the JSON built the way the metrics command builds it (store-shaped tables), the pages the
way publishing does (records), on a seeded random backlog of a year and a half."""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest

from goldenthread.mappings.records import Issue, StatusChange, UserRef
from goldenthread.reports import storage as s
from goldenthread.reports.frames import build_frames_from_tables
from goldenthread.reports.pages import (
    build_monthly_report_page,
    build_page_data,
    build_roadmap_page,
    build_whats_new_pages,
)
from goldenthread.reports.format import fmt_days, fmt_month, fmt_number, fmt_percent
from goldenthread.reports.pages.monthly import month_as_of
from goldenthread.reports.summary import compute_report
from goldenthread.reports.tables import build_change_table, build_issue_table
from tests.reports.page_fixtures import DANA, OMAR, STATUSES, config, issue, t

MONTH = "2026-05"
AS_OF = month_as_of(MONTH, t("2026-07-01"))


def _backlog(seed: int = 5) -> tuple[list[Issue], list[StatusChange]]:
    rng = random.Random(seed)
    people = (UserRef(DANA, "Dana (Finance)"), UserRef(OMAR, "Omar (IT)"))
    issues, changes = [], []
    for k in range(1, 161):
        created = t("2025-01-01") + timedelta(hours=rng.randrange(0, 24 * 540))
        at, path = created, ["To Do"]
        if rng.random() < 0.8:
            path += ["In Progress"] + (["Done"] if rng.random() < 0.6 else [])
            if rng.random() < 0.15:
                path += ["In Progress", "Done"]  # reopened
        for n, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            at += timedelta(hours=rng.randrange(1, 24 * 40))
            changes.append(StatusChange(f"HR-{k}", f"{k}-{n}", at, a, b))
        scored = rng.random() < 0.8
        issues.append(issue(
            f"HR-{k}", f"Item {k}", path[-1], created.isoformat()[:19],
            issue_type=rng.choice(("Story", "Bug")), reach=rng.randrange(1, 500) if scored else None,
            impact=rng.choice((0.5, 1, 2, 3)), confidence=rng.choice((50, 80, 100)),
            effort=rng.randrange(1, 13), objective=rng.choice(("Faster payroll", "Onboarding", None)),
            stakeholders=tuple(rng.sample(people, rng.randrange(0, 3))),
            resolution_date=at if path[-1] == "Done" else None,
        ))  # fmt: skip
    return issues, changes


@pytest.fixture(scope="module")
def shared() -> tuple[dict[str, Any], Any]:
    issues, changes = _backlog()
    cfg = config()
    frames = build_frames_from_tables(build_issue_table(issues), build_change_table(changes),
                                      STATUSES, cfg, AS_OF)  # fmt: skip
    summary = json.loads(json.dumps(compute_report(frames, cfg, AS_OF).summary))
    data = build_page_data(issues, changes, STATUSES, cfg, AS_OF, "cloud")
    return summary, data


def _text(node: ET.Element) -> str:
    return "".join(node.itertext())


def _rows(root: ET.Element) -> dict[str, list[str]]:
    return {_text(tr[0]): [_text(td) for td in tr[1:]] for tr in root.iter("tr") if tr[0].tag == "td"}


def _heading_count(headings: list[str], prefix: str) -> int:
    match = next(h for h in headings if h.startswith(prefix))
    return int(re.search(r"\((\d+)\)$", match).group(1))  # type: ignore[union-attr]


def test_the_backlog_is_big_enough_to_mean_something(shared: tuple[dict[str, Any], Any]) -> None:
    summary, _ = shared
    assert summary["wip"]["count"] > 25  # so the WIP chart shows a top 25
    assert summary["backlog"]["total"] < 160  # some issues did not exist yet at AS_OF
    assert summary["decisions_needed"]["past_sla"] > 0 and summary["backlog"]["unscored"] > 0
    assert summary["current_month"]["current"]["completed"] > 0


def test_monthly_report_figures_are_the_json_figures(shared: tuple[dict[str, Any], Any]) -> None:
    summary, data = shared
    page = build_monthly_report_page(data, MONTH)
    root = s.parse_storage(page.storage)
    rows = _rows(root)
    cur, prev = summary["current_month"]["current"], summary["current_month"]["previous"]
    assert summary["current_month"]["month"] == MONTH
    assert rows["Shipped (throughput)"][:2] == [str(cur["completed"]), str(prev["completed"])]
    assert cur["completed"] == summary["throughput"][MONTH]
    assert prev["completed"] == summary["throughput"]["2026-04"]
    assert rows["Lead time p50"][:2] == [fmt_days(cur["lead_time_p50"]), fmt_days(prev["lead_time_p50"])]
    assert rows["Lead time p85"][:2] == [fmt_days(cur["lead_time_p85"]), fmt_days(prev["lead_time_p85"])]
    assert rows["SLA compliance"][:2] == [fmt_percent(cur["sla_compliance"]),
                                          fmt_percent(prev["sla_compliance"])]  # fmt: skip
    assert rows["Work in progress at month end"][0] == str(summary["wip"]["count"])
    headings = [_text(h) for h in root.iter("h3")]
    unscored = _heading_count(headings, "Items that need scoring at month end")
    past_sla = _heading_count(headings, "Open items past their SLA at month end")
    assert unscored == summary["decisions_needed"]["unscored"] == summary["backlog"]["unscored"]
    assert past_sla == summary["decisions_needed"]["past_sla"]
    text = _text(root)
    assert f"Decisions: {unscored} items to score, {past_sla} items past their SLA" in text
    assert f"by age: top 25 of {summary['wip']['count']} items" in text
    assert f"--as-of {summary['as_of']}" in text  # how to get these numbers from the CLI


def test_roadmap_figures_are_the_json_figures(shared: tuple[dict[str, Any], Any]) -> None:
    summary, data = shared
    root = s.parse_storage(build_roadmap_page(data).storage)
    headings = [_text(h) for h in root.iter("h2")]
    lanes = [r["lane"] for r in summary["ranking"]]
    # each objective (and the unlinked work) lists its Now / Next / Later: together, every item
    shown = {"Now": 0, "Next": 0, "Later": 0}
    for label in (_text(b) for p in root.iter("p") for b in p.findall("strong")):
        found = re.fullmatch(r"(Now|Next|Later) \((\d+)\)", label)
        if found:
            shown[found.group(1)] += int(found.group(2))
    assert shown == {name: lanes.count(lane) for lane, name in (("now", "Now"), ("next", "Next"), ("later", "Later"))}
    unlinked = sum(1 for r in summary["ranking"] if r["objective"] is None)
    assert _heading_count(headings, "Not linked to an objective") == unlinked
    assert _heading_count(headings, "Needs scoring") == summary["backlog"]["unscored"]
    classes = summary["classes"]
    matrix = next(tb for tb in root.iter("table") if "Small effort" in _text(tb))
    counts = [int(_text(td).split()[-1]) for tr in matrix.iter("tr") for td in tr[1:] if td.tag == "td"]
    assert counts == [classes["counts"][k] for k in ("quick_win", "strategic", "fill_in", "reconsider")]
    assert sum(counts) == sum(1 for r in summary["ranking"] if r["score"] is not None)
    assert f"High value (≥ {fmt_number(classes['high_value_min'])})" in _text(matrix)
    assert f"the median value of the {classes['scored']} open scored items" in _text(root)


def test_whats_new_figures_are_the_json_figures(shared: tuple[dict[str, Any], Any]) -> None:
    summary, data = shared
    # the recent months on What's new, the older ones on its yearly archive pages
    heads = [h for page in build_whats_new_pages(data) for h in s.parse_storage(page.storage).iter("h2")]
    shown = {_text(h).split(" · ")[0]: int(_text(h).split(" · ")[1].split()[0]) for h in heads}
    expected = {fmt_month(m): n for m, n in summary["throughput"].items() if n}
    assert shown == {m: n for m, n in expected.items() if m in shown}
    assert fmt_month(MONTH) in shown and len(shown) >= 10


def _at(month: str) -> tuple[dict[str, Any], Any]:
    issues, changes = _backlog()
    cfg, as_of = config(), month_as_of(month, t("2026-07-01"))
    frames = build_frames_from_tables(build_issue_table(issues), build_change_table(changes),
                                      STATUSES, cfg, as_of)  # fmt: skip
    summary = json.loads(json.dumps(compute_report(frames, cfg, as_of).summary))
    return summary, build_page_data(issues, changes, STATUSES, cfg, as_of, "cloud")


@pytest.mark.parametrize("month", [MONTH, "2025-10"])  # and a month well before the data ends
def test_monthly_report_stakeholder_figures_are_the_json_figures(month: str) -> None:
    summary, data = _at(month)
    assert summary["as_of"].startswith(f"{month}-") and summary["current_month"]["month"] == month
    json_people = {r["id"]: r for r in summary["stakeholders"]}
    root = s.parse_storage(build_monthly_report_page(data, month).storage)
    body = list(root.iter())
    names = {DANA: "Dana (Finance)", OMAR: "Omar (IT)"}
    seen = 0
    for pid, name in names.items():
        heading = next(i for i, el in enumerate(body) if el.tag == "h3" and _text(el) == name)
        line = next(_text(el) for el in body[heading:] if el.tag == "p" and " delivered · " in _text(el))
        found = re.search(r"(\d+) delivered · (\d+) in progress · (\d+) next", line)
        assert found, line
        shown = tuple(map(int, found.groups()))
        row = json_people.get(pid, {"delivered": 0, "now": 0, "next": 0})
        assert shown == (row["delivered"], row["now"], row["next"]), (month, name)
        # each column lists those very items (all of them: the lists are short here)
        table = next(el for el in body[heading:] if el.tag == "table")
        cells = [td for tr in table.iter("tr") for td in tr if td.tag == "td"]
        assert [len(list(td.iter("li"))) for td in cells] == list(shown)
        seen += sum(shown)
        # the JSON's own definitions of these figures, at this as_of
        lanes = {r["key"]: r["lane"] for r in summary["ranking"]}
        now_keys = [_text(li).split()[0] for li in cells[1].iter("li")]
        assert all(lanes[k] == "now" for k in now_keys)
        assert row["open"] >= row["now"] + row["next"]
    assert seen > 0  # the sections are not all empty
    delivered = sum(r["delivered"] for r in summary["stakeholders"])
    assert delivered <= summary["throughput"][month] * 2  # each shipped item counts once per stakeholder


def test_pages_built_for_a_past_time_say_that_time_not_the_newest_data() -> None:
    from goldenthread.reports.format import fmt_stamp
    from goldenthread.reports.pages import LIVE_PAGES

    issues, changes = _backlog()
    newest = max([*(c.at for c in changes), *(i.updated for i in issues if i.updated)])
    past = month_as_of("2025-10", t("2026-07-01"))
    assert newest > past  # the store knows far more than October 2025
    data = build_page_data(issues, changes, STATUSES, config(), past, "cloud")
    pages = [build_monthly_report_page(data, "2025-10")] + [p for build in LIVE_PAGES.values() for p in build(data)]
    assert len(pages) >= 4
    for page in pages:
        assert f"data as of {fmt_stamp(past)}" in page.footer, page.key
        assert fmt_stamp(newest) not in page.storage, page.key
    # built now, the stamp is the newest change the store holds (not the wall clock)
    now = build_page_data(issues, changes, STATUSES, config(), t("2027-01-01"), "cloud")
    assert f"data as of {fmt_stamp(newest)}" in build_roadmap_page(now).footer
