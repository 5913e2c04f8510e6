"""Prioritisation (docs/metrics.md "Prioritisation"): scores, class, lanes and ranking, with provenance.

Class is the value/effort matrix: value = the score before dividing by effort (RICE reach ×
impact × confidence, WSJF business_value + time_criticality + risk_reduction, weighted: the
weighted sum without an effort term) × the objective weight. High value = value at or above
`prioritisation.high_value_min`, else the median (linear) value of the open scored items (the
frames are the backlog at as_of, so: open at as_of). Small effort = effort at most
`quick_win_max_effort`; an unknown effort (possible only in the weighted model) is not small.
quick_win = high value, small effort; strategic = high value, larger effort; fill_in = low value,
small effort; reconsider = low value, large effort; None = unscored.

Every ranked item carries why it sits where it does: the formula, the input values used, the
objective weight, a one-line worked explanation, and for unscored items the missing inputs.
Vectorised: string provenance is assembled column by column, never row by row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import NUMERIC_FIELDS, OPEN_STAGES
from goldenthread.reports.format import format_numbers
from goldenthread.reports.frames import Frames, normalise_percent

MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    "rice": ("reach", "impact", "confidence", "effort"),
    "wsjf": ("business_value", "time_criticality", "risk_reduction", "effort"),
}
FORMULAS: dict[str, str] = {
    "rice": "RICE = reach × impact × confidence ÷ effort",
    "wsjf": "WSJF = (business_value + time_criticality + risk_reduction) ÷ effort",
}
SCORE_COLUMNS: tuple[str, ...] = (
    "rank", "key", "project", "number", "summary", "url", "issue_type", "status", "stage",
    "objective", "team", "target", "stakeholder_ids", "effort", "model", "score", "raw_score",
    "objective_weight", "needs_scoring", "value", "value_threshold", "class", "class_reason",
    "lane", "formula", "inputs", "explanation", "missing",
)  # fmt: skip
CLASSES: tuple[str, ...] = ("quick_win", "strategic", "fill_in", "reconsider")
CLASS_LABELS: dict[str, str] = {
    "quick_win": "quick win", "strategic": "strategic", "fill_in": "fill-in", "reconsider": "reconsider",
}  # fmt: skip


def _weighted_formula(weights: dict[str, float]) -> str:
    terms = " + ".join(f"{w:g} × {name}" for name, w in weights.items())
    return f"weighted = {terms}" if terms else "weighted = (no weights configured)"


def _objective_weights(objective: pd.Series, config: Config) -> pd.Series:
    by_fold = config.objective_weights()  # goals' weights win over prioritisation.objective_weights
    weights = objective.astype("str").str.casefold().map(by_fold)
    return weights.astype("float64").fillna(1.0)


def _model_inputs(df: pd.DataFrame, config: Config) -> pd.DataFrame:
    """The model's input columns of `df` as floats (NaN when missing or not a numeric field),
    confidence normalised."""
    prio = config.prioritisation
    names = MODEL_FIELDS.get(prio.model, tuple(prio.weights) if prio.model == "weighted" else ())
    used = pd.DataFrame(
        {n: df[n] if n in NUMERIC_FIELDS and n in df.columns else np.nan for n in names}, index=df.index
    ).astype("float64")
    if "confidence" in used:
        used["confidence"] = normalise_percent(used["confidence"])
    return used


def compute_values(df: pd.DataFrame, config: Config) -> pd.Series:
    """The value (see the module docstring) of any rows, open or not: what ranks shipped work,
    where there is no effort left to divide by. NaN when an input is missing."""
    prio = config.prioritisation
    weights = dict(prio.weights) if prio.model == "weighted" else {}
    value = _values(_model_inputs(df, config), prio.model, weights)
    if prio.model == "weighted" and not set(weights) - {"effort"}:
        value = pd.Series(np.nan, index=df.index)
    return (value * _objective_weights(df["objective"], config)).astype("float64")


def _missing_lists(flags: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """Per row, the list of labels whose flag is set: each distinct combination of flags is
    turned into a list once; rows get their own copy of their combination's list."""
    labels = list(flags)
    code = np.zeros(len(index), dtype="int64")
    for bit, flag in enumerate(flags.values()):
        code |= flag.to_numpy(dtype=bool).astype("int64") << bit
    combos = np.empty(1 << len(labels), dtype=object)
    for c in np.unique(code):
        combos[c] = tuple(label for bit, label in enumerate(labels) if c >> bit & 1)
    lists = list(map(list, combos[code])) if len(index) else []
    return pd.Series(np.fromiter(lists, dtype=object, count=len(lists)), index=index)


