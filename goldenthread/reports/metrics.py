"""Outcome metrics over `Frames` (docs/metrics.md); pure and vectorised.

Rules beyond the letter of the definitions, chosen so every number stays checkable:
- An issue in the done stage with no completion date (no history, no resolution date) counts as
  done (backlog, stakeholder `done`) but is in no lead-time, throughput or SLA figure: it has no
  date to place and no duration to compare.
- Every figure is over `Frames`, the backlog as it stood at as_of (`reports.snapshot`): nothing
  here filters by date again. Throughput covers the months from the first completion to the
  as-of month.
- WIP age falls back to `created` when an in-progress issue has no recorded move into an
  in_progress stage (created straight into it, or history not synced).
- Adoption (0-1, or percent when > 1) and satisfaction are averaged over non-discarded issues
  that carry a value; an unmapped field is reported as unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypedDict

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import OPEN_STAGES, STAGES
from goldenthread.reports.months import previous_month
from goldenthread.reports.frames import Frames, compute_sla_days, normalise_percent, to_utc
from goldenthread.reports.stakeholders import compute_stakeholder_rows
from goldenthread.reports.tables import DT

QUANTILES: dict[str, float] = {"p50": 0.5, "p85": 0.85, "p95": 0.95}
_QS = np.array(list(QUANTILES.values()))  # the quantile levels as pandas-stubs types them
_DAY = pd.Timedelta(days=1)

LEAD_TIME_COLUMNS: tuple[str, ...] = (
    "key", "project", "number", "summary", "url", "issue_type", "status", "objective", "team",
    "target", "stakeholder_ids", "created", "started_at", "completed_at", "completed_month",
    "lead_time_days", "cycle_time_days", "sla_days", "within_sla",
)  # fmt: skip
WIP_COLUMNS: tuple[str, ...] = (
    "key", "project", "number", "summary", "url", "issue_type", "status", "objective", "team",
    "stakeholder_ids", "created", "started_at", "age_days",
)  # fmt: skip
BREAKDOWN_COLUMNS: tuple[str, ...] = (
    "group", "issues", "todo", "in_progress", "done", "open", "completed", "lead_time_count",
    "lead_time_p50", "lead_time_p85", "lead_time_p95", "cycle_time_p50", "cycle_time_p85",
    "sla_compliance", "adoption_mean", "satisfaction_mean",
)  # fmt: skip
Dimension = Literal["objective", "team", "stakeholder"]
_OUTCOME_FIELDS = ("adoption", "satisfaction")


def compute_lead_times(frames: Frames) -> pd.DataFrame:
    """Completed issues with a completion date, newest first (ties in natural key order).

    Columns: key, project, number, summary, url, issue_type, status, objective, team, target,
    stakeholder_ids, created, started_at, completed_at, completed_month ("YYYY-MM" UTC),
    lead_time_days, cycle_time_days (NaN without started_at), sla_days, within_sla (bool).
    """
    df = frames.issues
    mask = (df["stage"].eq("done") & df["completed_at"].notna()).to_numpy()
    at = df["completed_at"].array.asi8[mask]
    # frames.issues is in natural key order, so a stable sort keeps ties in that order;
    # one take of just the needed columns instead of copying and re-sorting every column
    rows = np.flatnonzero(mask)[np.argsort(-at, kind="stable")]
    cols = df.columns.get_indexer(pd.Index(LEAD_TIME_COLUMNS[:-1]))  # all present: built by frames
    done = df.iloc[rows, cols].reset_index(drop=True)
    done["completed_month"] = done["completed_month"].astype(object)
    done["within_sla"] = done["lead_time_days"].le(done["sla_days"])
    return done


def compute_percentiles(values: pd.Series) -> dict[str, float | int | None]:
    """{count, p50, p85, p95} of the non-NaN values (pandas' linear quantile); empty -> nulls."""
    clean = values.dropna().astype("float64")
    out: dict[str, float | int | None] = {"count": int(clean.size)}
    if clean.empty:
        return out | {name: None for name in QUANTILES}
    qs = clean.quantile(list(QUANTILES.values()))
    return out | {name: float(v) for name, v in zip(QUANTILES, qs.to_numpy(), strict=True)}


def _grouped_percentiles(df: pd.DataFrame, by: str, value: str, prefix: str) -> pd.DataFrame:
    clean = df.loc[df[value].notna(), [by, value]]
    grouped = clean.groupby(by, dropna=False, observed=True)[value]
    out = grouped.quantile(_QS).unstack()
    out = out.reindex(columns=list(QUANTILES.values()))
    out.columns = [f"{prefix}_{name}" for name in QUANTILES]
    out[f"{prefix}_count"] = grouped.size()
    return out


def compute_throughput(
    frames: Frames, as_of: datetime | pd.Timestamp | None = None, lead: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Completions per calendar month (UTC), every month from the first completion to the as-of
    month, zero months included. Columns: month ("YYYY-MM"), month_start (UTC), completed (int).
    Empty when nothing was ever completed. `lead`: `compute_lead_times(frames)` if the caller
    already has it (every function taking `lead` reuses it rather than recomputing).
    """
    stamp = to_utc(as_of) if as_of is not None else frames.as_of
    done = compute_lead_times(frames) if lead is None else lead
    if done.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="str"),
                "month_start": pd.Series(dtype=DT),
                "completed": pd.Series(dtype="int64"),
            }
        )
    first = done["completed_at"].min().tz_localize(None).to_period("M")
    last = stamp.tz_localize(None).to_period("M")
    months = pd.period_range(first, max(first, last), freq="M")
    labels = months.strftime("%Y-%m")
    counts = done["completed_month"].value_counts().reindex(labels, fill_value=0)
    return pd.DataFrame(
        {
            "month": pd.Series(labels, dtype="str"),
            "month_start": months.to_timestamp().tz_localize("UTC").astype(DT),
            "completed": counts.to_numpy().astype("int64"),
        }
    )


def compute_monthly_outcomes(
    frames: Frames, as_of: datetime | pd.Timestamp | None = None, lead: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per throughput month: completed, lead_time_p50, lead_time_p85, sla_compliance (NaN for
    months without completions). Lead times of the issues completed in that month.
    """
    done = compute_lead_times(frames) if lead is None else lead
    months = compute_throughput(frames, as_of, done)
    stats = _grouped_percentiles(done, "completed_month", "lead_time_days", "lead_time")
    sla = done.groupby("completed_month")["within_sla"].mean().rename("sla_compliance")
    out = months.set_index("month").join(stats[["lead_time_p50", "lead_time_p85"]]).join(sla)
    return out.reset_index()[
        ["month", "month_start", "completed", "lead_time_p50", "lead_time_p85", "sla_compliance"]
    ]


class MonthSide(TypedDict):
    completed: int
    lead_time_p50: float | int | None
    lead_time_p85: float | int | None
    sla_compliance: float | None


class MonthComparison(TypedDict):
    month: str
    previous_month: str
    current: MonthSide
    previous: MonthSide


def compute_month_comparison(
    frames: Frames, month: str, lead: pd.DataFrame | None = None
) -> MonthComparison:
    """This month vs the previous one: {month, previous_month, current, previous}; each side is
    {completed, lead_time_p50, lead_time_p85, sla_compliance} (null when nothing completed).
    """
    done = compute_lead_times(frames) if lead is None else lead
    previous = previous_month(month)

    def side(label: str) -> MonthSide:
        rows = done.loc[done["completed_month"].eq(label)]
        pct = compute_percentiles(rows["lead_time_days"])
        return {
            "completed": int(len(rows)),
            "lead_time_p50": pct["p50"],
            "lead_time_p85": pct["p85"],
            "sla_compliance": float(rows["within_sla"].mean()) if len(rows) else None,
        }

    return {"month": month, "previous_month": previous, "current": side(month),
            "previous": side(previous)}  # fmt: skip


def compute_wip(frames: Frames, as_of: datetime | pd.Timestamp | None = None) -> pd.DataFrame:
    """Issues now in an in_progress stage, oldest first. Columns: see WIP_COLUMNS; age_days =
    as_of - started_at (falls back to created, see module docstring)."""
    stamp = to_utc(as_of) if as_of is not None else frames.as_of
    df = frames.issues
    wip = df.loc[df["stage"].eq("in_progress").to_numpy(), list(WIP_COLUMNS[:-1])]
    age: pd.Series[pd.Timedelta] = stamp - wip["started_at"].fillna(wip["created"])
    # never negative: started_at and created are at or before as_of in a snapshot; the clip
    # guards frames built at another as_of than the one asked for here
    wip["age_days"] = (age / _DAY).astype("float64").clip(lower=0.0)
    wip = wip.sort_values("age_days", ascending=False, kind="stable")  # ties: natural order
    return wip.loc[:, list(WIP_COLUMNS)].reset_index(drop=True)


@dataclass(frozen=True)
class SlaResult:
    """`overall`: share of completed issues within their SLA (None when none completed).
    `by_issue_type`: issue_type, sla_days, completed, within_sla, compliance — one row per issue
    type with a completion, by issue type name."""

    overall: float | None
    by_issue_type: pd.DataFrame


def compute_sla(frames: Frames, config: Config, lead: pd.DataFrame | None = None) -> SlaResult:
    """SLA compliance overall and per issue type (SLA: `outcomes.sla_days[type]`, else default)."""
    done = compute_lead_times(frames) if lead is None else lead
    done = done[["key", "issue_type", "lead_time_days"]]
    done = done.assign(sla_days=compute_sla_days(done["issue_type"], config))
    done = done.assign(within_sla=done["lead_time_days"].le(done["sla_days"]))
    by_type = (
        done.assign(issue_type=done["issue_type"].astype("str"))
        .groupby("issue_type")
        .agg(
            sla_days=("sla_days", "first"),
            completed=("key", "size"),
            within_sla=("within_sla", "sum"),
        )
        .reset_index()
        .sort_values("issue_type", kind="stable")
    )
    by_type["within_sla"] = by_type["within_sla"].astype("int64")
    by_type["compliance"] = by_type["within_sla"] / by_type["completed"]
    overall = float(done["within_sla"].mean()) if len(done) else None
    return SlaResult(overall=overall, by_issue_type=by_type.reset_index(drop=True))


def compute_open_past_sla(frames: Frames, as_of: datetime | pd.Timestamp | None = None) -> pd.DataFrame:
    """Open issues (todo or in_progress) older than their SLA at as_of, most overdue first.
    Columns: key, summary, stage, issue_type, objective, created, sla_days, age_days,
    overdue_days."""
    stamp = to_utc(as_of) if as_of is not None else frames.as_of
    df = frames.issues
    cols = ["key", "summary", "stage", "issue_type", "objective", "created", "sla_days"]
    open_ = df.loc[df["stage"].isin(OPEN_STAGES).to_numpy(), cols]
    age: pd.Series[pd.Timedelta] = stamp - open_["created"]
    open_["age_days"] = (age / _DAY).astype("float64")
    open_["overdue_days"] = open_["age_days"] - open_["sla_days"]
    late = open_.loc[open_["overdue_days"] > 0]
    late = late.sort_values("overdue_days", ascending=False, kind="stable")
    cols = ["key", "summary", "stage", "issue_type", "objective", "created", "sla_days",
            "age_days", "overdue_days"]  # fmt: skip
    return late.loc[:, cols].reset_index(drop=True)


def compute_breakdown(frames: Frames, by: Dimension) -> pd.DataFrame:
    """Counts and outcomes per objective, team or stakeholder (non-discarded issues).

    Columns: group (str; NaN = no objective/team), issues, todo, in_progress, done, open,
    completed (done with a date), lead_time_count/p50/p85/p95, cycle_time_p50/p85,
    sla_compliance, adoption_mean, satisfaction_mean. An issue counts for every one of its
    stakeholders; issues without stakeholders are not in the stakeholder breakdown.
    """
    df = frames.issues
    # numpy columns of just the rows counted (non-discarded; one per stakeholder pair)
    stage = df["stage"].cat.codes.to_numpy()
    rows = np.flatnonzero(stage != STAGES.index("discarded"))
    if by == "stakeholder":
        pair_rows, group = compute_stakeholder_rows(df["stakeholder_ids"].iloc[rows])
        rows = rows[pair_rows]
    else:
        group = df[by].to_numpy(dtype=object)[rows]

    def col(name: str) -> np.ndarray:
        return df[name].to_numpy(dtype="float64")[rows]

    # One integer code per group, then every figure from those codes: counts by bincount,
    # percentiles and means by one pandas groupby over the codes (its quantile and mean, so
    # the numbers are those of grouping by the labels; hashing the labels once, not per figure)
    codes, uniques = pd.factorize(group, use_na_sentinel=False)
    n = len(uniques)
    stage = stage[rows]
    lead = col("lead_time_days")
    has_lead = ~np.isnan(lead)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(codes[mask], minlength=n).astype("int64")

    out = pd.DataFrame({
        "group": pd.Series(uniques, dtype=object),
        "issues": np.bincount(codes, minlength=n).astype("int64"),
        **{name: count(stage == STAGES.index(name)) for name in ("todo", "in_progress", "done")},
        "completed": count(df["completed_at"].notna().to_numpy()[rows]),
        "lead_time_count": count(has_lead),
    })  # fmt: skip
    out["open"] = out["todo"] + out["in_progress"]
    within = count(has_lead & (lead <= col("sla_days")))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["sla_compliance"] = np.where(out["lead_time_count"] > 0,
                                         within / out["lead_time_count"].to_numpy(), np.nan)  # fmt: skip
    values = pd.DataFrame({
        "lead_time": lead, "cycle_time": col("cycle_time_days"),
        "adoption": normalise_percent(pd.Series(col("adoption"))).to_numpy(),
        "satisfaction": col("satisfaction"),
    })  # fmt: skip
    g = values.groupby(codes, sort=True)
    qs = g[["lead_time", "cycle_time"]].quantile(_QS).unstack()
    for prefix in ("lead_time", "cycle_time"):
        for name, q in QUANTILES.items():
            out[f"{prefix}_{name}"] = qs[(prefix, q)].reindex(range(n)).to_numpy() if n else []
    means = g[["adoption", "satisfaction"]].mean().reindex(range(n))
    out["adoption_mean"] = means["adoption"].to_numpy()
    out["satisfaction_mean"] = means["satisfaction"].to_numpy()
    for name in BREAKDOWN_COLUMNS[8:]:
        out[name] = out[name].astype("float64")
    out["group"] = out["group"].astype("str")
    out = out.sort_values("group", na_position="last", kind="stable")
    return out.loc[:, list(BREAKDOWN_COLUMNS)].reset_index(drop=True)


def compute_outcome_fields(frames: Frames, config: Config) -> dict[str, object]:
    """Adoption and satisfaction averaged overall and per objective.

    {"adoption": {"available": bool, "mean": float|None, "by_objective": {name: mean}}, ...};
    `available` is False when the field is not mapped in `fields:` (then no numbers at all).
    """
    all_ = frames.issues
    df = all_.loc[all_["stage"].ne("discarded").to_numpy(), ["objective", *_OUTCOME_FIELDS]]
    result: dict[str, object] = {}
    for name in _OUTCOME_FIELDS:
        if getattr(config.fields, name) is None:
            result[name] = {"available": False, "mean": None, "by_objective": {}}
            continue
        values = normalise_percent(df[name]) if name == "adoption" else df[name]
        rows = pd.DataFrame({"objective": df["objective"], "value": values})
        rows = rows.loc[rows["value"].notna()]
        per = rows.dropna().groupby("objective")["value"].mean().sort_index()
        mean = float(rows["value"].mean()) if len(rows) else None
        result[name] = {
            "available": True,
            "mean": mean,
            "by_objective": {str(k): float(v) for k, v in per.items()},
        }
    return result
