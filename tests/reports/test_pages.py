"""Page models: content (hand-computed from tests/reports/page_fixtures.py), safety, determinism."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from goldenthread.mappings.records import UserRef
from goldenthread.reports import storage as s
from goldenthread.reports.pages.monthly import build_monthly_report_page, compute_wip_count_at, month_as_of
from goldenthread.reports.pages import PageData, build_page_data, build_roadmap_page, build_whats_new_page
from tests.reports.page_fixtures import DANA, JIRA_ONLY, OMAR, STATUSES, backlog, config, t
from tests.reports.test_storage import HOSTILE

AC, RI = f"{{{s.AC_NS}}}", f"{{{s.RI_NS}}}"
NOW = t("2026-06-03")


def _data(issues=None, changes=None, as_of=NOW, deployment="cloud") -> PageData:  # type: ignore[no-untyped-def]
    base_issues, base_changes = backlog()
    return build_page_data(issues or base_issues, base_changes if changes is None else changes,
                           STATUSES, config(), as_of, deployment)  # type: ignore[arg-type]


def _monthly(month: str = "2026-05", **kw: object):  # type: ignore[no-untyped-def]
    return build_monthly_report_page(_data(as_of=month_as_of(month, NOW), **kw), month)  # type: ignore[arg-type]


def _headings(storage: str, level: int) -> list[str]:
    return ["".join(h.itertext()) for h in s.parse_storage(storage).iter(f"h{level}")]


def _lozenges(node: ET.Element) -> list[str]:
    out = []
    for m in node.iter(f"{AC}structured-macro"):
        if m.get(f"{AC}name") == "status":
            out.append(next(p.text for p in m if p.get(f"{AC}name") == "title"))
    return out


def test_roadmap_lanes_objectives_classes_and_needs_scoring() -> None:
    page = build_roadmap_page(_data())
    # RICE: HR-4 200×3×1÷3 = 200, HR-3 300×1×0.5÷8 = 18.75 (in progress), HR-5 10×1×1÷13 ≈ 0.77
    # (next_size 2), HR-6 unscored. No goals configured: objectives by their best-ranked item.
    assert _headings(page.storage, 2) == ["Objectives", "Not linked to an objective (1)", "Needs scoring (1)"]
    assert _headings(page.storage, 3) == ["Faster payroll (1)", "Onboarding in a day (2)"]
    root = s.parse_storage(page.storage)
    lanes = [b.text for p in root.iter("p") for b in p.findall("strong") if b.text and b.text[:3] in ("Now", "Nex", "Lat")]
    assert lanes == ["Next (1)", "Now (1)", "Next (1)", "Later (1)"]
    rows = {"".join(tr[1].itertext()): tr for tr in root.iter("tr") if len(tr) == 6 and tr[0].tag == "td"}
    assert set(rows) == {"HR-3", "HR-4", "HR-5", "HR-6"}
    assert rows["HR-4"][1].find("a").get("href") == "https://example.atlassian.net/browse/HR-4"  # type: ignore[union-attr]
    assert _lozenges(rows["HR-4"][3]) == ["To Do", "quick win"]
    # values 600 (HR-4), 150 (HR-3), 10 (HR-5): median 150
    assert _lozenges(rows["HR-5"][3]) == ["To Do", "reconsider"]
    assert _lozenges(rows["HR-3"][3]) == ["In Progress", "strategic"]
    assert "".join(rows["HR-4"][4].find("strong").itertext()) == "200"  # type: ignore[union-attr]
    why = rows["HR-4"][4].find(f"{AC}structured-macro")
    assert why is not None and why.get(f"{AC}name") == "expand"
    assert "200 × 3 × 1 ÷ 3 = 200" in "".join(why.itertext())  # the formula stays
    assert ("Ranked 1st: reaches 200 people × impact 3 × 100% confidence ÷ effort 3 = 200."
            in "".join(why.itertext()))
    assert _lozenges(rows["HR-6"][4]) == ["needs scoring"]
    # HR-4 gets Dana from the Payroll rule; HR-5 credits a Jira-only user by name, not by mention
    assert "".join(rows["HR-4"][5].itertext()) == "Dana (Finance)"
    assert "".join(rows["HR-5"][5].itertext()) == "Jira Person"
    assert not list(root.iter(f"{RI}user"))
    assert "reach, impact, confidence" in "".join(root.itertext())
    # the value/effort matrix: values 600, 150, 10 (median 150); effort 3 is small
    matrix = next(tb for tb in root.iter("table") if "Small effort (≤ 3)" in "".join(tb.itertext()))
    cells = [[" ".join([*_lozenges(td), "".join(td.itertext()).split()[-1]]) for td in tr[1:]]
             for tr in matrix.iter("tr") if tr[0].tag == "td"]  # fmt: skip
    assert cells == [["quick win 1", "strategic 1"], ["fill-in 0", "reconsider 1"]]
    assert ["".join(tr[0].itertext()) for tr in matrix.iter("tr")][1:] == [
        "High value (≥ 150)", "Low value (< 150)"]
    text = "".join(root.itertext())
    assert "the median value of the 3 open scored items" in text
    why = "".join(rows["HR-5"][4].itertext())
    assert "Class: reconsider: low value (10 < 150), large effort (13 > 3)" in why


def test_monthly_report_sections_mentions_and_charts() -> None:
    page = _monthly()
    assert page.title == "Stakeholder report 2026-05"
    assert page.parent_title == "Stakeholder reports" and page.grandparent_title == "Internal products"
    assert set(page.attachments) == {"throughput.png", "lead-time.png", "wip-age.png"}
    assert all(b.startswith(b"\x89PNG") for b in page.attachments.values())
    root = s.parse_storage(page.storage)
    images = [a.get(f"{RI}filename") for a in root.iter(f"{RI}attachment")]
    assert images == ["throughput.png", "lead-time.png", "wip-age.png"]
    # only configured people with valid Cloud ids are mentioned ("not an id" and Jira-only are not)
    assert sorted(u.get(f"{RI}account-id") for u in root.iter(f"{RI}user")) == sorted([DANA, OMAR])
    assert JIRA_ONLY not in page.storage
    # power/interest order: manage closely (Broken, Dana by name), then keep informed (Omar)
    assert _headings(page.storage, 3)[:3] == ["Broken", "Dana (Finance)", "Omar (IT)"]
    text = "".join(root.itertext())
    headline = {"".join(tr[0].itertext()): ["".join(td.itertext()) for td in tr[1:]]
                for tr in root.iter("tr") if tr[0].tag == "td"}
    # May: HR-1 shipped, lead 20 d; April: HR-2, lead 45 d (SLA 30: missed); WIP: HR-3 from 2 May
    assert headline["Shipped (throughput)"][:2] == ["1", "1"]
    assert headline["Lead time p50"][:2] == ["20 d", "45 d"]
    assert headline["SLA compliance"][:2] == ["100%", "0%"]
    assert headline["Work in progress at month end"][:2] == ["1", "0"]
    assert "Items that need scoring at month end (1)" in _headings(page.storage, 3)
    # each chart says what it shows: the 12-month window, and how many of the WIP items
    assert "Shipped per month, Jun 2025 – May 2026 (last 12 months)" in text
    assert ("Lead time, 2 items shipped Jun 2025 – May 2026 (last 12 months), days; the "
            "headline's lead times are for the items shipped in May 2026 alone") in text
    assert "Work in progress at month end by age: all 1 items, days" in text
    assert "Meeting minutes" in _headings(page.storage, 3)
    assert "Dana (Finance)" in text


def test_dana_section_lists_delivered_in_progress_and_next() -> None:
    root = s.parse_storage(_monthly().storage)
    tables = list(root.iter("table"))
    dana = next(tb for tb in tables if "".join(tb.itertext()).startswith("Delivered this month")
                and "HR-1" in "".join(tb.itertext()))
    delivered, doing, nxt = ("".join(td.itertext()) for td in dana.iter("td"))
    assert "HR-1" in delivered and "shipped 10 May 2026" in delivered
    assert "HR-3" in doing and "HR-4" in nxt


def test_month_without_activity_renders_sensibly() -> None:
    page = _monthly("2025-01")
    root = s.parse_storage(page.storage)
    text = "".join(root.itertext())
    assert "January 2025" in text and "Nothing delivered this month." in text
    headline = {"".join(tr[0].itertext()): ["".join(td.itertext()) for td in tr[1:]]
                for tr in root.iter("tr") if tr[0].tag == "td"}
    assert headline["Shipped (throughput)"][:2] == ["0", "0"]
    shipped_row = next(tr for tr in root.iter("tr") if "".join(tr[0].itertext()) == "Shipped (throughput)")
    assert _lozenges(shipped_row) == ["= same"]
    assert headline["Lead time p50"] == ["—", "—", "—"]


def test_empty_backlog_renders_every_page() -> None:
    data = build_page_data([], [], {}, config(), month_as_of("2026-05", NOW), "cloud")
    for page in (build_roadmap_page(data), build_whats_new_page(data), build_monthly_report_page(data, "2026-05")):
        s.parse_storage(page.storage)
        assert "no data yet" in page.footer


def test_wip_count_replays_history() -> None:
    frames = _data().report.frames
    assert compute_wip_count_at(frames, t("2026-03-20")) == 1  # HR-2 in progress 10 Mar .. 15 Apr
    assert compute_wip_count_at(frames, t("2026-04-20")) == 0
    assert compute_wip_count_at(frames, t("2026-05-05")) == 2  # HR-1 (1-10 May) and HR-3


def test_hostile_jira_text_adds_no_confluence_elements() -> None:
    hostile = " ".join(HOSTILE)
    issues, changes = backlog()
    evil = [dataclasses.replace(i, summary=hostile, objective=i.objective and hostile, team=hostile,
                                url="javascript:alert(1)" if i.key == "HR-4" else i.url,
                                stakeholders=tuple(UserRef(u.id, hostile) for u in i.stakeholders))
            for i in issues]  # fmt: skip
    for build in (build_roadmap_page, build_whats_new_page):
        benign, bad = build(_data()), build(_data(evil, changes))
        counts = s.count_confluence_elements(bad.storage)
        assert counts == s.count_confluence_elements(benign.storage), build.__name__
        assert "<script>alert(1)</script>" in "".join(s.parse_storage(bad.storage).itertext())
    benign, bad = _monthly(), _monthly(issues=evil)
    assert s.count_confluence_elements(bad.storage) == s.count_confluence_elements(benign.storage)


def test_same_data_same_page_and_stamp_outside_the_hash() -> None:
    a, b = build_roadmap_page(_data()), build_roadmap_page(_data())
    assert a.storage == b.storage and a.content_hash == b.content_hash
    assert _monthly().content_hash == _monthly().content_hash
    issues, changes = backlog()
    touched = [dataclasses.replace(i, updated=t("2026-06-01")) if i.key == "HR-6" else i for i in issues]
    c = build_roadmap_page(_data(touched, changes))
    assert c.footer != a.footer and "2026-06-01 00:00 UTC" in c.footer
    assert c.content_hash == a.content_hash
    renamed = [dataclasses.replace(i, summary="Fix the org chart!") if i.key == "HR-6" else i for i in issues]
    assert build_roadmap_page(_data(renamed, changes)).content_hash != a.content_hash
