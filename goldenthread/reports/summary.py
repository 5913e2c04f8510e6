"""Everything a run needs, computed once: `compute_all` -> `Report`; `build_metrics_summary` ->
the JSON object of `goldenthread metrics --format json` (the README's keys plus extra ones;
its `goals` block is `build_goals_summary`, of the figures `goals.compute_goals` computes).

Publishing builds its pages from a `Report` without recomputing:
- Roadmap: `report.scores` (open issues in ranking order; `lane`, `objective`, `explanation`),
  group by `objective`, split by `lane`.
- What's new: `report.outcomes.lead_times` (completed issues, newest first, `completed_month`).
- Monthly report: `report.outcomes.current_month` (as-of month vs previous), `.monthly`
  (per-month completed / lead time p50/p85 / SLA), `.throughput`, `.wip`, charts. For the report
  of month M, call `compute_all` with `as_of` at the end of M.
- Decisions needed: `report.decisions` (unscored open items and open items past their SLA).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import STAGES, Issue, StatusCategory, StatusChange
from goldenthread.reports.frames import Frames, build_frames, to_utc
from goldenthread.reports.goals import Goals, OutcomeTables, compute_goals
from goldenthread.reports.metrics import (
    MonthComparison,
    SlaResult,
    compute_breakdown,
    compute_lead_times,
    compute_month_comparison,
    compute_monthly_outcomes,
    compute_open_past_sla,
    compute_outcome_fields,
    compute_percentiles,
    compute_sla,
    compute_throughput,
    compute_wip,
)
from goldenthread.reports.format import format_numbers, number_or_none
from goldenthread.reports.months import month_of, previous_month
from goldenthread.reports.scoring import CLASSES, compute_scores
from goldenthread.reports.stakeholders import StakeholderWork, compute_stakeholder_work

@dataclass(frozen=True)
class Outcomes:
    """Outcome tables (columns documented on the compute_* function named in each comment)."""

    lead_times: pd.DataFrame  # compute_lead_times: completed issues, newest first
    lead_time_stats: dict[str, Any]  # compute_percentiles: {count, p50, p85, p95}
    cycle_time_stats: dict[str, Any]
    throughput: pd.DataFrame  # compute_throughput: month, month_start, completed
    monthly: pd.DataFrame  # compute_monthly_outcomes
    current_month: MonthComparison  # compute_month_comparison: the as-of month (so far) vs before
    previous_month: MonthComparison  # compute_month_comparison: the last complete month vs before
    wip: pd.DataFrame  # compute_wip: oldest first, age_days
    sla: SlaResult  # overall + by_issue_type
    open_past_sla: pd.DataFrame  # compute_open_past_sla
    by_objective: pd.DataFrame  # compute_breakdown(..., "objective")
    by_team: pd.DataFrame
    by_stakeholder: pd.DataFrame
    outcome_fields: dict[str, Any]  # compute_outcome_fields: adoption / satisfaction


@dataclass(frozen=True)
class Report:
    """One run's numbers."""

    as_of: pd.Timestamp
    frames: Frames
    scores: pd.DataFrame  # compute_scores: open issues in ranking order with provenance
    outcomes: Outcomes
    summary: dict[str, Any]
    goals: Goals  # reports.goals: KPIs, NPS and work per objective, at as_of
    stakeholder_work: StakeholderWork  # what each stakeholder got: JSON counts, report lists

    @cached_property
    def decisions(self) -> pd.DataFrame:
        """`compute_decisions`: key, summary, url, objective, stage, kind (unscored|past_sla),
        reason. Computed when first read: the pages list them, `metrics` only counts them."""
        return compute_decisions(self.scores, self.outcomes.open_past_sla)


def compute_outcomes(frames: Frames, config: Config, as_of: datetime) -> Outcomes:
    """Every outcome metric over `frames` at `as_of`."""
    stamp = to_utc(as_of)
    month = month_of(stamp)
    lead = compute_lead_times(frames)
    return Outcomes(
        lead_times=lead,
        lead_time_stats=compute_percentiles(lead["lead_time_days"]),
        cycle_time_stats=compute_percentiles(lead["cycle_time_days"]),
        throughput=compute_throughput(frames, stamp, lead),
        monthly=compute_monthly_outcomes(frames, stamp, lead),
        current_month=compute_month_comparison(frames, month, lead),
        # the last complete calendar month before the as-of month
        previous_month=compute_month_comparison(frames, previous_month(month), lead),
        wip=compute_wip(frames, stamp),
        sla=compute_sla(frames, config, lead),
        open_past_sla=compute_open_past_sla(frames, stamp),
        by_objective=compute_breakdown(frames, "objective"),
        by_team=compute_breakdown(frames, "team"),
        by_stakeholder=compute_breakdown(frames, "stakeholder"),
        outcome_fields=compute_outcome_fields(frames, config),
    )


