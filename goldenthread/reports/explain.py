"""Words for the Roadmap, computed column by column (pure, vectorised over distinct values):

- `compute_score_sentences`: the "why" under a score as a sentence a reader follows, e.g.
  "Ranked 3rd: reaches 5,000 people × impact 1 × 50% confidence ÷ effort 2 = 1,250", then, when
  the objective's weight is not 1, "× 1.5 because it serves" + the objective (the page puts the
  name in italics) + "= 1,875". The formula and the inputs stay next to it on the page.
- `compute_target_ends`: the end of a target quarter ("2026-Q3", "Q3 2026", "2026 Q3"), so an
  open item whose quarter has passed can be flagged; anything else is only shown as a label.

Tests: tests/reports/test_roadmap_goals.py
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.reports.format import format_amounts

_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(?:FY)?(\d{4}))\s*$", re.IGNORECASE)


def compute_ordinals(ranks: pd.Series) -> pd.Series:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    n = ranks.to_numpy(dtype="int64")
    tens, ones = n % 100, n % 10
    suffix = np.select([(tens >= 11) & (tens <= 13), ones == 1, ones == 2, ones == 3],
                       ["th", "st", "nd", "rd"], default="th")  # fmt: skip
    return pd.Series(n.astype(str).astype(object) + suffix.astype(object), index=ranks.index, dtype=object)


def _inputs(scores: pd.DataFrame, name: str) -> pd.Series:
    values = scores["inputs"].to_numpy(dtype=object)
    return pd.Series([d.get(name) if isinstance(d, dict) else None for d in values.tolist()],
                     index=scores.index, dtype="float64")  # fmt: skip


def compute_score_sentences(scores: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Per ranked row: `why` (text up to the objective weight), `serves` (the objective when its
    weight is not 1, else None) and `then` (what follows the objective's name). Unscored rows get
    "Not ranked yet: " + the missing inputs. Columns of `compute_scores` are read, not changed."""
    model = config.prioritisation.model
    f = {name: format_amounts(_inputs(scores, name)) for name in
         ("reach", "impact", "effort", "business_value", "time_criticality", "risk_reduction")}  # fmt: skip
    raw = format_amounts(scores["raw_score"])
    if model == "rice":
        confidence = format_amounts(_inputs(scores, "confidence"), percent=True)
        body = ("reaches " + f["reach"] + " people × impact " + f["impact"] + " × " + confidence
                + " confidence ÷ effort " + f["effort"] + " = " + raw)  # fmt: skip
    elif model == "wsjf":
        value = _inputs(scores, "business_value") + _inputs(scores, "time_criticality") + _inputs(scores, "risk_reduction")
        body = ("business value " + f["business_value"] + " + time criticality " + f["time_criticality"]
                + " + risk reduction " + f["risk_reduction"] + " = " + format_amounts(value)
                + ", ÷ effort " + f["effort"] + " = " + raw)  # fmt: skip
    else:
        body = pd.Series("", index=scores.index, dtype=object)
        for i, (name, weight) in enumerate(config.prioritisation.weights.items()):
            term = f"{weight:g} × {name.replace('_', ' ')} " + format_amounts(_inputs(scores, name))
            body = body + ("" if i == 0 else " + ") + term
        body = body + " = " + raw
    ow: pd.Series = scores["objective_weight"].astype("float64")
    weighted = ow.ne(1.0) & scores["objective"].notna()
    why = "Ranked " + compute_ordinals(scores["rank"]) + ": " + body
    why = why.where(~weighted, why + ", × " + format_amounts(ow) + " because it serves ")
    why = why.where(weighted | ow.eq(1.0), why + ", × " + format_amounts(ow) + " (objective weight)")
    then = pd.Series(" = " + format_amounts(scores["score"]) + ".", index=scores.index, dtype=object)
    then = then.where(weighted, ".")
    scored = scores["score"].notna()
    missing = scores["missing"].str.join(", ")
    why = why.where(scored, "Not ranked yet: needs " + missing + ".")
    serves = scores["objective"].to_numpy(dtype=object, copy=True)
    serves[~(weighted & scored).to_numpy(dtype=bool)] = None
    return pd.DataFrame({
        "why": why.astype(object),
        "serves": pd.Series(serves, index=scores.index, dtype="object"),
        "then": then.where(scored, "").astype(object),
    }, index=scores.index)  # fmt: skip


def compute_target_ends(targets: pd.Series) -> pd.Series:
    """The instant each target quarter ends (UTC, the first moment of the next quarter); NaT
    for an empty target or one that is not a quarter."""
    codes, uniques = pd.factorize(targets, use_na_sentinel=True)
    ends: list[pd.Timestamp | None] = []
    for value in uniques.tolist():
        m = _QUARTER.match(str(value))
        if m is None:
            ends.append(None)
            continue
        year, quarter = int(m.group(1) or m.group(4)), int(m.group(2) or m.group(3))
        ends.append((pd.Period(year=year, quarter=quarter, freq="Q") + 1).start_time.tz_localize("UTC"))
    table = pd.Series([*ends, None], dtype="datetime64[ns, UTC]").to_numpy()
    return pd.Series(table[codes], index=targets.index, dtype="datetime64[ns, UTC]")
