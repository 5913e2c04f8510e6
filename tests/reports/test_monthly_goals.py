"""The monthly report's goal additions: KPI status counts, NPS, adoption and cycle time against the
previous month in the headline; "KPIs at risk" (owners @mentioned) and unlinked work in the
decisions. Every figure worked out by hand from tests/reports/test_goals_page.py's data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from goldenthread.reports import storage as s
from goldenthread.reports.pages.monthly import build_monthly_report_page, month_as_of
from tests.reports.page_fixtures import DANA, t
from tests.reports.test_goals_page import _data

RI = f"{{{s.RI_NS}}}"


def _page():  # type: ignore[no-untyped-def]
    return build_monthly_report_page(_data(month_as_of("2026-05", t("2026-06-03"))), "2026-05")


AC = f"{{{s.AC_NS}}}"


def _cell(td: ET.Element) -> str:
    """A cell's text; a status lozenge by its title only."""
    titles = [p.text for m in td.iter(f"{AC}structured-macro") for p in m if p.get(f"{AC}name") == "title"]
    return str(titles[0]) if titles else "".join(td.itertext())


def _headline(root: ET.Element) -> dict[str, list[str]]:
    table = next(root.iter("table"))
    return {"".join(tr[0].itertext()): [_cell(td) for td in tr[1:]]
            for tr in table.iter("tr") if tr[0].tag == "td"}  # fmt: skip


def test_headline_adds_kpi_status_nps_adoption_and_cycle_time_against_last_month() -> None:
    root = s.parse_storage(_page().storage)
    rows = _headline(root)
    # 31 May: run time on track (50% vs 41%), self-service achieved, errors at risk (8% vs 41%),
    # queries without data. 30 April: only the errors had a reading (0% vs 33%: at risk).
    assert rows["KPIs achieved or on track"] == ["2", "0", "▲ 2"]
    assert rows["KPIs at risk"] == ["1", "1", "= same"]
    # May: 10 and 7 -> 100 × (1 - 0) / 2; April: a 2 -> -100
    assert rows["NPS of the month's answers"] == ["+50", "-100", "▲ 150"]
    assert rows["Adoption of the work shipped"] == ["—", "—", "—"]  # nothing shipped carries adoption
    # HR-1 started 1 May, done 10 May: 9 days; HR-2 10 March -> 15 April: 36 days
    assert rows["Cycle time p50"] == ["9 d", "36 d", "▼ 27 d"]
    text = "".join(root.itertext())
    assert "NPS: 2 answers in May 2026, 1 the month before." in text
    assert "1 KPI without a reading yet." in text


def test_decisions_name_kpis_at_risk_with_their_owner_and_unlinked_work() -> None:
    root = s.parse_storage(_page().storage)
    headings = ["".join(h.itertext()) for h in root.iter("h3")]
    assert "KPIs at risk (1)" in headings and "Work not linked to an objective (1)" in headings
    tables = list(root.iter("table"))
    risk = next(tb for tb in tables if "".join(tb.iter("th").__next__().itertext()) == "KPI")
    (row,) = [tr for tr in risk.iter("tr") if tr[0].tag == "td"]
    cells = ["".join(td.itertext()) for td in row]
    assert cells[0:2] == ["Payroll errors", "faster payroll"]
    assert [u.get(f"{RI}account-id") for u in row[2].iter(f"{RI}user")] == [DANA]
    assert cells[3:] == ["7.5 per run", "8% (expected 41%)"]
    unlinked = next(tb for tb in tables if ["".join(th.itertext()) for th in tb.iter("th")] ==
                    ["Issue", "Summary", "Stage", "Lane"])  # fmt: skip
    assert ["".join(tr[0].itertext()) for tr in unlinked.iter("tr") if tr[0].tag == "td"] == ["HR-6"]


def test_the_headline_nps_is_read_in_whole_points() -> None:
    from goldenthread.reports.pages.monthly_goals import _whole

    assert (_whole(-10.6), _whole(-2.4), _whole(None), _whole(33.3333)) == (-11.0, -2.0, None, 33.0)
