"""The Roadmap grouped by goal, then objective; unlinked work apart; the "why" as a sentence;
target quarters labelled and flagged once passed."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pandas as pd

from goldenthread.reports import storage as s
from goldenthread.reports.explain import compute_score_sentences
from goldenthread.reports.pages import build_page_data, build_roadmap_page
from tests.reports.page_fixtures import STATUSES, backlog, t
from tests.reports.test_goals_page import config

AC = f"{{{s.AC_NS}}}"
NOW = t("2026-06-03")


def _page(as_of=NOW):  # type: ignore[no-untyped-def]
    issues, changes = backlog()
    targets = {"HR-4": "2026-Q1", "HR-5": "Q3 2026", "HR-3": "someday", "HR-2": "2026-Q1"}
    issues = [dataclasses.replace(i, target=targets.get(i.key)) for i in issues]
    return build_roadmap_page(build_page_data(issues, changes, STATUSES, config(), as_of, "cloud"))


def _rows(root: ET.Element) -> dict[str, ET.Element]:
    return {"".join(tr[1].itertext()): tr for tr in root.iter("tr") if len(tr) == 6 and tr[0].tag == "td"}


def _lozenges(node: ET.Element) -> list[str]:
    return [next(p.text for p in m if p.get(f"{AC}name") == "title")  # type: ignore[misc]
            for m in node.iter(f"{AC}structured-macro") if m.get(f"{AC}name") == "status"]


def test_grouped_by_goal_then_objective_with_unlinked_work_apart() -> None:
    root = s.parse_storage(_page().storage)
    headings = [(h.tag, "".join(h.itertext())) for h in root if h.tag in ("h2", "h3")]
    assert headings == [
        ("h2", "Pay people right"), ("h3", "faster payroll (1)"),
        ("h2", "Welcome new starters"), ("h3", "Onboarding in a day (2)"),
        ("h2", "Not linked to an objective (1)"), ("h2", "Needs scoring (1)"),
    ]  # fmt: skip
    # each objective's KPIs with their status next to its heading
    kpi_line = "".join(next(p for p in root.iter("p") if "".join(p.itertext()).startswith("KPIs: ")).itertext())
    assert kpi_line.startswith("KPIs: Payroll run time")


def test_the_why_is_a_sentence_with_the_objective_weight_and_the_formula_stays() -> None:
    rows = _rows(s.parse_storage(_page().storage))
    why = "".join(rows["HR-4"][4].itertext())
    assert ("Ranked 1st: reaches 200 people × impact 3 × 100% confidence ÷ effort 3 = 200, × 2 because "
            "it serves faster payroll = 400.") in why
    serves = [e.text for e in rows["HR-4"][4].iter("em")]
    assert serves == ["faster payroll"]  # the objective in italics
    assert "RICE = reach × impact × confidence ÷ effort" in why and "objective weight 2 = 400" in why
    # weight 1: no multiplier in the sentence
    assert "Ranked 2nd: reaches 300 people × impact 1 × 50% confidence ÷ effort 8 = 18.75." in "".join(
        rows["HR-3"][4].itertext())


def test_target_quarters_labelled_and_a_passed_one_flagged_on_open_work() -> None:
    rows = _rows(s.parse_storage(_page().storage))
    assert "target 2026-Q1 passed" in _lozenges(rows["HR-4"][2])  # ended 1 April, still to do on 3 June
    assert _lozenges(rows["HR-5"][2]) == ["target Q3 2026"]
    assert _lozenges(rows["HR-3"][2]) == ["target someday"]  # not a quarter: a label, never flagged
    # HR-2 was in progress from 10 March to 15 April: its Q1 target passes on 1 April
    assert _lozenges(_rows(s.parse_storage(_page(t("2026-03-31")).storage))["HR-2"][2]) == ["target 2026-Q1"]
    assert _lozenges(_rows(s.parse_storage(_page(t("2026-04-02")).storage))["HR-2"][2]) == ["target 2026-Q1 passed"]


def test_sentences_for_wsjf_weighted_and_unscored() -> None:
    scores = pd.DataFrame({
        "rank": [3, 12, 21], "objective": ["Cut time-to-hire", None, "X"], "objective_weight": [1.5, 1.0, 1.0],
        "raw_score": [8.0, 5.0, float("nan")], "score": [12.0, 5.0, float("nan")],
        "inputs": [{"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "effort": 2},
                   {"business_value": 1, "time_criticality": 2, "risk_reduction": 2, "effort": 1},
                   {"business_value": None, "time_criticality": 1, "risk_reduction": 1, "effort": 2}],
        "missing": [[], [], ["business_value"]],
    })  # fmt: skip
    from goldenthread.mappings.config import parse_config

    out = compute_score_sentences(scores, parse_config("prioritisation: {model: wsjf}")[0])
    assert out["why"].tolist() == [
        "Ranked 3rd: business value 8 + time criticality 5 + risk reduction 3 = 16, ÷ effort 2 = 8, × 1.5 "
        "because it serves ",
        "Ranked 12th: business value 1 + time criticality 2 + risk reduction 2 = 5, ÷ effort 1 = 5",
        "Not ranked yet: needs business_value.",
    ]
    assert out["serves"].tolist() == ["Cut time-to-hire", None, None]
    assert out["then"].tolist() == [" = 12.", ".", ""]
    weighted = parse_config("prioritisation: {model: weighted, weights: {reach: 2, impact: 0.5}}")[0]
    scores = scores.assign(inputs=[{"reach": 5000, "impact": 1}] * 3, raw_score=[10000.5] * 3,
                           score=[10000.5] * 3, objective_weight=[1.0] * 3)  # fmt: skip
    assert compute_score_sentences(scores, weighted)["why"].iloc[0] == (
        "Ranked 3rd: 2 × reach 5,000 + 0.5 × impact 1 = 10,000.5")
