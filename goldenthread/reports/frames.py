"""Canonical records -> typed pandas frames, once per run; every metric and score reads these.

Stage of a status (docs/metrics.md "Stages"): `jira.status_overrides` first (case-insensitive),
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
from typing import cast

import numpy as np
import pandas as pd

from goldenthread.mappings.config import Config
from goldenthread.mappings.records import CATEGORY_STAGE, NUMERIC_FIELDS, Issue, StatusCategory, StatusChange
from goldenthread.reports.snapshot import EVER, Snapshot, compute_snapshot
from goldenthread.mappings.records import STAGES as STAGES  # re-exported: the stage names
from goldenthread.reports.stakeholders import build_credit_plan, compute_stakeholder_column
from goldenthread.reports.tables import DT, build_tables

STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=False)

ISSUE_COLUMNS: tuple[str, ...] = (
    "key", "id", "project", "number", "summary", "url", "issue_type", "status",
    "status_category", "stage", "created", "updated", "resolution_date", "started_at",
    "completed_at", "completed_month", "lead_time_days", "cycle_time_days", "sla_days", "objective", "team",
    "target", "reporter_id", "assignee_id", "labels", "components", "stakeholder_ids",
    *NUMERIC_FIELDS, "release_note",
)  # fmt: skip
CHANGE_COLUMNS: tuple[str, ...] = (
    "issue_key", "change_id", "at", "from_status", "to_status", "from_stage", "to_stage",
    "author_id",
)  # fmt: skip


@dataclass(frozen=True)
class Frames:
    """The two frames every report function takes: the backlog as it stood at `as_of`
    (`reports.snapshot`): statuses and stages at as_of, every other field today's value.

    `issues` (one row per backlog issue created at or before as_of, natural key order):
      key, id, project (str), number (int64, the numeric part of the key; 0 if none), summary,
      url, issue_type (category), status (category), status_category (category),
      stage (category todo|in_progress|done|discarded, at as_of), created, updated,
      resolution_date, started_at (first transition into an in_progress stage), completed_at
      (done stage only: last non-done -> done transition, else resolution date, else NaT; both
      from moves at or before as_of) [all datetime64 UTC],
      completed_month (category "YYYY-MM", UTC),
      lead_time_days, cycle_time_days (float, NaN when undefined), sla_days (float, the SLA
      for the issue type, else `default`), objective, team, target, reporter_id, assignee_id
      (str or NaN), labels, components, stakeholder_ids (tuples of str: the issue's
      stakeholders, its field's users ∪ everyone the rules add, see `reports.stakeholders`),
      every numeric canonical field (float64, NaN when missing), release_note (plain text or
      None).
    `changes` (one row per status change at or before as_of of an issue in `issues`, by issue
    then time):
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


def normalise_percent(values: pd.Series) -> pd.Series:
    """A share read from a field that may hold a fraction or a percentage (confidence, adoption):
    a value above 1 is a percentage, so 80 -> 0.8, while 1 stays 1.0 (100%); NaN stays NaN."""
    return values.where(values.le(1) | values.isna(), values / 100)


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
            out[name] = CATEGORY_STAGE[by_fold.get(name.casefold(), "indeterminate")]
    return out


def _utc(values: pd.Series) -> pd.Series:
    if values.dtype == DT:
        return values
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True)
    return values.astype(DT)


def _categorical(values: pd.Series | pd.Categorical) -> pd.Categorical:
    if isinstance(values, pd.Categorical):
        return values
    cat = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    out: pd.Categorical = cat.array  # pandas-stubs: Any
    return out


