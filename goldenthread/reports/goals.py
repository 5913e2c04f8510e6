"""The golden thread, measured (DESIGN.md "Goals, KPIs and surveys"); pure and vectorised.

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
from goldenthread.reports.frames import Frames, to_utc
from goldenthread.reports.metrics import _percent_share, compute_breakdown
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


def compute_canonical_objectives(values: pd.Series, config: Config) -> pd.Series:
    """Each objective as spelled under `goals:` when it matches one case-insensitively, else
    as given (NaN stays NaN); computed over the distinct values, not per row."""
    configured = {o.name.casefold(): o.name for g in config.goals for o in g.objectives}
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = [configured.get(str(u).casefold(), str(u)) for u in uniques]
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
    """(KPI table at as_of, the configured KPIs' readings at or before as_of by date)."""
    stamp = to_utc(as_of)
    defs = _kpi_definitions(config)
    lookup = {str(name).casefold(): name for name in defs["kpi"]}
    r = readings.loc[readings["date"].le(stamp).to_numpy()]
    codes, uniques = pd.factorize(r["kpi"])
    names = np.array([*(lookup.get(str(u).casefold()) for u in uniques), None], dtype=object)
    kpi = names[codes] if len(r) else np.array([], dtype=object)
    known = pd.notna(kpi)
    seen = pd.DataFrame({"kpi": kpi[known], "date": r["date"].to_numpy()[known],
                         "value": r["value"].to_numpy()[known]})  # fmt: skip
    seen["date"] = seen["date"].astype(DT)
    seen = seen.sort_values(["date", "kpi"], kind="stable").reset_index(drop=True)
    latest = seen.drop_duplicates("kpi", keep="last").set_index("kpi")
    out = defs.assign(
        actual=latest["value"].reindex(defs["kpi"]).to_numpy(dtype="float64"),
        actual_date=latest["date"].reindex(defs["kpi"]).array,
    )
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
    return out.loc[:, list(KPI_COLUMNS)], seen


def _nps(answers: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """answers, score per group of `answers` (rows: objective, score, and the `by` columns)."""
    score = answers["score"].to_numpy()
    parts = answers.loc[:, by].assign(
        answers=1, promoters=(score >= 9).astype("int64"), detractors=(score <= 6).astype("int64"))
    g = parts.groupby(by, sort=True, dropna=False)[["answers", "promoters", "detractors"]].sum()
    g["score"] = 100.0 * (g["promoters"] - g["detractors"]) / g["answers"]
    return g[["answers", "score"]].reset_index()


def compute_nps(
    answers: pd.DataFrame, config: Config, as_of: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per objective over the last 90 days: objective, answers, score; per month: objective
    (None = all objectives), month, answers, score for every month from the first answer to
    the as-of month, zero months included with score NaN)."""
    stamp = to_utc(as_of)
    a = answers.loc[answers["date"].le(stamp).to_numpy()]
    a = a.assign(objective=compute_canonical_objectives(a["objective"], config))
    recent = a.loc[a["date"].gt(stamp - NPS_WINDOW_DAYS * _DAY).to_numpy()]
    window = _nps(recent, ["objective"])
    if a.empty:
        return window, pd.DataFrame({"objective": pd.Series(dtype=object), "month": pd.Series(dtype=str),
                                     "answers": pd.Series(dtype="int64"), "score": pd.Series(dtype="float64")})
    period = a["date"].dt.tz_localize(None).dt.to_period("M")
    months = pd.period_range(period.min(), stamp.tz_localize(None).to_period("M"), freq="M")
    labels = pd.Index(months.strftime("%Y-%m").astype(object), name="month")
    a = a.assign(month=period.dt.strftime("%Y-%m").astype(object))
    # every (objective, month) pair, so a month without answers shows as such in the trend
    objectives = sorted(a["objective"].unique().tolist())
    full = pd.MultiIndex.from_product([objectives, labels], names=["objective", "month"])
    per = _nps(a, ["objective", "month"]).set_index(["objective", "month"]).reindex(full).reset_index()
    overall = _nps(a, ["month"]).set_index("month").reindex(labels).reset_index().assign(objective=None)
    monthly = pd.concat([per, overall], ignore_index=True)
    monthly["answers"] = monthly["answers"].fillna(0).astype("int64")
    monthly["month"] = monthly["month"].astype(str)
    return window, monthly.loc[:, ["objective", "month", "answers", "score"]]


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

    raw = frames.issues["objective"]
    canonical = compute_canonical_objectives(raw, config)
    issues = frames.issues.assign(objective=canonical)
    respelled = bool((canonical.notna() & canonical.ne(raw)).any())
    if by_objective is None or respelled:
        by_objective = compute_breakdown(Frames(issues, frames.changes, frames.as_of), "objective")
    breakdown = by_objective.set_index("group")
    live = issues["stage"].ne("discarded").to_numpy() & canonical.notna().to_numpy()
    done = issues.loc[live & issues["stage"].eq("done").to_numpy()]
    means = pd.DataFrame({"objective": done["objective"], "adoption": _percent_share(done["adoption"]),
                          "satisfaction": done["satisfaction"]}).groupby("objective").mean()  # fmt: skip

    seen = [str(o) for o in pd.unique(canonical[live])]
    out = _objective_rows(config, [*seen, *window["objective"], *monthly["objective"].dropna()])
    names = out["objective"]
    nps = window.set_index("objective")
    out["nps_answers"] = nps["answers"].reindex(names).fillna(0).astype("int64").to_numpy()
    out["nps_score"] = nps["score"].reindex(names).to_numpy(dtype="float64")
    out["adoption_mean"] = means["adoption"].reindex(names).to_numpy(dtype="float64")
    out["satisfaction_mean"] = means["satisfaction"].reindex(names).to_numpy(dtype="float64")
    for col in ("open", "done"):
        out[col] = breakdown[col].reindex(names).fillna(0).astype("int64").to_numpy()
    for col in ("lead_time_p50", "sla_compliance"):
        out[col] = breakdown[col].reindex(names).to_numpy(dtype="float64")
    return Goals(goal_names=tuple(g.name for g in config.goals), kpis=kpis,
                 objectives=out.loc[:, list(OBJECTIVE_COLUMNS)], nps_monthly=monthly, readings=readings)


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def build_goals_summary(goals: Goals) -> list[dict[str, Any]]:
    """The JSON `goals` block: [{name, objectives: [{name, weight, owner, kpis: [{name, unit,
    baseline, target, actual, actual_date, progress, expected, status}], nps {score, answers},
    adoption_mean, satisfaction_mean, open, done, lead_time_p50, sla_compliance}]}]; objectives
    no goal lists come last under a goal named null."""
    kpis_of: dict[str, list[dict[str, Any]]] = {}
    for k in goals.kpis.to_dict("records"):
        kpis_of.setdefault(str(k["objective"]), []).append({
            "name": k["kpi"], "unit": k["unit"],
            "baseline": {"value": _num(k["baseline_value"]), "date": _day(k["baseline_date"])},
            "target": {"value": _num(k["target_value"]), "date": _day(k["target_date"])},
            "actual": _num(k["actual"]), "actual_date": _day(k["actual_date"]),
            "progress": _num(k["progress"]), "expected": _num(k["expected"]), "status": k["status"],
        })  # fmt: skip
    out: list[dict[str, Any]] = []
    by_goal: dict[str | None, dict[str, Any]] = {}
    for name in goals.goal_names:
        if name not in by_goal:
            by_goal[name] = {"name": name, "objectives": []}
            out.append(by_goal[name])
    for o in goals.objectives.to_dict("records"):
        goal = None if o["goal"] is None or pd.isna(o["goal"]) else str(o["goal"])
        if goal not in by_goal:
            by_goal[goal] = {"name": goal, "objectives": []}
            out.append(by_goal[goal])
        by_goal[goal]["objectives"].append({
            "name": o["objective"], "weight": _num(o["weight"]),
            "owner": None if o["owner"] is None or pd.isna(o["owner"]) else str(o["owner"]),
            "kpis": kpis_of.get(str(o["objective"]), []) if o["configured"] else [],
            "nps": {"score": _num(o["nps_score"]), "answers": int(o["nps_answers"])},
            "adoption_mean": _num(o["adoption_mean"]), "satisfaction_mean": _num(o["satisfaction_mean"]),
            "open": int(o["open"]), "done": int(o["done"]),
            "lead_time_p50": _num(o["lead_time_p50"]), "sla_compliance": _num(o["sla_compliance"]),
        })  # fmt: skip
    return out


def compute_goal_month(
    frames: Frames, lead: pd.DataFrame, goals: Goals, config: Config, month: str,
    at: datetime, previous_at: datetime,
) -> dict[str, dict[str, Any]]:
    """The monthly report's goal figures for `month` and the month before: {"current",
    "previous"}, each {kpi_status: {status: count} at `at` / `previous_at`, nps and nps_answers
    of the answers dated in the month (every objective), adoption_mean over the items shipped in
    the month, cycle_time_p50 of those items}."""
    previous = (pd.Period(month, freq="M") - 1).strftime("%Y-%m")
    issues = frames.issues
    overall = goals.nps_monthly.loc[goals.nps_monthly["objective"].isna()].set_index("month")

    def side(label: str, when: datetime) -> dict[str, Any]:
        kpis, _ = compute_kpis(config, goals.readings, when)
        counts = kpis["status"].value_counts()
        shipped = issues.loc[issues["stage"].eq("done").to_numpy() & issues["completed_month"].eq(label).to_numpy()]
        cycle = lead.loc[lead["completed_month"].eq(label).to_numpy(), "cycle_time_days"].dropna()
        return {
            "kpi_status": {status: int(counts.get(status, 0)) for status in STATUSES},
            "nps": _num(overall["score"].get(label)) if label in overall.index else None,
            "nps_answers": int(overall["answers"].get(label, 0)) if label in overall.index else 0,
            "adoption_mean": _num(_percent_share(shipped["adoption"]).mean()),
            "cycle_time_p50": _num(cycle.quantile(0.5)) if len(cycle) else None,
        }

    return {"current": side(month, at), "previous": side(previous, previous_at)}