def compute_decisions(scores: pd.DataFrame, open_past_sla: pd.DataFrame) -> pd.DataFrame:
    """Decisions needed: open issues that need scoring, then open issues past their SLA."""
    unscored = scores.loc[scores["needs_scoring"]]
    a = pd.DataFrame({
        "key": unscored["key"], "summary": unscored["summary"], "url": unscored["url"],
        "objective": unscored["objective"], "stage": unscored["stage"],
        "kind": "unscored", "reason": unscored["explanation"],
    })  # fmt: skip
    late = open_past_sla.merge(scores[["key", "url"]], on="key", how="left")
    reason = ("open " + format_numbers(late["age_days"].round(1)) + " days, SLA "
              + format_numbers(late["sla_days"]) + " days")  # fmt: skip
    b = pd.DataFrame({
        "key": late["key"], "summary": late["summary"], "url": late["url"],
        "objective": late["objective"], "stage": late["stage"].astype("str"),
        "kind": "past_sla", "reason": reason,
    })  # fmt: skip
    return pd.concat([a, b], ignore_index=True)


def compute_class_summary(scores: pd.DataFrame, config: Config) -> dict[str, Any]:
    """The value/effort matrix of the open items: {high_value_min (the threshold used, null when
    nothing is scored), threshold_from ("config" | "median"), scored (open scored items),
    quick_win_max_effort, counts {quick_win, strategic, fill_in, reconsider}}."""
    prio = config.prioritisation
    threshold = float(scores["value_threshold"].iloc[0]) if len(scores) else None
    counts = scores["class"].value_counts()
    return {
        "high_value_min": number_or_none(threshold),
        "threshold_from": "config" if prio.high_value_min is not None else "median",
        "scored": int(scores["score"].notna().sum()),
        "quick_win_max_effort": float(prio.quick_win_max_effort),
        "counts": {k: int(counts.get(k, 0)) for k in CLASSES},
    }


