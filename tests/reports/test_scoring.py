"""Scores, classes, lanes, ranking order and provenance (hand-computed)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

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
    assert df.loc["P-1", "class"] == "quick_win"  # scored, effort 1 <= 3
    assert df.loc["P-2", "class"] == "strategic"  # objective, effort 4 > 3
    assert df.loc["P-3", "class"] is None  # no objective, effort above limit
    assert df.loc["P-4", "class"] is None


def test_unscored_never_fill_next() -> None:
    df = by_key(scores([issue("P-1", reach=1)], {"next_size": 5}))
    assert df.loc["P-1", "lane"] == "later"


def test_empty_backlog() -> None:
    df = scores([])
    assert df.empty and "explanation" in df.columns and "lane" in df.columns