def _stage_codes(statuses: pd.Series | pd.Categorical, stage_of: dict[str, str]) -> np.ndarray:
    """Stage code (index into STAGES, -1 for a missing status) of every row, mapped through
    the (few) categories of the status column, never row by row."""
    cat = _categorical(statuses)
    codes = cat.codes
    lookup = [STAGES.index(stage_of[str(name)]) for name in cat.categories]
    if codes.dtype == np.int8:
        # a 256-entry table indexed by the code bytes (-1 reads as 255): numpy casts an int8
        # index array to intp first, which cost twice the lookup itself
        table = np.full(256, -1, dtype="int8")
        table[: len(lookup)] = lookup
        return table.take(codes.view(np.uint8))
    stages: np.ndarray = np.array([*lookup, -1], dtype="int8")[codes]  # numpy types fancy indexing Any
    return stages


def _stages(codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE), index=index)


def compute_stage_map(
    issues: pd.DataFrame, changes: pd.DataFrame, statuses: dict[str, StatusCategory],
    config: Config,
) -> dict[str, str]:
    """Stage of every status name seen in the tables (current statuses and both ends of every
    change), with the fallback of the module docstring (a status's category: that of the
    first issue row in it)."""
    status = _categorical(issues["status"])
    category = issues["status_category"]
    seen: dict[str, StatusCategory] = {}
    for code, name in enumerate(status.categories if len(status) else ()):
        first = int(np.argmax(status.codes == code))  # a few statuses: one pass each
        if status.codes[first] == code:
            seen[str(name)] = cast("StatusCategory", category.iat[first])  # an Issue field
    names = set(seen)
    for col in ("from_status", "to_status"):
        names |= {str(x) for x in _categorical(changes[col]).categories}
    return compute_status_stages(sorted(names), statuses, config, seen)


@dataclass(frozen=True)
class IssueTimes:
    """Per issue row (the order of the issue table given): stage codes, started_at and
    completed_at as int64 microseconds since the epoch (NAT when undefined), lead and cycle
    time in days; per change row, the issue position; and whether the change rows came issue
    by issue in time order (`grouped`)."""

    stage: np.ndarray
    started: np.ndarray
    completed: np.ndarray
    lead_time_days: np.ndarray
    cycle_time_days: np.ndarray
    change_pos: np.ndarray
    grouped: bool


def _micros(values: pd.Series) -> np.ndarray:
    micros: np.ndarray = _utc(values).array.asi8  # pandas-stubs: Any
    return micros