def _raw_scores(
    used: pd.DataFrame, model: str, weights: dict[str, float]
) -> tuple[pd.Series, pd.Series, dict[str, pd.Series]]:
    """(raw score, explanation of the raw part, missing-input flags) for the configured model."""
    idx = used.index
    f = {name: format_numbers(used[name]) for name in used.columns}
    if model == "rice":
        raw = used["reach"] * used["impact"] * used["confidence"] / used["effort"]
        text = f["reach"] + " × " + f["impact"] + " × " + f["confidence"] + " ÷ " + f["effort"]
    elif model == "wsjf":
        total = used["business_value"] + used["time_criticality"] + used["risk_reduction"]
        raw = total / used["effort"]
        text = ("(" + f["business_value"] + " + " + f["time_criticality"] + " + "
                + f["risk_reduction"] + ") ÷ " + f["effort"])  # fmt: skip
    else:
        raw = pd.Series(0.0, index=idx)
        text = pd.Series("", index=idx, dtype="str")
        for i, (name, w) in enumerate(weights.items()):
            raw = raw + w * used[name]
            sep = "" if i == 0 else " + "
            text = text + f"{sep}{w:g} × " + f[name] + f" ({name})"
        if not weights:
            raw = pd.Series(np.nan, index=idx)
    flags = {name: used[name].isna() for name in used.columns}
    if model in MODEL_FIELDS:
        flags["effort must be > 0"] = used["effort"].le(0)
        raw = raw.where(used["effort"].gt(0))
    if model == "weighted" and not weights:
        flags["prioritisation.weights"] = pd.Series(True, index=idx)
    return raw.astype("float64"), text, flags


def _values(used: pd.DataFrame, model: str, weights: dict[str, float]) -> pd.Series:
    """The value part of each score: the numerator before dividing by effort (RICE, WSJF), or
    the weighted sum without its effort term."""
    if model == "rice":
        return (used["reach"] * used["impact"] * used["confidence"]).astype("float64")
    if model == "wsjf":
        total = used["business_value"] + used["time_criticality"] + used["risk_reduction"]
        return total.astype("float64")
    value = pd.Series(0.0, index=used.index)
    for name, w in weights.items():
        if name != "effort":
            value = value + w * used[name]
    return value


def compute_classes(
    value: pd.Series, effort: pd.Series, high_value_min: float | None, max_effort: float
) -> tuple[pd.Series, float, pd.Series]:
    """(class, high-value threshold, why) per row of the open items' `value` (NaN = unscored)
    and `effort` (see module docstring). The threshold is `high_value_min` when set, else the
    median value of the scored rows (NaN when none)."""
    scored = value.notna()
    threshold = float(high_value_min) if high_value_min is not None else (
        float(value[scored].quantile(0.5)) if scored.any() else float("nan"))  # fmt: skip
    high = scored & value.ge(threshold)
    small = effort.le(max_effort)  # NaN effort: not small
    klass = np.select(
        [scored & high & small, scored & high, scored & small, scored], list(CLASSES), default=""
    ).astype(object)
    klass[~scored.to_numpy()] = None
    idx = value.index
    limit, bar = (str(format_numbers(pd.Series([x]))[0]) for x in (max_effort, threshold))
    text_value, text_effort = format_numbers(value), format_numbers(effort)
    value_part = np.where(high, "high value (" + text_value + " ≥ " + bar + ")",
                          "low value (" + text_value + " < " + bar + ")")  # fmt: skip
    effort_part = np.select(
        [effort.isna().to_numpy(), small.to_numpy()],
        ["effort unknown (counted as large)", "small effort (" + text_effort + " ≤ " + limit + ")"],
        "large effort (" + text_effort + " > " + limit + ")",
    )
    labels = pd.Series(klass, index=idx, dtype=object).map(CLASS_LABELS)
    why = (labels + ": " + pd.Series(value_part, index=idx, dtype=object) + ", "
           + pd.Series(effort_part, index=idx, dtype=object))  # fmt: skip
    reason = why.to_numpy(dtype=object)
    reason[~scored.to_numpy()] = None
    return (pd.Series(klass, index=value.index, dtype=object), threshold,
            pd.Series(reason, index=value.index, dtype=object))  # fmt: skip


