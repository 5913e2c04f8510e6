"""Canonical records -> typed pandas frames, once per run; every metric and score reads these.

Stage of a status (DESIGN.md "Definitions"): `jira.status_overrides` first (case-insensitive),
else the Jira status category (new -> todo, indeterminate -> in_progress, done -> done). The same
mapping applies to every status in the history.

A status missing from the `/status` map (renamed or deleted workflow statuses survive in old
changelogs) falls back, in order, to: the category an issue in that status currently reports
(`Issue.status_category`, so an issue's own current status is never unknown), then
"indeterminate" (in_progress). Only the handful of distinct status names is mapped in Python;
the per-row work is vectorised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import NUMERIC_FIELDS, Issue, StatusCategory, StatusChange

STAGES: tuple[str, ...] = ("todo", "in_progress", "done", "discarded")
STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=False)
DT = "datetime64[us, UTC]"
_CATEGORY_STAGE: dict[str, str] = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
_DAY = pd.Timedelta(days=1)

ISSUE_COLUMNS: tuple[str, ...] = (
    "key", "id", "project", "number", "summary", "url", "issue_type", "status",
    "status_category", "stage", "created", "updated", "resolution_date", "started_at",
    "completed_at", "completed_month", "lead_time_days", "cycle_time_days", "sla_days", "objective", "team",
    "target", "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids",
    *NUMERIC_FIELDS,
)  # fmt: skip
CHANGE_COLUMNS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "from_stage", "to_stage",
    "author_id",
)  # fmt: skip


@dataclass(frozen=True)
class Frames:
    """The two frames every report function takes.

    `issues` (one row per backlog issue, natural key order):
      key, id, project (str), number (int64, the numeric part of the key; 0 if none), summary,
      url, issue_type (category), status (category), status_category (category),
      stage (category todo|in_progress|done|discarded), created, updated, resolution_date,
      started_at (first transition into an in_progress stage), completed_at (done stage only:
      last non-done -> done transition, else resolution date, else NaT) [all datetime64 UTC],
      completed_month (category "YYYY-MM", UTC),
      lead_time_days, cycle_time_days (float, NaN when undefined), sla_days (float, the SLA
      for the issue type, else `default`), objective, team, target, reporter_id, assignee_id
      (str or NaN), labels, components, stakeholder_ids (tuples of str), and every numeric
      canonical field (float64, NaN when missing).
    `changes` (one row per status change of a backlog issue, by issue then time):
      issue_key, change_id, at (datetime64 UTC), from_status, to_status (category),
      from_stage, to_stage (category; from_stage NaN for a creation entry), author_id.
    """

    issues: pd.DataFrame
    changes: pd.DataFrame
    as_of: pd.Timestamp


def to_utc(as_of: datetime | pd.Timestamp) -> pd.Timestamp:
    """An aware datetime as a UTC Timestamp; naive input is refused (reports never guess a zone)."""
    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC)")
    return ts.tz_convert("UTC")


def compute_status_stages(
    names: Sequence[str],
    statuses: dict[str, StatusCategory],
    config: Config,
    seen_categories: dict[str, StatusCategory] | None = None,
) -> dict[str, str]:
    """Stage for each distinct status name (see module docstring for the fallback rule)."""
    by_fold = {k.casefold(): v for k, v in (seen_categories or {}).items()}
    by_fold.update({k.casefold(): v for k, v in statuses.items()})
    out: dict[str, str] = {}
    for name in names:
        override = config.stage_override(name)
        if override is not None:
            out[name] = override
        else:
            out[name] = _CATEGORY_STAGE[by_fold.get(name.casefold(), "indeterminate")]
    return out


def _strs(values: list[Any]) -> pd.Series:
    # Plain object columns: pandas' python-backed "str" dtype validates every element on
    # construction and on isna(), which dominated the 100k-issue benchmark.
    return pd.Series(values, dtype=object)


def _key_number(key: str) -> int:
    tail = key.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def build_issue_table(issues: Sequence[Issue]) -> pd.DataFrame:
    """Records -> plain issue table (the record fields, typed, plus `number` parsed from the key)."""
    # Records are Python objects: one pass per column is the only way in; everything after
    # this point is vectorised.
    col: dict[str, Any] = {
        "key": _strs([i.key for i in issues]),
        "id": _strs([i.id for i in issues]),
        "project": _strs([i.project for i in issues]),
        "number": pd.Series([_key_number(i.key) for i in issues], dtype="int64"),
        "summary": _strs([i.summary for i in issues]),
        "url": _strs([i.url for i in issues]),
        "issue_type": pd.Series([i.issue_type for i in issues], dtype="category"),
        "status": pd.Series([i.status for i in issues], dtype="category"),
        "status_category": pd.Series([i.status_category for i in issues], dtype="category"),
        "created": pd.to_datetime([i.created for i in issues], utc=True),
        "updated": pd.to_datetime([i.updated for i in issues], utc=True),
        "resolution_date": pd.to_datetime([i.resolution_date for i in issues], utc=True),
        "objective": _strs([i.objective for i in issues]),
        "team": _strs([i.team for i in issues]),
        "target": _strs([i.target for i in issues]),
        "reporter_id": _strs([i.reporter.id if i.reporter else None for i in issues]),
        "assignee_id": _strs([i.assignee.id if i.assignee else None for i in issues]),
        "labels": _strs([i.labels for i in issues]),
        "components": _strs([i.components for i in issues]),
        "stakeholder_ids": _strs([tuple(u.id for u in i.stakeholders) for i in issues]),
    }
    for name in NUMERIC_FIELDS:
        col[name] = pd.Series([getattr(i, name) for i in issues], dtype="float64")
    df = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in col.items()})
    for c in ("created", "updated", "resolution_date"):
        df[c] = _utc(df[c])
    return df


def build_change_table(changes: Sequence[StatusChange]) -> pd.DataFrame:
    """Records -> plain status-change table (issue_key, change_id, at, from/to_status, author_id)."""
    df = pd.DataFrame(
        {
            "issue_key": _strs([c.issue_key for c in changes]),
            "change_id": _strs([c.change_id for c in changes]),
            "at": pd.Series(pd.to_datetime([c.at for c in changes], utc=True)),
            "from_status": pd.Series([c.from_status for c in changes], dtype="category"),
            "to_status": pd.Series([c.to_status for c in changes], dtype="category"),
            "author_id": _strs([c.author_id for c in changes]),
        }
    )
    df["at"] = _utc(df["at"])
    return df


def _utc(values: pd.Series) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True)
    return values.astype(DT)


def _stages(statuses: pd.Series, stage_of: dict[str, str]) -> pd.Series:
    """Map a categorical status column to stages through its (few) categories, not its rows."""
    cat = statuses.astype("category")
    lookup = [stage_of[str(name)] for name in cat.cat.categories]
    codes = cat.cat.codes.to_numpy()
    stage_codes = np.array([STAGES.index(x) for x in lookup] + [-1], dtype="int64")[codes]
    return pd.Series(
        pd.Categorical.from_codes(stage_codes, dtype=STAGE_DTYPE), index=statuses.index
    )


def _per_issue(
    positions: np.ndarray, at: pd.Series, mask: np.ndarray, n: int, keep: str
) -> pd.Series:
    """For each issue position 0..n-1, the first/last `at` among rows where mask holds (rows
    are sorted by position then time), NaT where none."""
    sel = pd.DataFrame({"pos": positions[mask], "at": at.array.asi8[mask]})
    sel = sel.drop_duplicates("pos", keep=keep)  # type: ignore[arg-type]
    values = np.full(n, np.iinfo("int64").min, dtype="int64")  # iNaT
    values[sel["pos"].to_numpy()] = sel["at"].to_numpy()
    unit = np.datetime_data(at.dtype.base)[0]
    stamps = pd.to_datetime(values.view(f"datetime64[{unit}]")).tz_localize("UTC")
    return pd.Series(stamps, index=range(n)).astype(DT)


def _sla_days(issue_type: pd.Series, config: Config) -> pd.Series:
    sla = config.outcomes.sla_days
    default = float(sla.get("default", 30.0))
    by_fold = {k.casefold(): float(v) for k, v in sla.items() if k != "default"}
    folded = issue_type.astype("str").str.casefold()
    return folded.map(by_fold).astype("float64").fillna(default)


def build_frames(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """Build the issue and status-change frames (columns: see `Frames`).

    Changes of issues not in `issues` (they left the backlog) are dropped. Empty input gives
    empty frames with the same columns and dtypes.
    """
    return build_frames_from_tables(
        build_issue_table(issues), build_change_table(changes), statuses, config, as_of
    )


def build_frames_from_tables(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """The derivation step of `build_frames`, from the plain tables of `build_issue_table` and
    `build_change_table` (so a store could also hand over tables read straight from SQL)."""
    stamp = to_utc(as_of)
    # Natural key order (project, then number) via integer sort keys: sorting 100k key strings
    # dominated the run time.
    project_codes = pd.Categorical(issues["project"]).codes
    order = np.lexsort((issues["number"].to_numpy(), project_codes))
    df = issues.iloc[order].reset_index(drop=True)
    pos = pd.Index(df["key"]).get_indexer(changes["issue_key"])
    ch = changes.loc[pos >= 0].copy()
    pos = pos[pos >= 0]
    ch_order = np.lexsort((ch["at"].array.asi8, pos))
    ch = ch.iloc[ch_order].reset_index(drop=True)
    pos = pos[ch_order]

    cur = df[["status", "status_category"]].astype(object).drop_duplicates("status")
    seen = dict(zip(cur["status"], cur["status_category"], strict=True))
    names = set(seen) | set(ch["from_status"].astype("category").cat.categories)
    names |= set(ch["to_status"].astype("category").cat.categories)
    stage_of = compute_status_stages(sorted(names), statuses, config, seen)  # type: ignore[arg-type]

    df["stage"] = _stages(df["status"], stage_of)
    ch["from_stage"] = _stages(ch["from_status"], stage_of)
    ch["to_stage"] = _stages(ch["to_status"], stage_of)
    ch["from_status"] = ch["from_status"].astype("category")
    ch["to_status"] = ch["to_status"].astype("category")

    n = len(df)
    to_stage = ch["to_stage"].to_numpy()
    started = _per_issue(pos, ch["at"], to_stage == "in_progress", n, "first")
    # Reopen-aware: the last move from a non-done stage into done; done -> done moves
    # (Done -> Released) are ignored. A creation entry has no from_stage: counts as non-done.
    into_done = (to_stage == "done") & (ch["from_stage"].to_numpy() != "done")
    last_done = _per_issue(pos, ch["at"], into_done, n, "last")

    is_done = df["stage"].eq("done")
    df["started_at"] = started
    completed = last_done.fillna(df["resolution_date"])
    df["completed_at"] = completed.where(is_done).astype(DT)
    df["lead_time_days"] = ((df["completed_at"] - df["created"]) / _DAY).astype("float64")
    df["cycle_time_days"] = ((df["completed_at"] - df["started_at"]) / _DAY).astype("float64")
    df["completed_month"] = _months(df["completed_at"])
    df["sla_days"] = _sla_days(df["issue_type"], config)
    return Frames(issues=df[list(ISSUE_COLUMNS)], changes=ch[list(CHANGE_COLUMNS)], as_of=stamp)


def _months(ts: pd.Series) -> pd.Series:
    """"YYYY-MM" (UTC) as a categorical: only the few distinct months are formatted."""
    valid = ts.notna().to_numpy()
    stamps = ts.dt.tz_localize(None)
    ym = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype="float64")
    uniq = np.unique(ym[valid]).astype("int64")
    labels = [f"{u // 12:04d}-{u % 12 + 1:02d}" for u in uniq]
    codes = np.full(len(ts), -1, dtype="int64")
    codes[valid] = np.searchsorted(uniq, ym[valid].astype("int64"))
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels), index=ts.index)


def natural_order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in natural key order (project, then number)."""
    return df.sort_values(["project", "number"], kind="stable")

