"""Scores, classes, lanes, ranking order and provenance (hand-computed)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from goldenthread.mappings.config import Config
from goldenthread.reports.frames import build_frames
from goldenthread.reports.scoring import compute_scores
from tests.reports.test_frames import AS_OF, STATUSES, issue


def scores(issues: list, prio: dict[str, Any] | None = None) -> pd.DataFrame:
    config = Config.model_validate({"prioritisation": prio or {},
                                    "jira": {"status_overrides": {"Won't Do": "discarded"}}})  # fmt: skip
    return compute_scores(build_frames(issues, [], STATUSES, config, AS_OF), config)


def by_key(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("key")


def test_rice_confidence_as_percent_or_fraction() -> None:
    df = by_key(scores([
        issue("P-1", reach=100, impact=2, confidence=80, effort=4),   # 100*2*0.8/4 = 40
        issue("P-2", reach=100, impact=2, confidence=0.5, effort=4),  # 100*2*0.5/4 = 25
        issue("P-3", reach=10, impact=1, confidence=1, effort=1),     # 1 stays 1.0 -> 10
    ]))  # fmt: skip
    assert df.loc["P-1", "score"] == 40.0
    assert df.loc["P-2", "score"] == 25.0
    assert df.loc["P-3", "score"] == 10.0
    assert df.loc["P-1", "inputs"] == {"reach": 100.0, "impact": 2.0, "confidence": 0.8,
                                       "effort": 4.0}  # fmt: skip


def test_effort_zero_or_missing_needs_scoring_never_zero() -> None:
    df = by_key(scores([
        issue("P-1", reach=100, impact=2, confidence=0.5, effort=0),
        issue("P-2", reach=100, impact=2, confidence=0.5),
        issue("P-3", reach=1, impact=1, confidence=0.5, effort=2),  # 0.25
    ]))  # fmt: skip
    assert math.isnan(df.loc["P-1", "score"]) and df.loc["P-1", "needs_scoring"]
    assert df.loc["P-1", "missing"] == ["effort must be > 0"]
    assert math.isnan(df.loc["P-2", "score"])
    assert df.loc["P-2", "missing"] == ["effort"]
    assert df.loc["P-2", "explanation"] == "needs scoring: missing effort"
    assert df.loc["P-3", "missing"] == []
    assert df.index.tolist() == ["P-3", "P-1", "P-2"]  # unscored last, natural order


def test_provenance_explanation_with_objective_weight() -> None:
    df = by_key(scores([issue("P-1", reach=800, impact=2, confidence=80, effort=5,
                              objective="Cost")], {"objective_weights": {"cost": 1.5}}))  # fmt: skip
    r = df.loc["P-1"]
    assert r["formula"] == "RICE = reach × impact × confidence ÷ effort"
    assert r["explanation"] == "800 × 2 × 0.8 ÷ 5 = 256 × objective weight 1.5 = 384"
    assert r["raw_score"] == 256.0 and r["objective_weight"] == 1.5 and r["score"] == 384.0


def test_objective_weights_change_rank_order() -> None:
    items = [
        issue("P-1", reach=100, impact=1, confidence=1, effort=1, objective="Cost"),  # 100
        issue("P-2", reach=120, impact=1, confidence=1, effort=1, objective="Growth"),  # 120
    ]
    assert scores(items)["key"].tolist() == ["P-2", "P-1"]
    weighted = scores(items, {"objective_weights": {"Cost": 1.5}})  # P-1 -> 150
    assert weighted["key"].tolist() == ["P-1", "P-2"]
    assert weighted["score"].tolist() == [150.0, 120.0]


def test_wsjf_and_weighted_models() -> None:
    df = by_key(scores([issue("P-1", business_value=8, time_criticality=5, risk_reduction=3,
                              effort=4)], {"model": "wsjf"}))  # fmt: skip
    assert df.loc["P-1", "score"] == 4.0  # (8 + 5 + 3) / 4
    assert df.loc["P-1", "explanation"] == "(8 + 5 + 3) ÷ 4 = 4 × objective weight 1 = 4"
    w = by_key(scores([
        issue("P-1", business_value=3, reach=10),  # 2*3 + 0.5*10 = 11
        issue("P-2", business_value=3),  # reach missing
    ], {"model": "weighted", "weights": {"business_value": 2, "reach": 0.5}}))  # fmt: skip
    assert w.loc["P-1", "score"] == 11.0
    assert w.loc["P-1", "formula"] == "weighted = 2 × business_value + 0.5 × reach"
    assert w.loc["P-2", "needs_scoring"] and w.loc["P-2", "missing"] == ["reach"]


def test_ties_in_natural_key_order() -> None:
    same = {"reach": 1, "impact": 1, "confidence": 1, "effort": 1}
    df = scores([issue("PROJ-10", **same), issue("PROJ-9", **same), issue("ABC-100", **same)])
    assert df["key"].tolist() == ["ABC-100", "PROJ-9", "PROJ-10"]
    assert df["rank"].tolist() == [1, 2, 3]


def test_lanes_next_size_classes_and_exclusions() -> None:
    df = by_key(scores([
        issue("P-1", reach=50, impact=1, confidence=1, effort=1),            # 50, todo
        issue("P-2", reach=40, impact=1, confidence=1, effort=4, objective="Cost"),  # 10
        issue("P-3", reach=30, impact=1, confidence=1, effort=5),            # 6
        issue("P-4", reach=10),                                              # unscored todo
        issue("P-5", "In Progress", reach=99, impact=1, confidence=1, effort=1),
        issue("P-6", "Done", reach=999, impact=1, confidence=1, effort=1),
        issue("P-7", "Won't Do", reach=999, impact=1, confidence=1, effort=1),
    ], {"next_size": 2, "quick_win_max_effort": 3}))  # fmt: skip
    assert df.index.tolist() == ["P-5", "P-1", "P-2", "P-3", "P-4"]  # no done, no discarded
    assert df["lane"].to_dict() == {"P-5": "now", "P-1": "next", "P-2": "next", "P-3": "later",
                                    "P-4": "later"}  # fmt: skip
    # values (reach × impact × confidence) of the open scored items 99, 50, 40, 30: median 45
    assert df["value_threshold"].tolist() == [45.0] * 5
    assert df.loc["P-5", "class"] == "quick_win"  # 99 >= 45, effort 1 <= 3 (in progress too)
    assert df.loc["P-1", "class"] == "quick_win"  # 50 >= 45, effort 1
    assert df.loc["P-2", "class"] == "reconsider"  # 40 < 45, effort 4 > 3
    assert df.loc["P-3", "class"] == "reconsider"  # 30 < 45, effort 5 > 3
    assert df.loc["P-4", "class"] is None  # unscored


def test_unscored_never_fill_next() -> None:
    df = by_key(scores([issue("P-1", reach=1)], {"next_size": 5}))
    assert df.loc["P-1", "lane"] == "later"


def test_empty_backlog() -> None:
    df = scores([])
    assert df.empty and "explanation" in df.columns and "lane" in df.columns


MATRIX = [
    issue("P-1", reach=100, impact=1, confidence=1, effort=1),  # value 100, small
    issue("P-2", reach=100, impact=1, confidence=1, effort=8),  # value 100, large
    issue("P-3", reach=10, impact=1, confidence=1, effort=2),   # value 10, small
    issue("P-4", reach=10, impact=1, confidence=1, effort=5),   # value 10, large
    issue("P-5", reach=10, impact=1, confidence=1),             # unscored
    issue("P-6", "Done", reach=5000, impact=1, confidence=1, effort=1),  # not open: not in the median
]  # fmt: skip


def test_value_effort_matrix_against_the_median_value() -> None:
    df = by_key(scores(MATRIX, {"quick_win_max_effort": 3}))
    # open scored values 100, 100, 10, 10: median 55 (linear)
    assert df["class"].to_dict() == {"P-1": "quick_win", "P-2": "strategic", "P-3": "fill_in",
                                     "P-4": "reconsider", "P-5": None}  # fmt: skip
    assert df.loc["P-2", "value"] == 100.0 and df.loc["P-2", "score"] == 12.5
    assert df.loc["P-2", "class_reason"] == "strategic: high value (100 ≥ 55), large effort (8 > 3)"
    assert df.loc["P-3", "class_reason"] == "fill-in: low value (10 < 55), small effort (2 ≤ 3)"
    assert df.loc["P-5", "class_reason"] is None and math.isnan(df.loc["P-5", "value"])


def test_high_value_min_replaces_the_median() -> None:
    df = by_key(scores(MATRIX, {"quick_win_max_effort": 3, "high_value_min": 10}))
    assert df["class"].to_dict() == {"P-1": "quick_win", "P-2": "strategic", "P-3": "quick_win",
                                     "P-4": "strategic", "P-5": None}  # fmt: skip
    assert df.loc["P-3", "class_reason"] == "quick win: high value (10 ≥ 10), small effort (2 ≤ 3)"


def test_value_includes_the_objective_weight() -> None:
    items = [issue("P-1", reach=10, impact=1, confidence=1, effort=1, objective="Cost"),
             issue("P-2", reach=20, impact=1, confidence=1, effort=1)]  # fmt: skip
    df = by_key(scores(items, {"objective_weights": {"Cost": 3}}))
    assert df["value"].to_dict() == {"P-1": 30.0, "P-2": 20.0}  # median 25
    assert df["class"].to_dict() == {"P-1": "quick_win", "P-2": "fill_in"}


def test_wsjf_and_weighted_values_leave_effort_out() -> None:
    w = by_key(scores([
        issue("P-1", business_value=8, time_criticality=5, risk_reduction=3, effort=4),  # 16
        issue("P-2", business_value=1, time_criticality=1, risk_reduction=1, effort=1),  # 3
    ], {"model": "wsjf", "high_value_min": 10}))  # fmt: skip
    assert w["value"].to_dict() == {"P-1": 16.0, "P-2": 3.0}
    assert w["class"].to_dict() == {"P-1": "strategic", "P-2": "fill_in"}
    weighted = by_key(scores([
        issue("P-1", business_value=10, effort=2),  # value 2 × 10 = 20; score 20 - 2 = 18
        issue("P-2", business_value=1),  # effort unknown: not small
    ], {"model": "weighted", "weights": {"business_value": 2, "effort": -1}, "high_value_min": 5}))
    assert weighted.loc["P-1", "value"] == 20.0 and weighted.loc["P-1", "score"] == 18.0
    assert weighted.loc["P-1", "class"] == "quick_win"
    assert weighted.loc["P-2", "needs_scoring"]  # effort is an input of this weighting
    only_value = by_key(scores([issue("P-1", business_value=1), issue("P-2", business_value=9)],
                               {"model": "weighted", "weights": {"business_value": 1}}))  # fmt: skip
    assert only_value["class"].to_dict() == {"P-1": "reconsider", "P-2": "strategic"}  # median 5
    assert only_value.loc["P-1", "class_reason"] == \
        "reconsider: low value (1 < 5), effort unknown (counted as large)"


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.one_of(st.none(), st.integers(-1, 10)),
                          st.sampled_from(["To Do", "In Progress", "Done"])), max_size=12),
       st.one_of(st.none(), st.integers(0, 60)))
def test_every_scored_open_item_has_exactly_one_class(
    rows: list[tuple[int, int | None, str]], high_value_min: int | None
) -> None:
    items = [issue(f"P-{n}", status, reach=reach, impact=1, confidence=1, effort=effort)
             for n, (reach, effort, status) in enumerate(rows)]  # fmt: skip
    df = scores(items, {"high_value_min": high_value_min})
    values = df.loc[df["score"].notna(), "value"]
    threshold = high_value_min if high_value_min is not None else (
        values.median() if len(values) else None)  # fmt: skip
    for r in df.to_dict("records"):
        if r["needs_scoring"]:
            assert r["class"] is None
            continue
        high, small = r["value"] >= threshold, r["effort"] <= 3
        assert r["class"] == {(True, True): "quick_win", (True, False): "strategic",
                              (False, True): "fill_in", (False, False): "reconsider"}[(high, small)]