def format_as_of(stamp: pd.Timestamp) -> str:
    """ISO 8601 UTC, with microseconds only when there are any: a month's report is as of its
    last microsecond, and `--as-of` with this text must give the same snapshot."""
    fraction = f".{stamp.microsecond:06d}" if stamp.microsecond else ""
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def json_records(df: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: NaN/NaT -> None, numpy scalars -> Python, timestamps -> ISO."""
    names = list(columns)
    lists: list[list[Any]] = []
    for col in names:
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        values = s.to_numpy(dtype=object, copy=True)  # numpy scalars become Python ones
        values[s.isna().to_numpy()] = None
        lists.append(values.tolist())
    # column-wise conversion above; only the final dict assembly is per row
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


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
            "baseline": {"value": number_or_none(k["baseline_value"]), "date": _day(k["baseline_date"])},
            "target": {"value": number_or_none(k["target_value"]), "date": _day(k["target_date"])},
            "actual": number_or_none(k["actual"]), "actual_date": _day(k["actual_date"]),
            "progress": number_or_none(k["progress"]), "expected": number_or_none(k["expected"]),
            "status": k["status"],
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
            "name": o["objective"], "weight": number_or_none(o["weight"]),
            "owner": None if o["owner"] is None or pd.isna(o["owner"]) else str(o["owner"]),
            "kpis": kpis_of.get(str(o["objective"]), []) if o["configured"] else [],
            "nps": {"score": number_or_none(o["nps_score"]), "answers": int(o["nps_answers"])},
            "adoption_mean": number_or_none(o["adoption_mean"]),
            "satisfaction_mean": number_or_none(o["satisfaction_mean"]),
            "open": int(o["open"]), "done": int(o["done"]),
            "lead_time_p50": number_or_none(o["lead_time_p50"]),
            "sla_compliance": number_or_none(o["sla_compliance"]),
        })  # fmt: skip
    return out


def build_stakeholder_counts(by_stakeholder: pd.DataFrame, work: StakeholderWork) -> pd.DataFrame:
    """id, open, done (the stakeholder breakdown) and delivered, now, next (`work`), by id."""
    counts = work.compute_counts()
    table = by_stakeholder.rename(columns={"group": "id"})[["id", "open", "done"]]
    table = table.merge(counts, on="id", how="left")  # every item of `work` is non-discarded
    for name in counts.columns[1:]:
        table[name] = table[name].fillna(0).astype("int64")
    return table.sort_values("id", kind="stable").reset_index(drop=True)


def build_metrics_summary(
    frames: Frames, scores: pd.DataFrame, outcomes: Outcomes, config: Config, as_of: datetime,
    work: StakeholderWork | None = None,
) -> dict[str, Any]:
    """The `goldenthread metrics --format json` object (JSON-safe, no NaN). Keys: see README.
    `work`: `compute_stakeholder_work` of these scores at as_of (computed when not given)."""
    stamp = to_utc(as_of)
    stage = frames.issues["stage"].astype("str")
    counts = stage.value_counts()
    if work is None:
        work = compute_stakeholder_work(scores, outcomes.lead_times, month_of(stamp))
    by_stake = build_stakeholder_counts(outcomes.by_stakeholder, work)
    sla_types = outcomes.sla.by_issue_type
    breakdown_cols = ["group", "issues", "open", "done", "completed", "lead_time_p50",
                      "lead_time_p85", "sla_compliance", "adoption_mean", "satisfaction_mean"]
    return {
        "as_of": format_as_of(stamp),
        "backlog": {
            "total": int(len(stage)),
            **{s: int(counts.get(s, 0)) for s in STAGES},
            "unscored": int(scores["needs_scoring"].sum()),
        },
        "lead_time_days": outcomes.lead_time_stats,
        "cycle_time_days": outcomes.cycle_time_stats,
        "throughput": dict(zip(outcomes.throughput["month"].tolist(),
                               outcomes.throughput["completed"].astype(int).tolist(),
                               strict=True)),  # fmt: skip
        "sla_compliance": number_or_none(outcomes.sla.overall),
        "ranking": json_records(
            scores, ["key", "score", "lane", "class", "objective", "rank", "value", "explanation"]
        ),
        "classes": compute_class_summary(scores, config),
        "stakeholders": json_records(by_stake, ["id", "open", "done", "delivered", "now", "next"]),
        "model": config.prioritisation.model,
        "wip": {
            "count": int(len(outcomes.wip)),
            "items": json_records(outcomes.wip, ["key", "age_days"]),
        },
        "sla_by_issue_type": json_records(
            sla_types, ["issue_type", "sla_days", "completed", "within_sla", "compliance"]
        ),
        "by_objective": json_records(outcomes.by_objective, breakdown_cols),
        "by_team": json_records(outcomes.by_team, breakdown_cols),
        "previous_month": outcomes.previous_month,
        "current_month": outcomes.current_month,
        "outcomes": outcomes.outcome_fields,
        "decisions_needed": {
            "unscored": int(scores["needs_scoring"].sum()),
            "past_sla": int(len(outcomes.open_past_sla)),
        },
    }


def compute_all(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
    outcome_tables: OutcomeTables | None = None,
) -> Report:
    """Frames, ranking, every outcome metric and the summary dict, computed once.
    `outcome_tables`: the stored KPI readings and survey answers (none when not given)."""
    frames = build_frames(issues, changes, statuses, config, as_of)
    return compute_report(frames, config, as_of, outcome_tables)


def compute_report(
    frames: Frames, config: Config, as_of: datetime, outcome_tables: OutcomeTables | None = None
) -> Report:
    """`compute_all` from frames already built (e.g. from a store's tables with
    `build_frames_from_tables`)."""
    scores = compute_scores(frames, config)
    outcomes = compute_outcomes(frames, config, as_of)
    goals = compute_goals(frames, config, as_of, outcome_tables, outcomes.by_objective)
    work = compute_stakeholder_work(scores, outcomes.lead_times, month_of(to_utc(as_of)))
    summary = build_metrics_summary(frames, scores, outcomes, config, as_of, work)
    summary["goals"] = build_goals_summary(goals)
    return Report(
        as_of=frames.as_of,
        frames=frames,
        scores=scores,
        outcomes=outcomes,
        summary=summary,
        goals=goals,
        stakeholder_work=work,
    )