def _input_dicts(used: pd.DataFrame) -> pd.Series:
    """One {input: value or None} dict per row (what `to_dict("records")` gives, without its
    per-cell boxing)."""
    names = list(used.columns)
    # numpy takes None as an object scalar here; its stubs accept only array-likes
    cols = [np.where(np.isnan(a), None, a).tolist()  # type: ignore[call-overload]
            for a in (used[n].to_numpy() for n in names)]
    dicts = [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]
    if not names:
        dicts = [{} for _ in range(len(used))]
    return pd.Series(np.fromiter(dicts, dtype=object, count=len(dicts)), index=used.index)


def compute_scores(frames: Frames, config: Config) -> pd.DataFrame:
    """Score, class, lane and provenance for every open issue (todo + in_progress), in ranking
    order: score descending, unscored last, ties in natural key order (project, then number).

    Columns: rank (1-based), key, project, number, summary, url, issue_type, status, stage,
    objective, team, target, stakeholder_ids, effort, model, score (raw × objective weight; NaN =
    needs scoring), raw_score, objective_weight, needs_scoring (bool), value (the score before
    dividing by effort × objective weight; NaN when unscored), value_threshold (the high-value
    threshold, the same on every row), class ("quick_win" | "strategic" | "fill_in" |
    "reconsider" | None when unscored), class_reason (e.g. "strategic: high value (600 ≥ 150),
    large effort (8 > 3)"; None when unscored), lane ("now" | "next" | "later"), formula (str), inputs (dict of the
    values used, None for missing; confidence already normalised), explanation (str, e.g.
    "800 × 2 × 0.8 ÷ 5 = 256 × objective weight 1.5 = 384"), missing (list of str).
    Weighted-model fields that are not numeric canonical fields count as missing inputs.
    """
    prio = config.prioritisation
    model = prio.model
    weights = dict(prio.weights) if model == "weighted" else {}
    names = MODEL_FIELDS.get(model, tuple(weights))
    df = frames.issues
    # copy only what the ranking shows or reads, not every issue column
    keep = [c for c in df.columns if c in SCORE_COLUMNS or c in names]
    df = df.loc[df["stage"].isin(OPEN_STAGES).to_numpy(), keep]
    df["stage"] = df["stage"].astype("str")
    used = _model_inputs(df, config)

    raw, raw_text, flags = _raw_scores(used, model, weights)
    ow = _objective_weights(df["objective"], config)
    score = raw * ow
    scored = score.notna()
    missing = _missing_lists(flags, df.index)
    explanation = (raw_text + " = " + format_numbers(raw) + " × objective weight "
                   + format_numbers(ow) + " = " + format_numbers(score))  # fmt: skip
    needs = "needs scoring: missing " + missing.str.join(", ")
    df = df.assign(
        model=model,
        score=score,
        raw_score=raw,
        objective_weight=ow,
        needs_scoring=~scored,
        formula=FORMULAS.get(model) or _weighted_formula(weights),
        inputs=_input_dicts(used),
        explanation=explanation.where(scored, needs),
        missing=missing,
    )

    value = (_values(used, model, weights) * ow).where(scored)
    klass, threshold, why = compute_classes(value, df["effort"], prio.high_value_min,
                                            prio.quick_win_max_effort)  # fmt: skip
    df = df.assign(value=value, value_threshold=threshold, class_reason=why)
    df["class"] = klass

    # frames.issues is in natural key order: a stable sort on score keeps ties in that order
    df = df.sort_values("score", ascending=False, na_position="last", kind="stable")
    df = df.reset_index(drop=True)
    df["rank"] = np.arange(1, len(df) + 1, dtype="int64")
    todo_scored = df["stage"].eq("todo") & df["score"].notna()
    next_mask = todo_scored & todo_scored.cumsum().le(prio.next_size)
    df["lane"] = np.select(
        [df["stage"].eq("in_progress"), next_mask], ["now", "next"], default="later"
    )
    df["lane"] = df["lane"].astype("str")
    return df.loc[:, list(SCORE_COLUMNS)]