def _micros_of(stamp: pd.Timestamp) -> int:
    # Timestamp.value is nanoseconds whatever the unit; floor to the tables' microseconds
    return int(stamp.value // 1000)


def compute_change_positions(issues: pd.DataFrame, changes: pd.DataFrame) -> np.ndarray:
    """Row of each change's issue in the issue table (-1 when absent), matched by key string."""
    keys = changes["issue_key"]
    key_index = pd.Index(issues["key"].astype(object))
    if isinstance(keys.dtype, pd.CategoricalDtype):
        # map the (few) distinct keys, then every row through its code
        per_cat = key_index.get_indexer(keys.cat.categories.astype(object))
        return np.append(per_cat, -1)[keys.cat.codes.to_numpy()]
    positions: np.ndarray = key_index.get_indexer(keys.astype(object))  # pandas-stubs: Any
    return positions


def compute_table_snapshot(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    stage_of: dict[str, str],
    as_of: int = EVER,
    change_pos: np.ndarray | None = None,
) -> tuple[Snapshot, np.ndarray]:
    """`snapshot.compute_snapshot` at `as_of` (µs) of a plain issue table and change table
    (statuses mapped through `stage_of`), and the issue row of every change. `change_pos`: the
    issue row of every change if already known (see `build_tables`), else the changes are
    matched to the issues by key here."""
    pos = compute_change_positions(issues, changes) if change_pos is None else change_pos
    snap = compute_snapshot(
        _stage_codes(issues["status"], stage_of), _micros(issues["created"]),
        _micros(issues["resolution_date"]), pos, _micros(changes["at"]),
        _stage_codes(changes["to_status"], stage_of), _stage_codes(changes["from_status"], stage_of),
        as_of,
    )  # fmt: skip
    return snap, pos


def compute_issue_times(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    stage_of: dict[str, str],
    change_pos: np.ndarray | None = None,
) -> IssueTimes:
    """Started/completed timestamps and lead/cycle times of every issue of a plain issue table
    from a plain change table (docs/metrics.md; reopen-aware), vectorised: the snapshot
    of the current backlog (every move counts; see `reports.snapshot`).

    started_at: the first change into an in_progress stage. completed_at (issues now in the done
    stage only): the last change from a non-done stage (or a creation entry) into done, else the
    resolution date. The changes may come in any order; when they run issue by issue in time
    order (as `build_tables` gives a sync's records, and as a store usually reads back what it
    wrote) the first and last row of each issue's run are taken directly, with no sort."""
    snap, pos = compute_table_snapshot(issues, changes, stage_of, EVER, change_pos)
    return IssueTimes(snap.stage, snap.started, snap.completed, snap.lead_time_days,
                      snap.cycle_time_days, pos, snap.order is None)  # fmt: skip


def compute_frames_snapshot(frames: Frames, at: datetime | pd.Timestamp) -> Snapshot:
    """The snapshot at `at` (not after frames.as_of) of the backlog in `frames`, replayed from
    the history as it stood at frames.as_of: per row of frames.issues, whether it existed and
    its stage then (e.g. the work in progress at the end of the month before)."""
    stamp = to_utc(at)
    if stamp > frames.as_of:
        raise ValueError(f"{stamp} is after the frames' as_of {frames.as_of}")
    df, ch = frames.issues, frames.changes
    return compute_snapshot(
        df["stage"].cat.codes.to_numpy(), _micros(df["created"]), _micros(df["resolution_date"]),
        compute_change_positions(df, ch), _micros(ch["at"]), ch["to_stage"].cat.codes.to_numpy(),
        ch["from_stage"].cat.codes.to_numpy(), _micros_of(stamp),
    )  # fmt: skip


def as_stamps(micros: np.ndarray) -> pd.Series:
    """int64 microseconds since the epoch (int64 min: NaT) as a UTC datetime column."""
    return pd.Series(micros.view("datetime64[us]"), copy=False).dt.tz_localize("UTC").astype(DT)


def compute_sla_days(issue_type: pd.Series, config: Config) -> pd.Series:
    """SLA days per row: `outcomes.sla_days` of the issue type (case-insensitive), else
    `default` (30 when unset); looked up once per distinct type, not per row."""
    sla = config.outcomes.sla_days
    default = float(sla.get("default", 30.0))
    by_fold = {k.casefold(): float(v) for k, v in sla.items() if k != "default"}
    cat = issue_type if isinstance(issue_type.dtype, pd.CategoricalDtype) else issue_type.astype("category")
    per_type = [by_fold.get(str(name).casefold(), default) for name in cat.cat.categories]
    table = np.array([*per_type, default], dtype="float64")  # code -1 (missing type) -> default
    return pd.Series(table[cat.cat.codes.to_numpy()], index=issue_type.index)


def build_frames(
    issues: Sequence[Issue],
    changes: Sequence[StatusChange],
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """Build the issue and status-change frames (columns: see `Frames`).

    The backlog as it stood at `as_of` (see `reports.snapshot`): issues created later and
    changes after it are left out, stages and times are those at as_of. Changes of issues not
    in `issues` (they left the backlog) are dropped. Empty input gives empty frames with the
    same columns and dtypes.
    """
    return build_frames_from_tables(*build_tables(issues, changes), statuses, config, as_of)


def build_frames_from_tables(
    issues: pd.DataFrame,
    changes: pd.DataFrame,
    statuses: dict[str, StatusCategory],
    config: Config,
    as_of: datetime,
) -> Frames:
    """The derivation step of `build_frames`, from the plain tables of `build_issue_table` and
    `build_change_table` (so a store could also hand over tables read straight from SQL), or of
    `build_tables` (its `issue_pos` column spares matching the keys again)."""
    stamp = to_utc(as_of)
    # Natural key order (project, then number) via integer sort keys: sorting 100k key strings
    # dominated the run time.
    project_codes = pd.Categorical(issues["project"]).codes
    number = issues["number"].to_numpy()
    order = np.lexsort((number, project_codes))
    tied = (np.diff(project_codes[order]) == 0) & (np.diff(number[order]) == 0)
    if tied.any():
        # keys without a numeric tail share number 0: break ties by key so the order never
        # depends on the row order a store happened to return
        key_rank = pd.Categorical(issues["key"].astype(object)).codes
        order = np.lexsort((key_rank, number, project_codes))
    stage_of = compute_stage_map(issues[["status", "status_category"]].take(order), changes,
                                 statuses, config)  # fmt: skip
    # The snapshot over the tables as given, then moved into the sorted order: tables read back
    # in the order they were written keep each issue's changes together and in time order (the
    # cheaper path of compute_snapshot); after the natural sort they no longer would. (An ORDER
    # BY in the store would cost SQLite 0.3 s for 543k changes, far more than it saves.)
    given = changes["issue_pos"].to_numpy() if "issue_pos" in changes.columns else None
    snap, given_pos = compute_table_snapshot(issues, changes, stage_of, _micros_of(stamp), given)
    order = order[snap.exists[order]]  # issues created after as_of do not exist yet
    df = issues.take(order).reset_index(drop=True)
    moved = np.full(len(issues) + 1, -1, dtype="int64")  # an unknown issue (-1) stays unknown
    moved[order] = np.arange(len(order))
    change_pos = moved[given_pos]

    keep = np.flatnonzero((change_pos >= 0) & snap.kept)  # the history as it stood at as_of
    pos = change_pos[keep]
    if snap.order is None:
        # each issue's changes are already in time order: a stable sort by issue keeps it
        ch_order = keep[np.argsort(pos, kind="stable")]
    else:
        ch_order = keep[np.lexsort((_micros(changes["at"])[keep], pos))]
    ch = changes.take(ch_order).reset_index(drop=True)
    ch["issue_key"] = ch["issue_key"].astype(object)
    ch["at"] = _utc(ch["at"])
    ch["from_stage"] = _stages(_stage_codes(ch["from_status"], stage_of), ch.index)
    ch["to_stage"] = _stages(_stage_codes(ch["to_status"], stage_of), ch.index)
    ch["from_status"] = ch["from_status"].astype("category")
    ch["to_status"] = ch["to_status"].astype("category")

    df["stage"] = _stages(snap.stage[order], df.index)
    df["started_at"] = as_stamps(snap.started[order])
    df["completed_at"] = as_stamps(snap.completed[order])
    df["lead_time_days"] = snap.lead_time_days[order]
    df["cycle_time_days"] = snap.cycle_time_days[order]
    df["completed_month"] = _months(df["completed_at"])
    df["sla_days"] = compute_sla_days(df["issue_type"], config)
    df["stakeholder_ids"] = compute_stakeholder_column(df, build_credit_plan(config))
    return Frames(issues=df[list(ISSUE_COLUMNS)], changes=ch[list(CHANGE_COLUMNS)], as_of=stamp)


def _months(ts: pd.Series) -> pd.Series:
    """"YYYY-MM" (UTC) as a categorical: only the few distinct months are formatted."""
    valid = ts.notna().to_numpy()
    stamps = ts.dt.tz_localize(None)
    ym = (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype="float64")
    uniq = np.unique(ym[valid]).astype("int64")
    labels = [f"{u // 12:04d}-{u % 12 + 1:02d}" for u in uniq]
    codes = np.full(len(ts), -1, dtype=np.int64)
    codes[valid] = np.searchsorted(uniq, ym[valid].astype("int64"))
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels)), index=ts.index)
