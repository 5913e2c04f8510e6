"""The golden thread, measured (docs/metrics.md "Goals, KPIs and surveys"); pure and vectorised.

- KPI actual = its latest reading dated at or before as_of. progress = (actual - baseline) /
  (target - baseline), so a KPI going down (approval time 5 -> 2 days) and one going up
  (self-service share 20% -> 60%) read the same way; expected = the share of the time from the
  baseline date to the target date that has passed at as_of, clipped to [0, 1]. Status:
  achieved (progress >= 1), on_track (progress >= expected - 0.1), at_risk, or no_data (no
  reading at or before as_of). Comparisons allow 1e-9 for float rounding.
- A reading dated D counts from D 00:00 UTC; survey answers likewise. NPS = 100 x (answers 9-10
  minus answers 0-6) / answers, per objective over the 90 days up to as_of (dates after
  as_of - 90 days) and per calendar month; null without answers, the count always given.
- Adoption and satisfaction: means over the objective's done issues (adoption > 1 is a percent).
- Objectives, KPIs and survey objectives match case-insensitively; a page or JSON shows the
  spelling of `goals:` (else the first spelling seen). Objectives that no goal lists (named by
  issues or survey answers) are kept under goal None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.outcomes import KpiReading, SurveyAnswer
from goldenthread.reports.format import number_or_none
from goldenthread.reports.frames import Frames, as_stamps, normalise_percent, to_utc
from goldenthread.reports.metrics import compute_breakdown
from goldenthread.reports.months import previous_month
from goldenthread.reports.tables import DT

STATUSES: tuple[str, ...] = ("achieved", "on_track", "at_risk", "no_data")
ON_TRACK_SLACK = 0.1
NPS_WINDOW_DAYS = 90
_EPS = 1e-9
_DAY = pd.Timedelta(days=1)

KPI_COLUMNS: tuple[str, ...] = (
    "goal", "objective", "kpi", "unit", "baseline_value", "baseline_date", "target_value",
    "target_date", "direction", "actual", "actual_date", "progress", "expected", "status", "owner",
)  # fmt: skip
OBJECTIVE_COLUMNS: tuple[str, ...] = (
    "goal", "objective", "configured", "weight", "owner", "nps_score", "nps_answers",
    "adoption_mean", "satisfaction_mean", "open", "done", "lead_time_p50", "sla_compliance",
)  # fmt: skip


@dataclass(frozen=True)
class OutcomeTables:
    """What the store holds from `outcomes.measurements` and `outcomes.surveys`.
    `readings`: kpi (str), date (datetime64 UTC, midnight), value (float64).
    `answers`: date (datetime64 UTC, midnight), score (int64, 0-10), objective (str)."""

    readings: pd.DataFrame
    answers: pd.DataFrame

    @classmethod
    def empty(cls) -> OutcomeTables:
        return build_outcome_tables_from_columns({}, {})


def _days(values: Any) -> pd.Series:
    out = pd.to_datetime(pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values,
                         utc=True)
    return out.astype(DT)


def build_outcome_tables_from_columns(
    readings: dict[str, Any], answers: dict[str, Any]
) -> OutcomeTables:
    """Tables from plain columns (lists or arrays; dates as date, datetime or ISO text)."""
    r = pd.DataFrame({
        "kpi": pd.Series(readings.get("kpi", []), dtype=object).astype("str"),
        "date": _days(readings.get("date", [])),
        "value": pd.Series(readings.get("value", []), dtype="float64"),
    })  # fmt: skip
    a = pd.DataFrame({
        "date": _days(answers.get("date", [])),
        "score": pd.Series(answers.get("score", []), dtype="int64"),
        "objective": pd.Series(answers.get("objective", []), dtype=object).astype("str"),
    })  # fmt: skip
    return OutcomeTables(r, a)


def build_outcome_tables(readings: Iterable[KpiReading], answers: Iterable[SurveyAnswer]) -> OutcomeTables:
    rs, ans = list(readings), list(answers)
    return build_outcome_tables_from_columns(
        {"kpi": [r.kpi for r in rs], "date": [r.date.isoformat() for r in rs], "value": [r.value for r in rs]},
        {"date": [a.date.isoformat() for a in ans], "score": [a.score for a in ans],
         "objective": [a.objective for a in ans]},
    )  # fmt: skip


@dataclass(frozen=True)
class Goals:
    """`kpis`: one row per configured KPI, config order (KPI_COLUMNS). `objectives`: one row per
    objective, configured ones in config order, then the others by name (OBJECTIVE_COLUMNS;
    goal None for those). `nps_monthly`: objective (None = every answer), month ("YYYY-MM"),
    answers, score; every month from the first answer to the as-of month. `readings`: the
    readings of configured KPIs at or before as_of (kpi as configured, date, value), by date."""

    goal_names: tuple[str, ...]  # configured goals, config order
    kpis: pd.DataFrame
    objectives: pd.DataFrame
    nps_monthly: pd.DataFrame
    readings: pd.DataFrame


def compute_canonical_codes(values: pd.Series, config: Config) -> tuple[np.ndarray, list[str]]:
    """(code per row, -1 for a missing objective; the names the codes index): each objective as
    spelled under `goals:` when it matches one case-insensitively, else as first given. Only the
    distinct values are looked at, never each row."""
    configured = {o.name.casefold(): o.name for g in config.goals for o in g.objectives}
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    first: dict[str, str] = {}
    for u in uniques:
        first.setdefault(str(u).casefold(), str(u))
    spelled = [configured.get(str(u).casefold()) or first[str(u).casefold()] for u in uniques]
    merged, names = pd.factorize(np.array(spelled, dtype=object))  # case variants become one
    table = np.append(merged, -1).astype("int64")
    return table[codes], [str(n) for n in names]


def compute_canonical_objectives(values: pd.Series, config: Config) -> pd.Series:
    """Each objective as spelled under `goals:` (see `compute_canonical_codes`); NaN -> None."""
    codes, names = compute_canonical_codes(values, config)
    out = np.array([*names, None], dtype=object)[codes]
    return pd.Series(out, index=values.index, dtype=object)


def _kpi_definitions(config: Config) -> pd.DataFrame:
    rows: dict[str, list[Any]] = {c: [] for c in KPI_COLUMNS[:9]}
    rows["owner"] = []
    seen: set[str] = set()
    for goal in config.goals:
        for objective in goal.objectives:
            for kpi in objective.kpis:
                if kpi.name.casefold() in seen:
                    continue  # `check` reports the duplicate; the first definition counts
                seen.add(kpi.name.casefold())
                for col, value in (
                    ("goal", goal.name), ("objective", objective.name), ("kpi", kpi.name),
                    ("unit", kpi.unit), ("baseline_value", kpi.baseline.value),
                    ("baseline_date", kpi.baseline.date.isoformat()), ("target_value", kpi.target.value),
                    ("target_date", kpi.target.date.isoformat()),
                    ("direction", "down" if kpi.target.value < kpi.baseline.value else "up"),
                    ("owner", objective.owner),
                ):  # fmt: skip
                    rows[col].append(value)
    df = pd.DataFrame(rows, dtype=object)
    df["baseline_date"] = _days(df["baseline_date"])
    df["target_date"] = _days(df["target_date"])
    for col in ("baseline_value", "target_value"):
        df[col] = df[col].astype("float64")
    return df


def compute_kpis(config: Config, readings: pd.DataFrame, as_of: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(KPI table at as_of, the configured KPIs' readings at or before as_of, by date). KPI
    names are matched per distinct name; the latest reading of each KPI is found by one sort of
    (KPI, date, row), so of two readings of a day the later row wins."""
    stamp = to_utc(as_of)
    defs = _kpi_definitions(config)
    lookup = {str(name).casefold(): i for i, name in enumerate(defs["kpi"])}
    keep = readings["date"].le(stamp).to_numpy()
    codes, uniques = pd.factorize(readings["kpi"])
    table = np.array([*(lookup.get(str(u).casefold(), -1) for u in uniques), -1], dtype="int64")
    rows = np.flatnonzero(keep & (table[codes] >= 0))
    pos = table[codes][rows]
    day = readings["date"].array.asi8[rows]
    order = np.lexsort((rows, day, pos))
    rows, pos, day = rows[order], pos[order], day[order]
    last = np.flatnonzero(np.append(pos[1:] != pos[:-1], True)) if len(pos) else np.array([], "int64")
    values = readings["value"].to_numpy(dtype="float64")
    actual = np.full(len(defs), np.nan)
    actual_day = np.full(len(defs), np.iinfo("int64").min, dtype="int64")  # NaT
    actual[pos[last]] = values[rows[last]]
    actual_day[pos[last]] = day[last]
    out = defs.assign(actual=actual, actual_date=as_stamps(actual_day))
    span = (out["target_value"] - out["baseline_value"]).to_numpy()
    out["progress"] = (out["actual"] - out["baseline_value"]).to_numpy() / span
    elapsed = ((stamp - out["baseline_date"]) / (out["target_date"] - out["baseline_date"]))
    out["expected"] = elapsed.astype("float64").clip(0.0, 1.0)
    progress = out["progress"].to_numpy()
    with np.errstate(invalid="ignore"):
        out["status"] = np.select(
            [np.isnan(progress), progress >= 1 - _EPS,
             progress >= out["expected"].to_numpy() - ON_TRACK_SLACK - _EPS],
            ["no_data", "achieved", "on_track"], default="at_risk",
        ).astype(object)  # fmt: skip
    by_date = np.argsort(day, kind="stable")  # the charts' series, by date
    seen = pd.DataFrame({
        "kpi": defs["kpi"].to_numpy(dtype=object)[pos[by_date]],
        "date": as_stamps(day[by_date]),
        "value": values[rows[by_date]],
    })  # fmt: skip
    return out.loc[:, list(KPI_COLUMNS)], seen


def _nps_scores(counts: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(answers, NPS) from (answers, promoters, detractors) counts; NaN where no answers."""
    answers, promoters, detractors = counts
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(answers > 0, 100.0 * (promoters - detractors) / answers, np.nan)
    return answers.astype("int64"), score


def compute_nps(
    answers: pd.DataFrame, config: Config, as_of: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per objective over the last 90 days: objective, answers, score, by objective; per
    month: objective (None = all objectives, last), month, answers, score for every month from
    the first answer to the as-of month, zero months included with score NaN). Counted by
    bincounts over integer objective and month codes."""
    stamp = to_utc(as_of)
    a = answers.loc[answers["date"].le(stamp).to_numpy()]
    obj, names = compute_canonical_codes(a["objective"], config)
    n = len(names)
    score = a["score"].to_numpy(dtype="int64")
    weights = ((score >= 9).astype("float64"), (score <= 6).astype("float64"))

    def count(index: np.ndarray, size: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i = index[mask]
        return (np.bincount(i, minlength=size).astype("float64"),
                np.bincount(i, weights[0][mask], minlength=size), np.bincount(i, weights[1][mask], minlength=size))

    named = obj >= 0
    recent = a["date"].gt(stamp - NPS_WINDOW_DAYS * _DAY).to_numpy() & named
    w_answers, w_score = _nps_scores(count(obj, n, recent))
    by_name = np.argsort(np.array(names, dtype=object), kind="stable").astype("int64")
    window = pd.DataFrame({"objective": pd.Series(names, dtype=object), "answers": w_answers,
                           "score": w_score}).iloc[by_name]  # fmt: skip
    window = window.loc[window["answers"].gt(0)].reset_index(drop=True)
    if a.empty:
        return window, pd.DataFrame({"objective": pd.Series(dtype=object), "month": pd.Series(dtype=object),
                                     "answers": pd.Series(dtype="int64"), "score": pd.Series(dtype="float64")})
    dates = a["date"].dt
    month = (dates.year.to_numpy() * 12 + dates.month.to_numpy() - 1).astype("int64")
    first, last = int(month.min()), stamp.year * 12 + stamp.month - 1
    months = last - first + 1
    labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]
    offset = month - first
    p_answers, p_score = _nps_scores(count(obj * months + offset, n * months, named))
    o_answers, o_score = _nps_scores(count(offset, months, np.ones(len(a), dtype=bool)))
    rows = (by_name[:, None] * months + np.arange(months)).reshape(-1)  # objectives by name
    monthly = pd.DataFrame({
        "objective": pd.Series([*(names[i] for i in by_name for _ in range(months)), *([None] * months)],
                               dtype=object),
        "month": pd.Series(labels * n + labels, dtype=object),
        "answers": np.concatenate([p_answers[rows], o_answers]),
        "score": np.concatenate([p_score[rows], o_score]),
    })  # fmt: skip
    return window, monthly


def _objective_rows(config: Config, others: Iterable[str]) -> pd.DataFrame:
    """goal, objective, configured, weight, owner: configured objectives in config order (the
    first of a name counts), then the `others` no goal lists, by name."""
    weights = config.objective_weights()
    rows: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for goal in config.goals:
        for spec in goal.objectives:
            if spec.name.casefold() not in seen:
                seen.add(spec.name.casefold())
                rows.append((goal.name, spec.name, True, weights.get(spec.name.casefold(), 1.0), spec.owner))
    for name in sorted({o for o in others if o.casefold() not in seen}):
        rows.append((None, name, False, weights.get(name.casefold(), 1.0), None))
    out = pd.DataFrame(rows, columns=["goal", "objective", "configured", "weight", "owner"], dtype=object)
    return out.astype({"weight": "float64", "configured": bool})


def compute_goals(
    frames: Frames, config: Config, as_of: datetime, tables: OutcomeTables | None = None,
    by_objective: pd.DataFrame | None = None,
) -> Goals:
    """Every goal figure at as_of (see the module docstring). `by_objective`: the report's
    `compute_breakdown(frames, "objective")`, reused when every objective is already spelled
    as configured."""
    tables = tables or OutcomeTables.empty()
    kpis, readings = compute_kpis(config, tables.readings, as_of)
    window, monthly = compute_nps(tables.answers, config, as_of)

    df = frames.issues
    codes, names = compute_canonical_codes(df["objective"], config)
    # the report's breakdown groups by the raw value: reusable unless some value was respelled
    # (a case variant, or not the spelling of goals:)
    respelled = {str(v) for v in pd.unique(df["objective"].dropna())} != set(names)
    if by_objective is None or respelled:
        canonical = pd.Series(np.array([*names, None], dtype=object)[codes], index=df.index, dtype=object)
        issues = df.assign(objective=canonical)
        by_objective = compute_breakdown(Frames(issues, frames.changes, frames.as_of), "objective")
    breakdown = by_objective.set_index("group")
    stage = df["stage"].astype(object).to_numpy()
    live = (stage != "discarded") & (codes >= 0)
    done = np.flatnonzero(live & (stage == "done"))
    # means over each objective's done issues: sums and counts by bincount over the codes
    means: dict[str, np.ndarray] = {}
    for name, values in (("adoption", normalise_percent(df["adoption"])), ("satisfaction", df["satisfaction"])):
        v = values.to_numpy(dtype="float64")[done]
        has = ~np.isnan(v)
        total = np.bincount(codes[done][has], v[has], minlength=len(names))
        count = np.bincount(codes[done][has], minlength=len(names))
        with np.errstate(invalid="ignore", divide="ignore"):
            means[name] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    mean_of = pd.DataFrame(means, index=pd.Index(names, dtype=object))

    seen = [names[c] for c in np.unique(codes[live])]
    out = _objective_rows(config, [*seen, *window["objective"], *monthly["objective"].dropna()])
    listed = out["objective"]
    nps = window.set_index("objective")
    out["nps_answers"] = nps["answers"].reindex(listed).fillna(0).astype("int64").to_numpy()
    out["nps_score"] = nps["score"].reindex(listed).to_numpy(dtype="float64")
    out["adoption_mean"] = mean_of["adoption"].reindex(listed).to_numpy(dtype="float64")
    out["satisfaction_mean"] = mean_of["satisfaction"].reindex(listed).to_numpy(dtype="float64")
    for col in ("open", "done"):
        out[col] = breakdown[col].reindex(listed).fillna(0).astype("int64").to_numpy()
    for col in ("lead_time_p50", "sla_compliance"):
        out[col] = breakdown[col].reindex(listed).to_numpy(dtype="float64")
    return Goals(goal_names=tuple(g.name for g in config.goals), kpis=kpis,
                 objectives=out.loc[:, list(OBJECTIVE_COLUMNS)], nps_monthly=monthly, readings=readings)


def compute_goal_month(
    frames: Frames, lead: pd.DataFrame, goals: Goals, config: Config, month: str,
    at: datetime, previous_at: datetime,
) -> dict[str, dict[str, Any]]:
    """The monthly report's goal figures for `month` and the month before: {"current",
    "previous"}, each {kpi_status: {status: count} at `at` / `previous_at`, nps and nps_answers
    of the answers dated in the month (every objective), adoption_mean over the items shipped in
    the month, cycle_time_p50 of those items}."""
    previous = previous_month(month)
    issues = frames.issues
    overall = goals.nps_monthly.loc[goals.nps_monthly["objective"].isna()].set_index("month")

    def side(label: str, when: datetime) -> dict[str, Any]:
        kpis, _ = compute_kpis(config, goals.readings, when)
        counts = kpis["status"].value_counts()
        shipped = issues.loc[issues["stage"].eq("done").to_numpy() & issues["completed_month"].eq(label).to_numpy()]
        cycle = lead.loc[lead["completed_month"].eq(label).to_numpy(), "cycle_time_days"].dropna()
        return {
            "kpi_status": {status: int(counts.get(status, 0)) for status in STATUSES},
            "nps": number_or_none(overall["score"].get(label)) if label in overall.index else None,
            "nps_answers": int(overall["answers"].get(label, 0)) if label in overall.index else 0,
            "adoption_mean": number_or_none(normalise_percent(shipped["adoption"]).mean()),
            "cycle_time_p50": number_or_none(cycle.quantile(0.5)) if len(cycle) else None,
        }

    return {"current": side(month, at), "previous": side(previous, previous_at)}
